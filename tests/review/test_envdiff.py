"""Comparing two environments: names and mock ids normalised whole, values written alike left alone."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

from mlstack import targets
from mlstack.cli import main
from mlstack.engine.review.envdiff import Normaliser, compare_envs, mock_tokens, normalise_plan

from .fixtures import plan, reg

ROOT = Path(__file__).resolve().parents[2]
NG = "aws:eks/nodeGroup:NodeGroup"
KEY = "aws:kms/key:Key"
SUBNET = "aws:ec2/subnet:Subnet"
ROLE = "aws:iam/role:Role"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ANSWERS = SimpleNamespace(region="us-west-2", gcp_project="mlstack-plan")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _answer(type_: str, name: str) -> tuple[str, dict]:
    """What the plan's mock answers for a resource, exactly as a recorded plan holds it."""
    return targets.mock_handler(type_)(ANSWERS, name, {})


def _env_plan(env: str, n: int):
    """KMS keys, subnets and auto-named roles ``k0..kn``, and one consumer of each that holds its ids."""
    resources = []
    for i in range(n):
        key_id, key = _answer(KEY, f"acme-ml-{env}-k{i}")
        subnet_id, _ = _answer(SUBNET, f"acme-ml-{env}-s{i}")
        role_id, role = _answer(ROLE, f"acme-ml-{env}-r{i}")
        resources += [
            reg(KEY, f"acme-ml-{env}-k{i}", env=env),
            reg(SUBNET, f"acme-ml-{env}-s{i}", env=env),
            reg(ROLE, f"acme-ml-{env}-r{i}", env=env),
            reg(SSE, f"acme-ml-{env}-c{i}", {"kms": key["arn"], "keyId": key_id, "subnet": subnet_id, "role": role["arn"],
                                              "both": f"{subnet_id},{key_id}"}, env=env),
        ]
    return plan(*resources, env=env)


def test_generated_ids_ending_in_zeros_are_matched_whole():
    n = 64
    # The ids these names produce end in zeros, and for some of them the next digit of the digest is a zero
    # too: a prefix match would take an 8-digit id out of the key id ``<7 hex>00000`` in one environment only.
    zero_next = [i for i in range(n) if _digest(f"acme-ml-staging-k{i}")[7] == "0"]
    zero_next_qa = [i for i in range(n) if _digest(f"acme-ml-qa-k{i}")[7] == "0"]
    assert zero_next and zero_next_qa and zero_next != zero_next_qa
    assert any(_digest(f"acme-ml-staging-s{i}")[16] == "0" for i in range(n))  # 17-digit ids ending in 0
    assert any(_digest(f"acme-ml-staging-r{i}")[6] == "0" for i in range(n))  # auto-name suffixes ending in 0
    a, b = _env_plan("staging", n), _env_plan("qa", n)
    d = compare_envs(a, b)
    assert d.changes == [] and d.unchanged == 4 * n
    i = zero_next[0]
    consumer = normalise_plan(a).one(SSE, f"acme-ml-<env>-c{i}").inputs
    label, subnet = f"<id:acme-ml-<env>-k{i}>", f"<id:acme-ml-<env>-s{i}>"
    assert consumer["keyId"] == f"{label}-0000-4000-8000-{label}"
    assert consumer["kms"] == f"arn:aws:kms:us-west-2:123456789012:key/{label}-0000-4000-8000-{label}"
    assert consumer["subnet"] == f"subnet-{subnet}"
    assert consumer["both"] == f"subnet-{subnet},{label}-0000-4000-8000-{label}"
    assert consumer["role"] == f"arn:aws:iam::123456789012:role/acme-ml-<env>-r{i}-<id:acme-ml-<env>-r{i}>"


def test_a_real_difference_between_ids_is_still_reported():
    a, b = _env_plan("staging", 3), _env_plan("qa", 3)
    other = next(r for r in b.resources if r.name == "acme-ml-qa-k2")
    moved = next(r for r in b.resources if r.name == "acme-ml-qa-c0")
    key_id, _ = _answer(KEY, other.name)
    moved.inputs["keyId"] = key_id  # qa's consumer 0 uses key 2, staging's uses key 0
    (change,) = compare_envs(a, b).changes
    assert change.name == "acme-ml-<env>-c0" and change.action == "update"
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("keyId", "<id:acme-ml-<env>-k0>-0000-4000-8000-<id:acme-ml-<env>-k0>",
         "<id:acme-ml-<env>-k2>-0000-4000-8000-<id:acme-ml-<env>-k2>")]


def test_tokens_are_only_the_ids_that_depend_on_the_environment():
    p = _env_plan("staging", 1)
    ids = mock_tokens(p, Normaliser(p)._rename)
    key_id, _ = _answer(KEY, "acme-ml-staging-k0")
    assert ids[key_id.split("-")[0]] == ids[key_id.split("-")[-1]] == "<id:acme-ml-<env>-k0>"
    assert "123456789012" not in ids  # the mock account id is the same in every environment: a constant
    assert all(len(t) >= 7 for t in ids)


def test_values_written_alike_are_not_normalised():
    """An environment called ``dev`` still has ``/dev/xvda`` and ``/dev/shm`` like any other."""
    lt = "aws:ec2/launchTemplate:LaunchTemplate"
    a = plan(reg(lt, "acme-ml-dev-lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda"}], "name": "acme-ml-dev-lt",
                                        "tags": {"/dev/": "x", "acme-ml-dev": "owned"}}, env="dev"), env="dev")
    b = plan(reg(lt, "acme-ml-qa-lt", {"blockDeviceMappings": [{"deviceName": "/dev/xvda"}], "name": "acme-ml-qa-lt",
                                       "tags": {"/dev/": "x", "acme-ml-qa": "owned"}}, env="qa"), env="qa")
    assert compare_envs(a, b).changes == []
    b.resources[0].inputs["blockDeviceMappings"][0]["deviceName"] = "/dev/nvme0n1"
    (change,) = compare_envs(a, b).changes
    assert [(p.path, p.old, p.new) for p in change.properties] == [
        ("blockDeviceMappings[0].deviceName", "/<env>/xvda", "/dev/nvme0n1")]


def test_normalise_and_compare_envs():
    a = plan(reg(NG, "acme-ml-staging-gpu", {"clusterName": "acme-ml-staging", "scalingConfig": {"maxSize": 1},
                                            "tags": {"mlstack.io/env": "staging"}}, env="staging"),
             reg("aws:s3/bucket:Bucket", "acme-ml-staging-scratch", env="staging"), env="staging")
    b = plan(reg(NG, "acme-ml-prod-gpu", {"clusterName": "acme-ml-prod", "scalingConfig": {"maxSize": 4},
                                         "tags": {"mlstack.io/env": "prod"}}, env="prod", protect=True), env="prod")
    n = normalise_plan(a)
    assert n.resources[0].urn.startswith("urn:pulumi:<env>::acme-ml::")
    assert n.one(NG, "acme-ml-<env>-gpu").inputs["clusterName"] == "acme-ml-<env>"
    d = compare_envs(a, b)
    assert d.counts()["delete"] == 1  # only in staging
    gpu = next(c for c in d.changes if c.type == NG)
    assert gpu.action == "update" and not gpu.blocking
    assert [(p.path, p.old, p.new) for p in gpu.properties] == [
        ("scalingConfig.maxSize", 1, 4), ("options.protect", False, True), ("options.retain_on_delete", False, True)]


def test_diff_env_of_environments_equal_but_for_their_names_reports_no_change(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    shutil.copy(ROOT / "stacks" / "base.yaml", stacks)
    for env in ("qa", "dev"):
        shutil.copy(ROOT / "stacks" / "staging.yaml", stacks / f"{env}.yaml")
    # qa: the datasets key's digest has a zero after its 7-digit suffix (its key id ends ``<7 hex>00000``) where
    # dev's has not; dev: the launch templates' ``/dev/xvda`` and the trainer runtime's ``/dev/shm``.
    assert _digest("acme-ml-qa-datasets-key")[7] == "0" and _digest("acme-ml-dev-datasets-key")[7] != "0"
    code = main(["--stacks-dir", str(stacks), "diff", "--env", "dev", "--env", "qa", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    (entry,) = data["envs"]
    assert entry["env"] == "dev..qa" and entry["changes"] == []
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "dev", "--format", "json"]) == 0
    resources = len(json.loads(capsys.readouterr().out)["resources"])
    assert entry["counts"] == {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": resources, "blocking": 0}
