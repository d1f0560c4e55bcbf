"""The AWS table's node-provisioning entries: Karpenter (controller, NodePools, EC2NodeClasses), its interruption
queue, and the Cluster Autoscaler; cost, parity and replace triggers (merged into ``table.TYPES``).

NodePools are priced as their first capacity type from 0 to their most nodes (the ``mlstack.io/max-nodes``
annotation the component records); reserved capacity at the on-demand rate, which an open capacity reservation
bills whether used or not, with a note (a Capacity Block is prepaid at its own price, not in the table).
Replace triggers: Karpenter's objects are updated in place (a changed NodePool or EC2NodeClass drifts its
nodes, which the disruption budgets pace); the SQS queue policy and EventBridge targets are in ``table.py``.
"""

from __future__ import annotations

from typing import Any

from mlstack.components.contract import POOL_LABEL
from mlstack.targets.base import AcceleratorHint, Parity, ResourceType, State

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
MAX_NODES = "mlstack.io/max-nodes"
CAPACITY_BLOCK = "mlstack.io/capacity-block"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def requirements(inputs: State) -> dict[str, list[Any]]:
    """A NodePool's ``In`` requirements: key -> values."""
    spec = ((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {str(q.get("key")): list(q.get("values") or []) for q in spec.get("requirements") or []
            if isinstance(q, dict) and q.get("operator") == "In"}


def _cost_node_pool(c: Any, r: Any, plan: Any) -> None:
    meta = r.inputs.get("metadata") or {}
    notes = (meta.get("annotations") or {})
    reqs = requirements(r.inputs)
    types = [str(t) for t in reqs.get("node.kubernetes.io/instance-type") or []] or ["?"]
    first = str((reqs.get("karpenter.sh/capacity-type") or ["on-demand"])[0])
    said = [f"Karpenter NodePool, priced as its first capacity type ({first})"]
    if len(types) > 1:
        said.append(f"first of {len(types)} instance types")
    if first == "reserved":
        said.append("a Capacity Block is prepaid at its own price (not in the table): on-demand rate shown"
                    if notes.get(CAPACITY_BLOCK) == "true" else
                    "a capacity reservation bills the on-demand rate whether used or not")
    c.pool(_cost_name(r, plan), types[0], first == "spot", 0, int(notes.get(MAX_NODES) or 0), "; ".join(said))


def _cost_name(r: Any, plan: Any) -> str:
    """The pool's own name when the NodePool is the whole pool (no managed floor, the first of its fallbacks), so
    the teams' quotas on it are priced; else ``<object> (karpenter)`` beside the floor's node group."""
    spec = r.inputs.get("spec") or {}
    pool = str((((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}).get(POOL_LABEL) or "")
    floors = {str((g.inputs.get("labels") or {}).get(POOL_LABEL)) for g in plan.of_type(NODE_GROUP)}
    if pool and pool not in floors and spec.get("weight") in (None, 100):
        return pool
    return f"{(r.inputs.get('metadata') or {}).get('name') or r.name} (karpenter)"


def _node_pool_accelerators(inputs: State) -> AcceleratorHint:
    template = ((inputs.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return AcceleratorHint(labels=template.get("labels") or {})


def _reservation_ids(inputs: State) -> list[str]:
    terms = (inputs.get("spec") or {}).get("capacityReservationSelectorTerms") or []
    return [str(t.get("id")) for t in terms if isinstance(t, dict) and t.get("id")]


def _reservations_detail(resources: list, plan: Any) -> str:
    ids = sorted({i for r in resources for i in _reservation_ids(r.inputs)})
    return f"EC2 capacity reservations / Capacity Blocks through Karpenter ({', '.join(ids)})"


TYPES: dict[str, ResourceType] = {
    "mlstack:aws:Karpenter": ResourceType(
        parity=Parity("node provisioning", "native", "Karpenter: several instance types, capacity fallbacks, consolidation")
    ),
    "mlstack:aws:ClusterAutoscaler": ResourceType(
        parity=Parity("node provisioning", "native", "Cluster Autoscaler on managed node groups (one capacity type per pool)")
    ),
    NODE_POOL: ResourceType(cost=_cost_node_pool, accelerators=_node_pool_accelerators),
    NODE_CLASS: ResourceType(
        parity=Parity("reservations", "native", "EC2 capacity reservations through Karpenter", detail=_reservations_detail,
                      applies=lambda r: bool(_reservation_ids(r.inputs))),
    ),
}
