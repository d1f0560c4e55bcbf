"""Workload-layer rules every target shares: a LocalQueue per team namespace, a Kueue flavor per accelerator pool.

They read the recorded Kueue objects and the node labels any pool registration carries (``labels`` or
``nodeConfig.labels``), without naming a cloud's types.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mlstack.targets.policy import Finding, Rule, finding, get

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan
    from mlstack.engine.plan.recorder import Registration

KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"
CLUSTER_QUEUE = f"{KUEUE}:ClusterQueue"
LOCAL_QUEUE = f"{KUEUE}:LocalQueue"
FLAVOR = f"{KUEUE}:ResourceFlavor"
NAMESPACE = "kubernetes:core/v1:Namespace"
from mlstack.components.contract import ACCELERATOR_LABEL, POOL_LABEL, TEAM_LABEL
#: Node labels a managed Kubernetes service sets itself (GKE's TPU generation and topology): not in the inputs.
PROVIDER_SET_PREFIXES = ("cloud.google.com/",)


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
    """A node pool's node labels (``labels``, or ``nodeConfig.labels``); empty for anything else."""
    labels = r.inputs.get("labels") if r.custom and not r.type.startswith("kubernetes:") else None
    return dict(labels or get(r.inputs, "nodeConfig.labels") or {}) if isinstance(labels or {}, dict) else {}


def _flavor_per_pool(plan: Plan) -> Iterator[Finding]:
    flavors = {get(r.inputs, "metadata.name"): get(r.inputs, "spec.nodeLabels") or {} for r in plan.of_type(FLAVOR)}
    for r in plan.resources:
        if r.type.startswith("kubernetes:"):
            continue
        labels = pool_labels(r)
        if ACCELERATOR_LABEL not in labels or POOL_LABEL not in labels:
            continue
        pool = labels[POOL_LABEL]
        if pool not in flavors:
            yield finding(r, f"accelerator pool {pool} has no Kueue ResourceFlavor: no team quota can reach its accelerators")
        elif any(labels.get(k) != v for k, v in flavors[pool].items() if not k.startswith(PROVIDER_SET_PREFIXES)):
            yield finding(r, f"ResourceFlavor {pool} selects labels {flavors[pool]} that the pool's nodes do not carry")


RULES = [
    Rule("MLS-WL-001", "Every team namespace has a LocalQueue", "A namespace without one bypasses queueing and Kueue's quotas.",
         ("no Checkov/Trivy id (Kueue administration guide)",), (CLUSTER_QUEUE,), _local_queue),
    Rule("MLS-WL-002", "Every accelerator pool has a Kueue ResourceFlavor", "A pool without one can never be used by a queued job.",
         ("no Checkov/Trivy id",), (FLAVOR,), _flavor_per_pool),
]
