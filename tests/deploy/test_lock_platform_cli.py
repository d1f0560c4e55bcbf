"""`up` records the cloud's versions in the lock; `up --locked` passes them to the program (which checks them with
the cloud before registering anything) and refuses a lock that does not name them; `plan` shows them."""

from __future__ import annotations

import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.engine.deploy import workspace as ws
from tests.lifecycle.fakes import FakeAutomation, FakeStack, copy_stacks, tiny_plan

# staging's cloud-chosen versions: its A100 pool is a Karpenter NodePool (no managed node group, no AMI release).
CHOSEN = {"addon/amazon-cloudwatch-observability": "v4.6.0-eksbuild.1", "addon/aws-efs-csi-driver": "v2.1.13-eksbuild.1", "addon/eks-node-monitoring-agent": "v1.7.0-eksbuild.1",
          "addon/vpc-cni": "v1.20.4-eksbuild.1", "addon/metrics-server": "v0.8.0-eksbuild.1",  # test data
          "addon/aws-mountpoint-s3-csi-driver": "v2.2.0-eksbuild.1",
          "control_plane": "eks.7", "node_pool/system": "1.36.2-20261103"}


@pytest.fixture
def setup(tmp_path, monkeypatch):
    programs: list = []
    plan = tiny_plan()
    plan.outputs["platform_versions"] = dict.fromkeys(CHOSEN)  # what the offline plan exports: chosen at deploy
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setattr("mlstack.engine.deploy.lifecycle.plan_for", lambda spec: plan)
    monkeypatch.setattr("mlstack.engine.plan.program.make_program",
                        lambda spec, pins=None, stamp=None, locked=None: programs.append(locked) or (lambda: None))
    auto = FakeAutomation(FakeStack([], outputs={"cluster_name": ("acme-ml-staging", False),
                                                 "platform_versions": (CHOSEN, False)}))
    ws.set_automation(lambda: auto)
    yield copy_stacks(tmp_path), programs, auto
    ws.set_automation(None)


def run(stacks, *args) -> int:
    return main(["--stacks-dir", str(stacks), *args])


def test_up_records_what_the_cloud_chose_and_locked_passes_it_back(setup, capsys):
    stacks, programs, auto = setup
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    lock = json.loads((stacks / "staging.lock.json").read_text())
    assert lock["lock_version"] == 3 and lock["platform"] == CHOSEN and lock["outputs"] == {"cluster_name": "acme-ml-staging"}
    first = programs[-1]
    assert dict(first.platform) == {} and first.verify is False
    assert first.digest_of(CHOSEN) == lk.lock_digest(lock)  # the environment's stamp is the written lock's digest

    capsys.readouterr()
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 0
    assert "  8 cloud version(s) from the lock, checked with the cloud before anything changes" in capsys.readouterr().out
    again = programs[-1]
    assert dict(again.platform) == CHOSEN and again.verify is True and again.digest_of(CHOSEN) == lk.lock_digest(lock)
    assert json.loads((stacks / "staging.lock.json").read_text()) == lock  # an identical re-deploy: an identical lock
    assert auto.calls.count(("up",)) == 2


def test_locked_refuses_a_lock_without_the_cloud_versions(setup, capsys):
    stacks, programs, auto = setup
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    path = stacks / "staging.lock.json"
    old = json.loads(path.read_text())
    old["lock_version"] = 2
    del old["platform"]
    path.write_text(json.dumps(old))
    before = path.read_bytes()
    capsys.readouterr()
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 2
    fix = "not in the lock (the lock predates it); run `mlstack up --env staging` without --locked to lock the version the cloud runs"
    assert capsys.readouterr().err == (
        f"error: --locked: {path} cannot be honoured, nothing was changed:\n"
        + "".join(f"  platform {key}: {fix}\n" for key in sorted(CHOSEN)))
    assert path.read_bytes() == before and auto.calls.count(("up",)) == 1 and len(programs) == 1


def test_plan_shows_the_locked_cloud_versions(tmp_path, capsys):
    from mlstack.spec import load_spec

    stacks = copy_stacks(tmp_path)
    lk.write_lock(lk.lock_path("staging", stacks), lk.build_lock(load_spec("staging", stacks), {}, {}, platform=CHOSEN))
    assert run(stacks, "plan", "--env", "staging", "--format", "json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["outputs"]["platform_versions"] == CHOSEN
    addons = {r["inputs"]["addonName"]: r["inputs"]["addonVersion"] for r in plan["resources"] if r["type"] == "aws:eks/addon:Addon"}
    assert addons == {"aws-efs-csi-driver": "v2.1.13-eksbuild.1", "eks-node-monitoring-agent": "v1.7.0-eksbuild.1",
                      "vpc-cni": "v1.20.4-eksbuild.1", "metrics-server": "v0.8.0-eksbuild.1",
                      "amazon-cloudwatch-observability": "v4.6.0-eksbuild.1",
                      "aws-mountpoint-s3-csi-driver": "v2.2.0-eksbuild.1"}
