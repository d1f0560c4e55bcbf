"""What each environment provides per platform capability: native (the cloud's managed service), emulated (an
in-cluster substitute such as SeaweedFS for buckets or in-cluster Postgres), or missing.

Derived from the resource types in each plan (and, for accelerators, the pools' inputs), never from the
environment's name or cloud: a new target gets a correct row as soon as its plan has the resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.targets.base import Parity

Status = Literal["native", "emulated", "missing"]
_RANK = {"native": 0, "emulated": 1}


def _probes() -> dict[str, list[tuple[str, Parity]]]:
    """Capability -> (type token, parity entry) of every pack's table, natives first, then registration order."""
    out: dict[str, list[tuple[str, Parity]]] = {}
    for _, token, entry in targets.entries():
        for probe in (entry.parity, *entry.more_parity):
            if probe is not None:
                out.setdefault(probe.capability, []).append((token, probe))
    return {cap: sorted(probes, key=lambda tp: _RANK[tp[1].status]) for cap, probes in out.items()}


PROBES = _probes()
# The rows of the report, in order; a capability a new pack adds comes after these.
_ORDER = ["cluster", "pools", "accelerators", "shared storage", "buckets", "registry", "tracking", "workload identity",
          "CI trust", "audit"]
CAPABILITIES = [*_ORDER, *sorted(c for c in PROBES if c not in _ORDER)]
from mlstack.components.contract import ACCELERATOR_LABEL


@dataclass(frozen=True)
class Cell:
    status: Status
    detail: str

    def text(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


def _accelerators(plan: Plan) -> Cell:
    """GPU/TPU kinds the plan's pools carry: what each resource's ``accelerators`` table entry reads from it
    (its accelerator label, a guest accelerator, a TPU placement, a device plugin, existing nodes)."""
    found: set[str] = set()
    kinds: set[str] = set()
    for r in plan.resources:
        entry = targets.resource_type(r.type)
        if entry is None or entry.accelerators is None:
            continue
        hint = entry.accelerators(r.inputs)
        kinds.update(hint.kinds)
        # A pool's portable name (its accelerator label) when it carries one, else the cloud's own type: a GKE
        # pool names its GPU both ways (nvidia-tesla-t4 and nvidia-t4), and is one accelerator.
        if ACCELERATOR_LABEL in hint.labels:
            found.add(str(hint.labels[ACCELERATOR_LABEL]))
        else:
            found.update(hint.found)
    if found:
        return Cell("native", ", ".join(sorted(found)) + (" (existing nodes)" if "existing nodes" in kinds else ""))
    if "tpu" in kinds:
        return Cell("native", "TPU slices")
    if "device plugin" in kinds:
        return Cell("native", "GPU device plugin on existing nodes")
    return Cell("missing", "no accelerator pool")


def capability(plan: Plan, name: str) -> Cell:
    if name == "accelerators":
        return _accelerators(plan)
    for type_, probe in PROBES[name]:
        present = [r for r in plan.of_type(type_) if probe.applies is None or probe.applies(r)]
        if present:
            return Cell(probe.status, probe.detail(present, plan) if probe.detail else probe.what)
    return Cell("missing", "")


@dataclass
class ParityReport:
    envs: list[str]
    targets: dict[str, str]
    rows: dict[str, dict[str, Cell]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "envs": self.envs,
            "targets": self.targets,
            "capabilities": {
                cap: {env: {"status": c.status, "detail": c.detail} for env, c in cells.items()} for cap, cells in self.rows.items()
            },
        }


def parity(plans: list[Plan]) -> ParityReport:
    """One row per capability, one column per plan."""
    rows = {cap: {p.env: capability(p, cap) for p in plans} for cap in CAPABILITIES}
    targets = {p.env: " ".join(str(v) for v in (p.target.get("cloud"), p.target.get("region") or p.target.get("kube_context")) if v)
               for p in plans}
    return ParityReport([p.env for p in plans], targets, rows)


def render_text(report: ParityReport, cell: Callable[[Cell], str] = Cell.text) -> str:
    """Aligned plain text, one line per capability."""
    width = max((len(cell(c)) for cells in report.rows.values() for c in cells.values()), default=8)
    width = min(max(width, max(len(e) for e in report.envs)) + 2, 60)
    head = f"{'capability':<20}" + "".join(f"{e + ' (' + report.targets[e] + ')':<{width}}" for e in report.envs)
    lines = [head.rstrip()]
    for cap, cells in report.rows.items():
        lines.append((f"{cap:<20}" + "".join(f"{cell(cells[e])[: width - 2]:<{width}}" for e in report.envs)).rstrip())
    return "\n".join(lines) + "\n"
