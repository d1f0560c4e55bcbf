"""Identical environments: one base spec on every target gives the same Kubernetes objects, except the few
fields a target binds. The list of allowed differences is explicit and small; anything else fails."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

import pytest

from mlstack.catalog import load_catalog
from mlstack.components.k8s.efa_support import EFA_RESOURCE
from mlstack.components.k8s.tracking_migrate import migrate_job_name
from mlstack.components.k8s.trainer import RUNTIME_NAME

POOL_POD = "spec.template.spec.replicatedJobs[0].template.spec.template.spec"
REFERENCE = "staging"  # aws

# (kind, namespace, name) -> field paths (prefixes) a target binds.
ALLOWED = {
    ("StorageClass", "", "shared"): ("provisioner", "parameters"),  # the storage driver and its parameters
    ("ServiceAccount", "mlflow", "mlflow"): ("metadata.annotations",),  # the cloud identity MLflow runs as
    ("Deployment", "mlflow", "mlflow"): (
        "spec.template.spec.containers[0].command[12]",  # --artifacts-destination: the target's bucket URI
        "spec.template.spec.containers[0].env",  # the object store's endpoint and credentials where there is no cloud identity
        # AWS mounts its Python start-up hook (the reader of the rotating RDS password); others have none.
        "spec.template.spec.containers[0].volumeMounts",
        "spec.template.spec.volumes",
    ),
    # The scratch tier: its volumes' source (FSx CSI, GKE's Lustre CSI, an NFS export) and driver, and the size
    # the claims declare, which is the file system's (each service has its own sizes; docs/storage.md).
    ("StorageClass", "", "scratch"): ("provisioner",),
    ("PersistentVolume", "", "scratch-*"): ("spec.capacity.storage", "spec.csi", "spec.nfs", "spec.mountOptions"),
    ("PersistentVolumeClaim", "*", "scratch"): ("spec.resources.requests.storage",),
    ("RoleBinding", "*", "mlstack-ci"): ("subjects",),  # the Kubernetes group the cloud maps the CI identity to
    # A pool's Kueue flavor selects its nodes by mlstack.io/pool on the clouds (mlstack labels the nodes it
    # creates) and by the pool's selector on-prem (mlstack does not label existing nodes).
    ("ResourceFlavor", "", "*"): ("spec.nodeLabels",),
    # A GPU pool's training runtime selects the pool's nodes as its flavor does (above), and asks for the fabric
    # devices the target's nodes offer: every EFA interface of an AWS multi-node pool (none elsewhere here).
    ("ClusterTrainingRuntime", "", f"{RUNTIME_NAME}-*"): (
        f"{POOL_POD}.nodeSelector",
        f"{POOL_POD}.containers[0].resources.limits.{EFA_RESOURCE}",
        f"{POOL_POD}.containers[0].resources.requests.{EFA_RESOURCE}",
    ),
    # A GPU pool's verification Job lands on the pool's nodes as its flavor selects them (above); its gpu-metrics
    # check reads mlstack's DCGM exporter where the platform runs one, or says why it skips (GKE collects DCGM
    # itself), so its environment and egress differ there (docs/telemetry.md).
    ("Job", "mlstack-system", "mlstack-verify-gpu-*"): ("spec.template.spec.nodeSelector", "spec.template.spec.containers[0].env"),
    ("NetworkPolicy", "mlstack-system", "mlstack-verify-gpu-egress"): ("spec.egress",),
    # The schema migrations Job runs with the server's own environment and volumes (tracking_migrate.py).
    ("Job", "mlflow", migrate_job_name(f"ghcr.io/mlflow/mlflow:v{load_catalog().versions.mlflow}-full", ["applied", "mlstack-verify", "research"])): (
        "spec.template.spec.containers[0].env",
        "spec.template.spec.containers[0].volumeMounts",
        "spec.template.spec.initContainers[0].env",
        "spec.template.spec.initContainers[0].volumeMounts",
        "spec.template.spec.volumes",
    ),
}
# Differences the environment's own spec makes (not the target): gcp-staging gives a team a TPU quota, as
# only GCP has TPUs.
# The verification Job's NCCL check says why it skips, naming the pool's state, which the spec decides:
# staging's a100 scales to one node; gcp-staging's names no single zone and on-prem's pools are not placed.
NCCL_SKIP = (("Job", "mlstack-system", "mlstack-verify"), "spec.template.spec.containers[0].env[12].value")
SPEC_CHOICES = {
    "onprem": dict([NCCL_SKIP]),
    "gcp-staging": {
        NCCL_SKIP[0]: NCCL_SKIP[1],
        ("ResourceQuota", "research", "team-quota"): "spec.hard.requests.google.com/tpu",
        # The TPU pool's flavor adds a google.com/tpu resource group to every team's ClusterQueue.
        ("ClusterQueue", "", "research"): "spec.resourceGroups",
        ("ClusterQueue", "", "applied"): "spec.resourceGroups",
    },
}
# Objects the reference (aws) has and a target does not, and why.
MISSING_ON = {
    # GKE runs its own NVIDIA device plugin with the driver it installs.
    "gcp-staging": {
        ("Namespace", "", "nvidia-device-plugin"),
        ("Release", "nvidia-device-plugin", "nvidia-device-plugin"),
        ("ConfigMap", "mlflow", "mlflow-python"),  # AWS's RDS password hook: Cloud SQL's password is not rotated
        # GKE collects the GPUs' DCGM metrics itself (its managed DCGM component): no exporter of mlstack's.
        ("Namespace", "", "gpu-telemetry"),
        ("Release", "gpu-telemetry", "dcgm-exporter"),
        ("Service", "gpu-telemetry", "dcgm-exporter-node"),  # the verification's node-local route to it
    },
    "onprem": {("ConfigMap", "mlflow", "mlflow-python")},  # likewise: the in-cluster Postgres password is fixed
}
# Objects only one side has, and why.
ONLY_ON = {
    "gcp-staging": {("ResourceFlavor", "", "v5e")},  # the environment's TPU pool (only GCP has TPUs)
    "onprem": {
        ("Secret", "mlflow", "mlflow-env"),  # the object store's credentials (clouds use workload identity instead)
        ("Secret", "mlstack-ci", "mlstack-ci-token"),  # a CI token (clouds federate the CI's OIDC identity)
    },
}


def platform_objects(plan) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every Kubernetes object under the platform component of ``plan``, keyed by (kind, namespace, name)."""
    (platform,) = plan.of_type("mlstack:k8s:Platform")
    below, grown = {platform.urn}, True
    while grown:  # the whole subtree, however deep
        grown = False
        for r in plan.resources:
            if r.parent in below and r.urn not in below:
                below.add(r.urn)
                grown = True
    objects = {}
    for r in plan.resources:
        if r.urn in below and r.type.startswith("kubernetes:"):
            # Helm releases carry name and namespace at the top; manifests in metadata.
            meta = r.inputs.get("metadata") or r.inputs
            kind = r.inputs.get("kind") or r.type.rsplit(":", 1)[-1]
            text = json.dumps(r.inputs).replace(plan.env, "<env>")
            objects[(kind, meta.get("namespace", ""), meta["name"])] = json.loads(text)
    return objects


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in differences(a.get(k), b.get(k), f"{path}.{k}".lstrip("."))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path]


def allowed(key: tuple[str, str, str], path: str) -> bool:
    kind, namespace, name = key
    for (k, ns, n), prefixes in ALLOWED.items():
        if k == kind and fnmatchcase(name, n) and ns in (namespace, "*") and path.startswith(prefixes):
            return True
    return False


@pytest.fixture(scope="module")
def reference(example_plan):
    return platform_objects(example_plan(REFERENCE))


@pytest.mark.parametrize("env", ["onprem", "gcp-staging"])
def test_same_kubernetes_objects_on_every_target(reference, env, example_plan):
    other = platform_objects(example_plan(env))
    assert len(reference) >= 40
    assert set(other) - set(reference) == ONLY_ON.get(env, set())
    assert set(reference) - set(other) == MISSING_ON.get(env, set())
    choices = SPEC_CHOICES.get(env, {})
    unexpected = [
        f"{key}: {path}"
        for key in sorted(set(reference) & set(other))
        for path in differences(reference[key], other[key])
        if not allowed(key, path) and choices.get(key) != path
    ]
    assert unexpected == []


def test_the_allowed_differences_are_real(reference, example_plan):
    """Each allowance is used by some target: the list stays as small as the targets make it."""
    used = set()
    for env in ("onprem", "gcp-staging"):  # the GPU Jobs' egress differs only where GKE collects DCGM itself
        other = platform_objects(example_plan(env))
        used |= {
            (k, ns, n)
            for (k, ns, n), prefixes in ALLOWED.items()
            for key in set(reference) & set(other)
            if key[0] == k and fnmatchcase(key[2], n) and ns in (key[1], "*")
            and any(p.startswith(prefixes) for p in differences(reference[key], other[key]))
        }
    assert used == set(ALLOWED)
