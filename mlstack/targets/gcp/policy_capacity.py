"""GCP node-provisioning rules over the recorded wire inputs: a ComputeClass never depends on Spot alone, and its
reservations are consumed by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.gcp.table_capacity import COMPUTE_CLASS, kind, priorities
from mlstack.targets.policy import Finding, Rule, each, finding

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan


def _fallback(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, COMPUTE_CLASS):
        rules = priorities(r.inputs)
        kinds = [kind(p) for p in rules]
        if kinds and set(kinds) == {"spot"}:
            yield finding(r, "every priority is Spot: a reclaim or a stockout leaves the class's jobs pending with nothing "
                             "to fall back to. Add on-demand (or flex-start) after spot in the pool's capacity")
        for p in rules:
            affinity = (p.get("reservations") or {}).get("affinity")
            if affinity == "AnyBestEffort":
                yield finding(r, "a priority consumes any reservation (AnyBestEffort): Compute Engine falls back to "
                                 "on-demand itself, so the class's later priorities are never tried. Name the reservation")


RULES: list[Rule] = [
    Rule("MLS-GCP-021", "ComputeClasses fall back beyond Spot, and name their reservations",
         "A Spot-only class strands jobs on a reclaim; an any-reservation priority silently skips the fallback order.",
         ("no Checkov/Trivy id (GKE custom ComputeClasses guide)",), (COMPUTE_CLASS,), _fallback, always_advisory=True),
]
