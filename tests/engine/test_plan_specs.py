"""Several plans at once: forked workers give exactly the sequential plans; failures surface; equal specs share."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.engine.plan import planner
from mlstack.errors import EngineError
from mlstack.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"


def _dicts(plans):
    return [p.to_dict() for p in plans]


def test_workers_give_the_sequential_plans(monkeypatch):
    specs = [load_spec(env, STACKS) for env in ("onprem", "staging", "onprem")]
    monkeypatch.setattr(planner, "_workers", lambda count: 2)
    parallel = planner.plan_specs(specs)
    monkeypatch.setattr(planner, "_workers", lambda count: 1)
    sequential = planner.plan_specs(specs)
    assert _dicts(parallel) == _dicts(sequential)
    assert [p.env for p in parallel] == ["onprem", "staging", "onprem"]


def test_equal_specs_are_recorded_once(monkeypatch):
    calls = []
    monkeypatch.setattr(planner, "_record_all", lambda specs: calls.append(len(specs)) or [planner._record(s) for s in specs])
    specs = [load_spec("onprem", STACKS), load_spec("onprem", STACKS)]
    plans = planner.plan_specs(specs)
    assert calls == [1] and plans[0].to_dict() == plans[1].to_dict()


def test_a_worker_failure_is_raised_in_the_parent(monkeypatch):
    def broken(spec, pins=None):
        if spec.env == "staging":
            raise EngineError("the program failed: boom in staging")
        return real(spec, pins)

    real = planner._record
    monkeypatch.setattr(planner, "_record", broken)
    monkeypatch.setattr(planner, "_workers", lambda count: 2)
    with pytest.raises(EngineError, match="boom in staging"):
        planner.plan_specs([load_spec("onprem", STACKS), load_spec("staging", STACKS)])


def test_one_core_or_the_switch_means_no_workers(monkeypatch):
    monkeypatch.setenv("MLSTACK_PLAN_WORKERS", "1")
    assert planner._workers(3) == 1
    monkeypatch.delenv("MLSTACK_PLAN_WORKERS")
    assert planner._workers(1) == 1
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert planner._workers(3) == 1
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert planner._workers(3) == 3 and planner._workers(9) == 4


def test_the_sdk_class_of_a_type_token_is_found_as_the_sdk_names_it():
    import pulumi_aws
    import pulumi_kubernetes
    import pulumi_random

    assert planner._sdk_class("aws:iam/role:Role", ("pulumi_aws",)) is pulumi_aws.iam.Role
    assert planner._sdk_class("kubernetes:apps/v1:Deployment", ("pulumi_kubernetes",)) is pulumi_kubernetes.apps.v1.Deployment
    assert planner._sdk_class("kubernetes:helm.sh/v3:Release", ("pulumi_kubernetes",)) is pulumi_kubernetes.helm.v3.Release
    assert planner._sdk_class("random:index/randomPassword:RandomPassword", ("pulumi_random",)) is pulumi_random.RandomPassword
    assert planner._sdk_class("aws:iam/role:Role", ("pulumi_kubernetes",)) is None  # not one of this target's SDKs
    assert planner._sdk_class("kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", ("pulumi_kubernetes",)) is None  # a CR
    assert planner._sdk_class("mlstack:k8s:Platform", ("pulumi_kubernetes",)) is None


def test_the_preload_before_the_fork_imports_only_the_targets_sdks():
    import subprocess
    import sys

    code = ("import sys; from mlstack.engine.plan import planner; planner._preload({'onprem'}); "
            "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')})); "
            "print(len([m for m in sys.modules if m.startswith('pulumi_kubernetes.')]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout.split("\n")
    assert out[0] == "['pulumi_kubernetes', 'pulumi_random']"
    assert int(out[1]) > 20  # the API groups the on-prem plan registers, loaded before any worker starts
