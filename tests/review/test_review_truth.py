"""Review output must not lie: `diff --base` shows an environment the change deletes (every resource deleted,
blocking where protected) and one it adds; a replacement takes its dependants with it (replaced or at risk, a
protected one blocking), found from the plan's property dependencies and the packs' replace rules; parity names
every accelerator pool once."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.engine.review.cascade import cascade, dependants
from mlstack.engine.review.diff import diff_plans

from .fixtures import plan, reg

ROOT = Path(__file__).resolve().parents[2]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "stacks")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def _diff(capsys, stacks: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--stacks-dir", str(stacks), "diff", "--base", "HEAD", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _plan_of(env: str):
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec

    return plan_spec(load_spec(env, ROOT / "stacks"))


def test_a_deleted_environment_deletes_every_resource_and_its_protected_ones_block(repo, capsys, monkeypatch):
    monkeypatch.setenv("MLSTACK_NO_PLAN_CACHE", "1")
    (repo / "stacks" / "prod.yaml").unlink()
    code, out, err = _diff(capsys, repo / "stacks", "--env", "prod", "--format", "json", "--fail-on", "mandatory")
    prod = _plan_of("prod")
    entry = next(e for e in json.loads(out)["envs"] if e["env"] == "prod")
    assert (entry["deleted_env"], entry["new_env"]) == (True, False)
    assert {c["action"] for c in entry["changes"]} == {"delete"}
    assert sorted(c["urn"] for c in entry["changes"]) == sorted(r.urn for r in prod.resources)
    protected = sorted(r.urn for r in prod.resources if r.protect)
    assert protected and sorted(c["urn"] for c in entry["changes"] if c["blocking"]) == protected
    assert entry["counts"]["delete"] == len(prod.resources) and entry["counts"]["blocking"] == len(protected)
    assert code == 3 and f"gate failed: --fail-on mandatory: prod deletes or replaces {len(protected)} protected resource(s): " in err


def test_without_env_the_review_covers_the_environments_of_both_sides(repo, monkeypatch):
    from mlstack.engine.review import report

    (repo / "stacks" / "onprem.yaml").unlink()
    shutil.copy(repo / "stacks" / "staging.yaml", repo / "stacks" / "qa.yaml")
    monkeypatch.setattr("mlstack.engine.plan.planner.plan_specs", lambda specs: [_empty(s) for s in specs])
    review = report.review_ref(None, repo / "stacks", "HEAD")
    assert [(e.label, e.new_env, e.deleted_env) for e in review.entries] == [
        ("gcp-staging", False, False), ("onprem", False, True), ("prod", False, False), ("qa", True, False),
        ("staging", False, False)]


def _empty(spec):
    from mlstack.engine.review.diff import empty_plan

    return empty_plan(spec.project, spec.env)


def test_the_deleted_environment_in_the_comment_and_by_name(repo, capsys):
    (repo / "stacks" / "prod.yaml").unlink()
    code, out, _ = _diff(capsys, repo / "stacks", "--env", "prod", "--format", "markdown")
    assert code == 0
    assert "| prod (deleted) |" in out
    assert "<summary><b>prod</b> (deleted environment: every resource is deleted):" in out
    code, _, err = _diff(capsys, repo / "stacks", "--env", "nowhere")
    assert code == 2 and "unknown environment 'nowhere'" in err


def test_an_added_environment_creates_every_resource(repo, capsys):
    shutil.copy(repo / "stacks" / "staging.yaml", repo / "stacks" / "qa.yaml")
    code, out, _ = _diff(capsys, repo / "stacks", "--env", "qa", "--format", "json")
    entry = next(e for e in json.loads(out)["envs"] if e["env"] == "qa")
    assert (entry["new_env"], entry["deleted_env"]) == (True, False)
    assert {c["action"] for c in entry["changes"]} == {"create"} and entry["counts"]["blocking"] == 0


VPC, SUBNET, CLUSTER = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:eks/cluster:Cluster"
GROUP, DB_SUBNETS, DB = "aws:eks/nodeGroup:NodeGroup", "aws:rds/subnetGroup:SubnetGroup", "aws:rds/instance:Instance"


def _net(cidr: str, *, protect_cluster: bool):
    vpc = reg(VPC, "vpc", {"cidrBlock": cidr})
    subnet = reg(SUBNET, "private-0", {"cidrBlock": "10.0.0.0/19", "vpcId": "vpc-1"})
    subnet.input_deps = {"vpcId": [vpc.urn]}
    cluster = reg(CLUSTER, "cluster", {"name": "c", "vpcConfig": {"subnetIds": ["subnet-1"]}}, protect=protect_cluster)
    cluster.input_deps = {"vpcConfig": [subnet.urn]}
    group = reg(GROUP, "gpu", {"clusterName": "c", "subnetIds": ["subnet-1"]})
    group.input_deps = {"clusterName": [cluster.urn], "subnetIds": [subnet.urn]}
    db_subnets = reg(DB_SUBNETS, "db-subnets", {"subnetIds": ["subnet-1"]})
    db_subnets.input_deps = {"subnetIds": [subnet.urn]}
    db = reg(DB, "db", {"dbSubnetGroupName": "db-subnets-1"}, protect=True)
    db.input_deps = {"dbSubnetGroupName": [db_subnets.urn]}
    return plan(vpc, subnet, cluster, group, db_subnets, db)


def test_a_replaced_vpc_takes_its_subnets_node_groups_and_puts_the_cluster_at_risk():
    d = diff_plans(_net("10.0.0.0/16", protect_cluster=True), _net("10.1.0.0/16", protect_cluster=True))
    by = {c.name: c for c in d.changes}
    assert (by["vpc"].action, by["vpc"].caused_by) == ("replace", "")
    assert (by["private-0"].action, by["private-0"].caused_by, by["private-0"].blocking) == ("replace", "vpc", False)
    assert [(p.path, p.forces_replacement) for p in by["private-0"].properties] == [("vpcId", True)]
    assert (by["gpu"].action, by["gpu"].caused_by) == ("replace", "private-0")  # subnetIds forces replacement
    cluster = by["cluster"]
    assert (cluster.action, cluster.at_risk, cluster.caused_by, cluster.blocking) == ("update", True, "private-0", True)
    assert cluster.reason == "a protected resource at risk: private-0 is replaced"
    assert (by["db-subnets"].action, by["db-subnets"].at_risk) == ("update", True)  # subnetIds update in place
    assert "db" not in by  # its subnet group is updated, not replaced: nothing new reaches the database
    assert d.counts() == {"create": 0, "update": 2, "replace": 3, "delete": 0, "same": 1, "blocking": 1}


def test_a_replaced_db_subnet_group_puts_the_protected_database_at_risk_or_replaces_it():
    base = _net("10.0.0.0/16", protect_cluster=False)
    head = _net("10.0.0.0/16", protect_cluster=False)
    head.resources = [r if r.type != DB_SUBNETS else reg(DB_SUBNETS, "db-subnets", {"subnetIds": ["subnet-1"], "name": "new"})
                      for r in head.resources]
    head.resources[[r.type for r in head.resources].index(DB_SUBNETS)].input_deps = {"subnetIds": [head.resources[0].urn]}
    d = diff_plans(base, head)
    by = {c.name: c for c in d.changes}
    from mlstack.engine.review.replace_rules import forces_replacement

    assert by["db-subnets"].action == "replace"
    db = by["db"]
    expect = "replace" if forces_replacement(DB, "dbSubnetGroupName") else "update"
    assert (db.action, db.caused_by, db.blocking, db.at_risk) == (expect, "db-subnets", True, expect == "update")


def test_dependants_are_read_from_the_recorded_property_dependencies_of_a_real_plan():
    prod = _plan_of("prod")
    links = dependants(prod)
    subnet = next(r for r in prod.resources if r.type == SUBNET and r.name == "acme-ml-prod-network-private-0")
    takers = {(next(r for r in prod.resources if r.urn == u).type, prop) for u, prop in links[subnet.urn]}
    assert {(CLUSTER, "vpcConfig"), (GROUP, "subnetIds"), (DB_SUBNETS, "subnetIds"),
            ("aws:efs/mountTarget:MountTarget", "subnetId")} <= takers
    db = next(r for r in prod.resources if r.type == DB)
    assert db.input_deps["dbSubnetGroupName"] == [next(r.urn for r in prod.resources if r.type == DB_SUBNETS)]


def test_a_new_vpc_cidr_in_prod_blocks_on_the_cluster_and_the_database(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTACK_NO_PLAN_CACHE", "1")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "stacks")
    _git(tmp_path, "commit", "-q", "-m", "base")
    prod = tmp_path / "stacks" / "prod.yaml"
    prod.write_text(prod.read_text() + "network: {cidr: 10.1.0.0/16}\n")
    code, out, _ = _diff(capsys, tmp_path / "stacks", "--env", "prod", "--format", "json")
    (entry,) = json.loads(out)["envs"]
    blocking = sorted((c["type"], c["action"], c["at_risk"]) for c in entry["changes"] if c["blocking"])
    # The cluster and the database; and the platform's protected namespaces and claims, which go with what they
    # wait for (tests/review/test_cascade_dependencies.py).
    assert blocking == [(CLUSTER, "update", True), (DB, "update", True), *[("kubernetes:core/v1:Namespace", "update", True)] * 2,
                        *[("kubernetes:core/v1:PersistentVolumeClaim", "update", True)] * 3]
    groups = [c for c in entry["changes"] if c["type"] == GROUP]
    assert groups and all(c["action"] == "replace" and c["caused_by"].startswith("acme-ml-prod-network-private-") for c in groups)
    assert code == 0


def test_two_environments_are_not_a_cascade(capsys):
    assert main(["diff", "--env", "staging", "--env", "prod", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["envs"]
    assert not [c for c in entry["changes"] if c["at_risk"] or c["caused_by"]]


def test_cascade_leaves_a_diff_without_replacements_alone():
    a = _net("10.0.0.0/16", protect_cluster=True)
    assert cascade(a, a, []) == []


@pytest.mark.parametrize(("overlay", "env", "expect"), [
    # Two GPU pools on premise: both named (the pools' selectors), not only the one the verify Job runs on.
    ("extends: onprem.yaml\nnode_pools:\n  l4:\n    accelerator: nvidia-l4\n    gpus_per_node: 1\n"
     "    selector: {mlstack.io/accelerator: nvidia-l4}\n", "two", "nvidia-a100-80gb, nvidia-l4 (existing nodes)"),
    # A T4 pool on GKE is one accelerator, not nvidia-t4 and nvidia-tesla-t4.
    ("extends: gcp-staging.yaml\nnode_pools:\n  t4: {accelerator: nvidia-t4, gpus_per_node: 1, max: 2}\n", "two",
     "nvidia-a100-80gb, nvidia-t4, tpu-v5e"),
    ("extends: staging.yaml\nnode_pools:\n  l4: {accelerator: nvidia-l4, gpus_per_node: 1, max: 2}\n", "two",
     "nvidia-a100-80gb, nvidia-l4"),
])
def test_parity_names_every_accelerator_pool_once(tmp_path, capsys, overlay, env, expect):
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks, ignore=shutil.ignore_patterns("*.lock.json"))
    (stacks / f"{env}.yaml").write_text(overlay)
    assert main(["--stacks-dir", str(stacks), "parity", "--env", env, "--format", "json"]) == 0
    cell = json.loads(capsys.readouterr().out)["capabilities"]["accelerators"][env]
    assert cell == {"status": "native", "detail": expect}
