"""Every example plan: each Kubernetes object valid under versions.kubernetes in strict mode (Kueue, JobSet and
Trainer objects against the strict CRD schemas in tests/crd_schemas; other custom resources excepted), every pod spec mlstack renders hardened with a pinned image, every object on
the explicit provider. Pods inside Helm charts are not rendered here: policy rule MLS-K8S-001 checks their
values for root, and the charts' versions are pinned (MLS-K8S-008)."""

from __future__ import annotations


import pytest
from example_plans import example_plan
from k8s_checks import hardening_violations, is_manifest, manifests, validate_manifests

# CRDs without a schema here (kubernetes-validate has none); the operator's admission webhook checks them on apply.
CUSTOM = {"kubernetes:postgresql.cnpg.io/v1:Cluster"}


@pytest.fixture(scope="module", params=["staging", "prod", "onprem", "gcp-staging"])
def plan(request):
    return example_plan(request.param)


def test_kubernetes_objects_validate_strictly(plan):
    objects = manifests(r for r in plan.resources if r.type not in CUSTOM)
    assert len(objects) >= 39  # the platform layer alone has 39 (staging); on-prem and GCP add their services
    assert validate_manifests(objects, plan.outputs["versions"]["kubernetes"]) == []


def test_the_workload_layer_is_validated_against_its_crd_schemas(plan):
    kinds = {m["kind"] for _, m in manifests(plan.resources)}
    assert {"ResourceFlavor", "ClusterQueue", "LocalQueue", "WorkloadPriorityClass", "ClusterTrainingRuntime"} <= kinds


def test_pods_are_hardened_and_images_pinned(plan):
    assert hardening_violations(plan.resources) == []


def test_everything_on_the_cluster_uses_the_explicit_provider(plan):
    on_cluster = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert {r.provider for r in on_cluster} == {f"{plan.project}-{plan.env}-k8s"}
    (provider,) = plan.of_type("pulumi:providers:kubernetes")
    assert provider.name == f"{plan.project}-{plan.env}-k8s"
    assert provider.inputs["enableServerSideApply"] == "true"


def test_custom_resources_are_the_only_unvalidated_objects(plan):
    skipped = {r.type for r in plan.resources if is_manifest(r.type) and r.type in CUSTOM}
    assert skipped == (CUSTOM if plan.target["cloud"] == "onprem" else set())


def test_no_secret_value_reaches_the_plan_json(plan):
    """The mocks answer generated passwords with recognisable values; none may appear in the printed plan."""
    from mlstack.cli.render import plan_json

    text = plan_json(plan)
    assert "mock-password" not in text and "$2a$10$" not in text
    assert plan.outputs.get("kubeconfig", "[secret]") == "[secret]"
    for secret in plan.of_type("kubernetes:core/v1:Secret"):
        assert secret.inputs.get("stringData", "[secret]") == "[secret]", secret.urn
