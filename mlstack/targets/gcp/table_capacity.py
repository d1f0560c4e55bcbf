"""The GCP table's node-provisioning entries: GKE custom ComputeClasses (merged into ``table.TYPES``).

A ComputeClass is priced as its first priority, from 0 to its most nodes (the ``mlstack.io/max-nodes``
annotation the component records), like a Karpenter NodePool on AWS: a reservation at the on-demand rate (a
Compute Engine reservation bills that whether used or not), flex-start at the on-demand rate too (DWS
flex-start has its own, lower price, which the price table does not have), each with a note. It is updated in
place: a changed class applies to the node pools GKE creates next, never to running nodes
(``activeMigration`` is off).
"""

from __future__ import annotations

from typing import Any

from mlstack.components.contract import POOL_LABEL
from mlstack.targets.base import AcceleratorHint, Parity, ResourceType, State

COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
MAX_NODES = "mlstack.io/max-nodes"


def kind(priority: dict[str, Any]) -> str:
    """The capacity kind of one ComputeClass priority: reservation, spot, flex-start or on-demand."""
    if (priority.get("reservations") or {}).get("affinity") == "Specific":
        return "reservation"
    if priority.get("spot") is True:
        return "spot"
    if (priority.get("flexStart") or {}).get("enabled") is True:
        return "flex-start"
    return "on-demand"


def priorities(inputs: State) -> list[dict[str, Any]]:
    return [p for p in (inputs.get("spec") or {}).get("priorities") or [] if isinstance(p, dict)]


def _cost_class(c: Any, r: Any, plan: Any) -> None:
    meta = r.inputs.get("metadata") or {}
    rules = priorities(r.inputs)
    first = rules[0] if rules else {}
    what = kind(first)
    said = [f"ComputeClass, priced as its first priority ({what})"]
    if what == "reservation":
        said.append("a reservation bills the on-demand rate whether used or not")
    elif what == "flex-start":
        said.append("DWS flex-start has its own discounted price (not in the table): on-demand rate shown")
    pool = str((meta.get("labels") or {}).get(POOL_LABEL) or meta.get("name") or r.name)
    c.pool(pool, str(first.get("machineType", "?")), what == "spot", 0, int((meta.get("annotations") or {}).get(MAX_NODES) or 0),
           "; ".join(said))


def _class_accelerators(inputs: State) -> AcceleratorHint:
    config = (inputs.get("spec") or {}).get("nodePoolConfig") or {}
    found = frozenset(str((p.get("gpu") or {}).get("type")) for p in priorities(inputs) if p.get("gpu"))
    return AcceleratorHint(labels=config.get("nodeLabels") or {}, found=found)


def _reservations(inputs: State) -> list[str]:
    out = []
    for p in priorities(inputs):
        for s in (p.get("reservations") or {}).get("specific") or []:
            out.append(f"{s['project']}/{s['name']}" if s.get("project") else str(s.get("name")))
    return out


def _reservations_detail(resources: list, plan: Any) -> str:
    names = sorted({n for r in resources for n in _reservations(r.inputs)})
    return f"Compute Engine reservations (Specific affinity) through ComputeClasses ({', '.join(names)})"


def _provisioning_detail(resources: list, plan: Any) -> str:
    names = sorted(str((r.inputs.get("metadata") or {}).get("name")) for r in resources)
    return (f"GKE ComputeClasses {', '.join(names)} (capacity fallbacks, node auto-provisioning); cluster autoscaler on "
            "the other node pools")


TYPES: dict[str, ResourceType] = {
    COMPUTE_CLASS: ResourceType(
        cost=_cost_class,
        accelerators=_class_accelerators,
        # Listed before mlstack:gcp:NodePool's row (table.py merges these first): with a class, say so.
        parity=Parity("node provisioning", "native", "GKE ComputeClasses", detail=_provisioning_detail),
        more_parity=(Parity("reservations", "native", "Compute Engine reservations through ComputeClasses",
                            detail=_reservations_detail, applies=lambda r: bool(_reservations(r.inputs))),),
    ),
}
