"""Workload-layer rules: team queues, accelerator flavors, interconnect of multi-node GPU pools.

They read the recorded Kueue objects and node pools (types and wire inputs), like every rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import Registration
from mlstack.engine.review.policy.base import Finding, Rule, as_list, finding, get

KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"
CLUSTER_QUEUE = f"{KUEUE}:ClusterQueue"
LOCAL_QUEUE = f"{KUEUE}:LocalQueue"
FLAVOR = f"{KUEUE}:ResourceFlavor"
NAMESPACE = "kubernetes:core/v1:Namespace"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GKE_POOL = "gcp:container/nodePool:NodePool"
TEAM_LABEL = "mlstack.io/team"
POOL_LABEL = "mlstack.io/pool"
ACCELERATOR_LABEL = "mlstack.io/accelerator"
GPU_TAINT = "nvidia.com/gpu"
GKE_SET_PREFIX = "cloud.google.com/"


def _team_namespaces(plan: Plan) -> Iterator[tuple[Registration, str]]:
    for r in plan.of_type(NAMESPACE):
        meta = r.inputs.get("metadata") or {}
        if TEAM_LABEL in (meta.get("labels") or {}):
            yield r, str(meta.get("name"))


def _local_queue(plan: Plan) -> Iterator[Finding]:
    queues = {get(r.inputs, "metadata.name") for r in plan.of_type(CLUSTER_QUEUE)}
    local = {get(r.inputs, "metadata.namespace"): get(r.inputs, "spec.clusterQueue") for r in plan.of_type(LOCAL_QUEUE)}
    for r, ns in _team_namespaces(plan):
        if ns not in local:
            yield finding(r, f"team namespace {ns} has no LocalQueue: its jobs are not queued, its quota not enforced by Kueue")
        elif local[ns] not in queues:
            yield finding(r, f"the LocalQueue of {ns} points at ClusterQueue {local[ns]!r}, which the plan does not create")


def pool_labels(r: Registration) -> dict[str, Any]:
    """A node pool's node labels (EKS node group ``labels``, GKE ``nodeConfig.labels``)."""
    return dict(r.inputs.get("labels") or get(r.inputs, "nodeConfig.labels") or {})


def _flavor_per_pool(plan: Plan) -> Iterator[Finding]:
    flavors = {get(r.inputs, "metadata.name"): get(r.inputs, "spec.nodeLabels") or {} for r in plan.of_type(FLAVOR)}
    for r in plan.of_type(NODE_GROUP) + plan.of_type(GKE_POOL):
        labels = pool_labels(r)
        if ACCELERATOR_LABEL not in labels or POOL_LABEL not in labels:
            continue
        pool = labels[POOL_LABEL]
        if pool not in flavors:
            yield finding(r, f"accelerator pool {pool} has no Kueue ResourceFlavor: no team quota can reach its accelerators")
        # GKE labels TPU nodes with their generation and topology itself (cloud.google.com/*): not in the inputs.
        elif any(labels.get(k) != v for k, v in flavors[pool].items() if not k.startswith(GKE_SET_PREFIX)):
            yield finding(r, f"ResourceFlavor {pool} selects labels {flavors[pool]} that the pool's nodes do not carry")


def _is_gpu_pool(r: Registration) -> bool:
    taints = as_list(r.inputs.get("taints")) + as_list(get(r.inputs, "nodeConfig.taints"))
    return ACCELERATOR_LABEL in pool_labels(r) and any(isinstance(t, dict) and t.get("key") == GPU_TAINT for t in taints)


def _max_nodes(r: Registration) -> int:
    value = get(r.inputs, "scalingConfig.maxSize", get(r.inputs, "autoscaling.totalMaxNodeCount", r.inputs.get("nodeCount", 0)))
    return value if isinstance(value, int) else 0


def _has_efa(plan: Plan, r: Registration) -> bool:
    templates = [t for t in plan.of_type(LAUNCH_TEMPLATE) if t.parent == r.parent]
    return any(
        isinstance(ni, dict) and ni.get("interfaceType") == "efa" for t in templates for ni in as_list(t.inputs.get("networkInterfaces"))
    )


def _interconnect(plan: Plan) -> Iterator[Finding]:
    for r in plan.of_type(NODE_GROUP):
        if _is_gpu_pool(r) and _max_nodes(r) >= 2 and not _has_efa(plan, r):
            yield finding(r, f"GPU pool can run {_max_nodes(r)} nodes but its launch template has no EFA interface: "
                             "multi-node NCCL falls back to TCP over the VPC network")
    for r in plan.of_type(GKE_POOL):
        if _is_gpu_pool(r) and _max_nodes(r) >= 2 and get(r.inputs, "placementPolicy.type") != "COMPACT":
            yield finding(r, f"GPU pool can run {_max_nodes(r)} nodes without COMPACT placement: its nodes may be far apart")


RULES = [
    Rule("MLS-WL-001", "Every team namespace has a LocalQueue", "A namespace without one bypasses queueing and Kueue's quotas.",
         ("no Checkov/Trivy id (Kueue administration guide)",), (CLUSTER_QUEUE,), _local_queue),
    Rule("MLS-WL-002", "Every accelerator pool has a Kueue ResourceFlavor", "A pool without one can never be used by a queued job.",
         ("no Checkov/Trivy id",), (FLAVOR,), _flavor_per_pool),
    Rule("MLS-WL-003", "Multi-node GPU pools have EFA (AWS) or compact placement (GCP)",
         "Without a fast fabric close by, multi-node all-reduce runs at a fraction of the GPUs' speed.",
         ("no Checkov/Trivy id (AWS EFA, GKE compact placement guides)",), (NODE_GROUP, GKE_POOL), _interconnect,
         always_advisory=True),
]
