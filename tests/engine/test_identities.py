"""Platform identities are defined once (``platform.identities``) and flow both ways: the target binds the
ServiceAccounts the platform layer creates. Renaming them in that one place renames them on both sides of a plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlstack.engine.plan import platform
from mlstack.targets.bindings import Identities

STACKS = Path(__file__).resolve().parents[2] / "stacks"
RENAMED = Identities(mlflow_namespace="tracking", mlflow_service_account="tracking-server", ci_namespace="ci-x",
                     ci_service_account="deployer")


def _plan(env: str, monkeypatch):
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec

    monkeypatch.setattr(platform, "identities", lambda spec: RENAMED)
    return plan_spec(load_spec(env, STACKS))


def _objects(plan, kind: str) -> dict[str, dict]:
    return {r.inputs["metadata"]["name"]: r.inputs for r in plan.of_type(f"kubernetes:core/v1:{kind}")}


def _trusted_subjects(plan) -> list[str]:
    subs = []
    for r in plan.of_type("aws:iam/role:Role"):
        for statement in json.loads(r.inputs["assumeRolePolicy"])["Statement"]:
            for values in (statement.get("Condition") or {}).values():
                subs += [v for k, v in values.items() if k.endswith(":sub") and str(v).startswith("system:serviceaccount:")]
    return sorted(subs)


def test_the_default_identities_are_the_contracts():
    from mlstack.components import contract

    assert platform.identities(None) == Identities(contract.MLFLOW_NAMESPACE, contract.MLFLOW_SERVICE_ACCOUNT,  # type: ignore[arg-type]
                                                   contract.CI_NAMESPACE, contract.CI_SERVICE_ACCOUNT)


def test_aws_binds_the_service_accounts_the_platform_creates(monkeypatch):
    plan = _plan("staging", monkeypatch)
    accounts = _objects(plan, "ServiceAccount")
    assert accounts["tracking-server"]["metadata"]["namespace"] == "tracking"
    assert accounts["deployer"]["metadata"]["namespace"] == "ci-x"
    assert "tracking" in _objects(plan, "Namespace") and "mlflow" not in _objects(plan, "Namespace")
    # the MLflow role's IRSA trust names exactly that ServiceAccount
    assert "system:serviceaccount:tracking:tracking-server" in _trusted_subjects(plan)
    assert not [s for s in _trusted_subjects(plan) if s.startswith("system:serviceaccount:mlflow:")]
    # the team's egress reaches the tracking server's namespace
    egress = [
        rule for r in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        for rule in r.inputs["spec"].get("egress", [])
        for peer in rule.get("to", [])
        if peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == "tracking"
    ]
    assert egress


@pytest.mark.parametrize("env", ["gcp-staging"])
def test_gcp_binds_the_service_account_the_platform_creates(env, monkeypatch):
    plan = _plan(env, monkeypatch)
    assert _objects(plan, "ServiceAccount")["tracking-server"]["metadata"]["namespace"] == "tracking"
    members = [r.inputs["member"] for r in plan.of_type("gcp:serviceaccount/iAMMember:IAMMember")]
    assert [m for m in members if m.endswith(".svc.id.goog[tracking/tracking-server]")]
    assert not [m for m in members if "[mlflow/" in m]
