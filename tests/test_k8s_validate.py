"""Every Kubernetes object the platform layer records validates against the Kubernetes schema, and every pod
spec is hardened with a pinned image."""

from __future__ import annotations

import pytest

from k8s_checks import (
    api_version_of,
    hardening_violations,
    image_pinned,
    manifests,
    record_sample_platform,
    validate_manifests,
)

KUBERNETES_VERSION = "1.33"


@pytest.fixture(scope="module", params=["aws", "onprem"])
def platform_plan(request):
    from mlstack.engine.plan.model import plan_program

    def record(program):
        return plan_program(program, project="acme-ml", env="test")

    return record_sample_platform(record, request.param)


def test_every_object_validates_strictly(platform_plan):
    items = manifests(platform_plan.resources)
    kinds = {m["kind"] for _, m in items}
    assert {"Namespace", "Deployment", "Job", "NetworkPolicy", "ResourceQuota", "StorageClass", "Secret"} <= kinds
    assert validate_manifests(items, KUBERNETES_VERSION) == []


def test_helm_releases_and_providers_are_not_manifests(platform_plan):
    types = {reg.type for reg, _ in manifests(platform_plan.resources)}
    assert "kubernetes:helm.sh/v3:Release" not in types
    assert not any(t.startswith("pulumi:providers:") for t in types)
    assert platform_plan.of_type("kubernetes:helm.sh/v3:Release")


def test_validation_catches_a_misspelt_field(platform_plan):
    reg, manifest = next((r, m) for r, m in manifests(platform_plan.resources) if m["kind"] == "ResourceQuota")
    bad = {**manifest, "spec": {**manifest["spec"], "hardd": {}}}
    errors = validate_manifests([(reg, bad)], KUBERNETES_VERSION)
    assert len(errors) == 1 and "hardd" in errors[0]


def test_every_pod_spec_is_hardened(platform_plan):
    assert hardening_violations(platform_plan.resources) == []


def test_every_kubernetes_resource_uses_the_explicit_provider(platform_plan):
    k8s_resources = [r for r in platform_plan.resources if r.type.startswith("kubernetes:")]
    assert k8s_resources
    assert {r.provider for r in k8s_resources} == {"test-k8s"}


def test_hardening_checker_reports_each_missing_setting(platform_plan):
    import copy

    reg = platform_plan.one("kubernetes:apps/v1:Deployment", "acme-ml-test-tracking-deployment")
    broken = copy.deepcopy(reg)
    pod = broken.inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    container["image"] = "ghcr.io/mlflow/mlflow:latest"
    container["securityContext"] = {"capabilities": {"drop": ["NET_RAW"]}}
    del pod["securityContext"]
    del container["resources"]["limits"]
    del container["livenessProbe"]
    pod["hostNetwork"] = True
    found = hardening_violations([broken])
    expected = [
        "hostNetwork",
        "no pinned tag",
        "runAsNonRoot",
        "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
        "drop ALL",
        "seccompProfile",
        "no limits.cpu",
        "no limits.memory",
        "no livenessProbe",
    ]
    for fragment in expected:
        assert any(fragment in v for v in found), (fragment, found)
    assert len(found) == len(expected)


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("ghcr.io/mlflow/mlflow:v2.17.2", True),
        ("registry.local:5000/mlflow@sha256:" + "a" * 64, True),
        ("registry.local:5000/mlflow", False),
        ("mlflow:latest", False),
        ("mlflow", False),
        ("ghcr.io/mlflow/mlflow:v2.17.2@sha256:" + "b" * 64, True),
    ],
)
def test_image_pinned(image, pinned):
    assert image_pinned(image) is pinned


def test_api_version_of_type_tokens():
    assert api_version_of("kubernetes:core/v1:Namespace") == ("v1", "Namespace")
    assert api_version_of("kubernetes:rbac.authorization.k8s.io/v1:Role") == ("rbac.authorization.k8s.io/v1", "Role")
    assert api_version_of("kubernetes:batch/v1:Job") == ("batch/v1", "Job")


def test_cached_validator_agrees_with_kubernetes_validate(platform_plan):
    import kubernetes_validate

    seen = set()
    for _, manifest in manifests(platform_plan.resources):
        key = (manifest["apiVersion"], manifest["kind"])
        if key in seen:
            continue
        seen.add(key)
        assert kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION
    assert len(seen) >= 12
