"""EKS add-on versions checked before ``up --locked`` registers anything: a locked version EKS no longer offers is
refused with its name and the way out; EKS is asked through boto3's DescribeAddonVersions (every page), whose
requests and responses are checked here against botocore's own EKS service model (botocore's Stubber); without
boto3 the program warns and deploys. moto's server cannot serve this: moto 5.2.5's EKS backend has no add-on
calls (its URL map has clusters, node groups, Fargate profiles and tags only)."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from mlstack.errors import EngineError
from mlstack.targets.aws import addon_versions
from mlstack.targets.aws.addon_versions import Offered, addon_problems, boto3_offered
from tests.deploy.test_lock_platform import EKS_LOCK, EKS_OFFERED, CloudMocks, offer_addons, run_locked, staging

AGAIN = "run `mlstack up --env staging` without --locked to lock what EKS offers now"


def _client():
    return boto3.client("eks", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")


def _page(addon: str, *versions: str, token: str | None = None) -> dict:
    page = {"addons": [{"addonName": addon, "type": "networking", "addonVersions": [
        {"addonVersion": v, "architecture": ["amd64", "arm64"],
         "compatibilities": [{"clusterVersion": "1.36", "platformVersions": ["*"], "defaultVersion": i == 0}]}
        for i, v in enumerate(versions)]}]}
    return {**page, "nextToken": token} if token else page


def test_boto3_asks_describe_addon_versions_for_every_page():
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("describe_addon_versions", _page("vpc-cni", "v1.21.0-eksbuild.2", token="t1"),
                          {"addonName": "vpc-cni", "kubernetesVersion": "1.36"})
        stub.add_response("describe_addon_versions", _page("vpc-cni", "v1.20.4-eksbuild.1"),
                          {"addonName": "vpc-cni", "kubernetesVersion": "1.36", "nextToken": "t1"})
        offered = boto3_offered("us-west-2", client)
        assert offered is not None
        assert offered.versions("vpc-cni", "1.36") == {"v1.21.0-eksbuild.2", "v1.20.4-eksbuild.1"}
        stub.assert_no_pending_responses()


def test_an_eks_error_is_a_lookup_error_named_in_the_refusal():
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("describe_addon_versions", "AccessDeniedException", "not authorized to perform eks:DescribeAddonVersions", 403)
        offered = boto3_offered("us-west-2", client)
        assert offered is not None
        assert addon_problems({"vpc-cni": "v1.20.4-eksbuild.1"}, "1.36", AGAIN, offered) == [
            "addon/vpc-cni: EKS could not be asked which versions it offers (An error occurred (AccessDeniedException) "
            "when calling the DescribeAddonVersions operation: not authorized to perform eks:DescribeAddonVersions); "
            "the deploy needs eks:DescribeAddonVersions and the credentials it deploys with"]


def test_a_withdrawn_version_is_named_with_the_newest_offered():
    offered = {"vpc-cni": {"v1.19.2-eksbuild.5", "v1.21.0-eksbuild.2", "v1.20.10-eksbuild.1", "v1.20.9-eksbuild.1"},
               "metrics-server": {"v0.8.0-eksbuild.1"}}
    locked = {"vpc-cni": "v1.20.4-eksbuild.1", "metrics-server": "v0.8.0-eksbuild.1", "gone": "v1.0.0-eksbuild.1"}
    assert addon_problems(locked, "1.36", AGAIN, Offered(versions=lambda a, k: offered.get(a, set()))) == [
        f"addon/gone: EKS no longer offers version v1.0.0-eksbuild.1 for Kubernetes 1.36 (newest offered: none); {AGAIN}",
        "addon/vpc-cni: EKS no longer offers version v1.20.4-eksbuild.1 for Kubernetes 1.36 (newest offered: "
        f"v1.21.0-eksbuild.2, v1.20.10-eksbuild.1, v1.20.9-eksbuild.1); {AGAIN}",
    ]


def test_up_locked_refuses_a_withdrawn_add_on_before_any_resource(monkeypatch):
    offered = {k.removeprefix("addon/"): {v} for k, v in EKS_LOCK.items() if k.startswith("addon/")}
    offer_addons(monkeypatch, {**offered, "vpc-cni": {"v1.21.0-eksbuild.2"}})
    mocks = CloudMocks(EKS_OFFERED)
    with pytest.raises(EngineError) as err:
        run_locked(staging(), EKS_LOCK, mocks)
    assert str(err.value) == (
        "the lock of staging cannot be honoured, nothing was changed:\n"
        "  addon/vpc-cni: EKS no longer offers version v1.20.4-eksbuild.1 for Kubernetes 1.36 (newest offered: "
        f"v1.21.0-eksbuild.2); {AGAIN}")
    assert [t for t in mocks.registered if t != "pulumi:pulumi:Stack"] == []


def test_without_boto3_the_program_warns_and_deploys(monkeypatch):
    import pulumi

    warnings: list[str] = []
    monkeypatch.setattr(addon_versions, "boto3_offered", lambda region, client=None: None)
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    monitor = run_locked(staging(), EKS_LOCK, CloudMocks(EKS_OFFERED))
    assert warnings == [addon_versions.NOT_CHECKED]
    assert len(monitor.registrations) > 200
