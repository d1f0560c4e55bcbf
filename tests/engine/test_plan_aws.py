"""The AWS example plans: golden JSON, determinism, protection, mapping and Kubernetes validity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack.cli.render import plan_json
from mlstack.engine.review.planning import plan_env
from golden import check_golden
from k8s_checks import hardening_violations, manifests, validate_manifests

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
STATEFUL = (
    "aws:eks/cluster:Cluster",
    "aws:s3/bucket:Bucket",
    "aws:efs/fileSystem:FileSystem",
    "aws:rds/instance:Instance",
    "aws:ecr/repository:Repository",
)


@pytest.fixture(scope="module")
def staging(example_plan):
    return example_plan("staging")


@pytest.fixture(scope="module")
def prod(example_plan):
    return example_plan("prod")


def test_golden_plan(staging):
    check_golden("plan/staging.json", plan_json(staging))


def test_two_plans_in_one_process_are_byte_identical(staging):
    assert plan_json(plan_env("staging", STACKS)) == plan_json(staging)


def test_summary_counts_match_the_resources(staging):
    summary = staging.summary()
    assert summary["resources"] == len(staging.resources) == sum(summary["by_type"].values())
    assert summary["by_type"]["aws:eks/nodeGroup:NodeGroup"] == 1  # the system floor; Karpenter adds the rest
    assert summary["by_type"]["kubernetes:karpenter.sh/v1:NodePool"] == 2
    assert summary["by_type"]["aws:s3/bucket:Bucket"] == 3  # datasets, artifacts, audit logs


def test_prod_protects_every_stateful_resource(prod):
    for type_ in STATEFUL:
        found = prod.of_type(type_)
        assert found, type_
        for r in found:
            assert (r.protect, r.retain_on_delete) == (True, True), r.urn


def test_staging_protects_nothing(staging):
    assert [r.urn for r in staging.resources if r.protect or r.retain_on_delete] == []


def test_gpu_pool_comes_from_the_catalogue(staging, prod):
    # prod keeps managed node groups (the Cluster Autoscaler); staging's pool is a Karpenter NodePool
    # (tests/engine/test_plan_capacity.py).
    a100 = prod.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-prod-a100")
    assert a100.inputs["instanceTypes"] == ["p4de.24xlarge"]
    assert a100.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert a100.inputs["capacityType"] == "ON_DEMAND"
    assert a100.inputs["scalingConfig"] == {"desiredSize": 0, "maxSize": 4, "minSize": 0}
    assert a100.inputs["taints"] == [{"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "present"}]
    # p4de.24xlarge has EFA: the pool is multi-node by default (docs/platform.md, Interconnect).
    assert a100.inputs["labels"] == {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/efa": "true", "mlstack.io/pool": "a100"}
    pool = staging.one("kubernetes:karpenter.sh/v1:NodePool", "acme-ml-staging-a100-karpenter")
    requirements = pool.inputs["spec"]["template"]["spec"]["requirements"]
    assert requirements[-1] == {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p4de.24xlarge"]}


def test_versions_flow_from_the_spec(staging, prod):
    cluster = staging.one("aws:eks/cluster:Cluster", "acme-ml-staging-cluster")
    assert cluster.inputs["version"] == "1.36"
    assert staging.outputs["versions"] == {"gpu_device_plugin": "0.20.0", "kubernetes": "1.36", "mlflow": "3.17.2", "postgres": "16"}
    # The autoscaler runs the CA release of the cluster's minor, not the chart's default (9.59.0 defaults to 1.35).
    autoscaler = prod.one("kubernetes:helm.sh/v3:Release", "acme-ml-prod-autoscaler")
    assert (autoscaler.inputs["chart"], autoscaler.inputs["version"]) == ("cluster-autoscaler", "9.59.0")
    assert autoscaler.inputs["values"]["image"] == {
        "repository": "registry.k8s.io/autoscaling/cluster-autoscaler", "tag": "v1.36.1", "pullPolicy": "IfNotPresent"}
    mlflow = staging.one("kubernetes:apps/v1:Deployment", "acme-ml-staging-platform-tracking-deployment")
    (container,) = [c for c in mlflow.inputs["spec"]["template"]["spec"]["containers"] if c["name"] == "mlflow"]
    assert container["image"] == "ghcr.io/mlflow/mlflow:v3.17.2-full"


def test_every_kubernetes_resource_uses_the_explicit_provider(staging):
    k8s = [r for r in staging.resources if r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"]
    assert len(k8s) > 30
    assert {r.provider for r in k8s} == {"acme-ml-staging-k8s"}


def test_every_kubernetes_object_is_valid_and_hardened(staging):
    objects = manifests(staging.resources)
    assert len(objects) > 30
    assert validate_manifests(objects, "1.36") == []
    assert hardening_violations(staging.resources) == []


def test_secrets_never_reach_the_plan(staging):
    text = plan_json(staging)
    assert "mock-password" not in text
    assert staging.outputs["kubeconfig"] == "[secret]"
    secrets = staging.of_type("kubernetes:core/v1:Secret")
    assert [s.name for s in secrets] == [
        "acme-ml-staging-platform-tracking-admin",
        "acme-ml-staging-platform-tracking-config",
        "acme-ml-staging-platform-tracking-user-applied",  # the teams' MLflow users, in their namespaces
        "acme-ml-staging-platform-tracking-user-research",
        "acme-ml-staging-platform-verify-mlflow",
    ]
    assert {s.inputs["stringData"] for s in secrets} == {"[secret]"}


@pytest.mark.parametrize(
    ("env", "sdks"),
    [
        ("staging", ["pulumi_aws", "pulumi_kubernetes", "pulumi_random"]),
        ("onprem", ["pulumi_kubernetes", "pulumi_random"]),
        ("gcp-staging", ["pulumi_gcp", "pulumi_kubernetes", "pulumi_random"]),
    ],
)
def test_a_plan_imports_only_its_targets_sdk(env, sdks):
    code = (
        "import sys; from mlstack.engine.review.planning import plan_env; from pathlib import Path; "
        f"plan_env({env!r}, Path({str(STACKS)!r})); "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pulumi_')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(out.strip().replace("'", '"')) == sdks


def test_trainium_pools_get_the_neuron_device_plugin(tmp_path, staging):
    import shutil

    from mlstack.engine.review.planning import plan_env as plan

    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    # On the Cluster Autoscaler (prod's default), so that the pool is a managed node group.
    text = (stacks / "staging.yaml").read_text().replace("  autoscaler: karpenter", "  autoscaler: cluster-autoscaler").replace(
        "  a100:\n", "  trn:\n    accelerator: aws-trainium\n    gpus_per_node: 16\n    max: 1\n  a100:\n", 1
    ).replace("    capacity: [reserved, spot, on-demand]\n    reservation: {id: cr-0123456789abcdef0, capacity_block: true}\n", "")
    (stacks / "staging.yaml").write_text(text)
    trn = plan("staging", stacks)
    release = trn.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-neuron")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "oci://public.ecr.aws/neuron/neuron-helm-chart", "1.10.0", "kube-system"
    )
    assert release.inputs["values"] == {"npd": {"enabled": False}, "devicePlugin": {"image": {
        "repository": "public.ecr.aws/neuron/neuron-device-plugin", "tag": "2.32.0.0", "pullPolicy": "IfNotPresent"}}}
    assert release.provider == "acme-ml-staging-k8s"
    group = trn.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-trn")
    assert (group.inputs["amiType"], group.inputs["instanceTypes"]) == ("AL2023_x86_64_NEURON", ["trn1.32xlarge"])
    assert group.inputs["taints"] == [{"effect": "NO_SCHEDULE", "key": "aws.amazon.com/neuron", "value": "present"}]
    assert not [r for r in staging.resources if "neuron" in r.name]  # only where a pool has Neuron devices
