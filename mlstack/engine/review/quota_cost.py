"""What each team's Kueue quota costs per hour at its nominal size: devices x the pool's price per device.

A team's ClusterQueue gives it a nominal quota per flavor; a flavor is a node pool. The price of one device
(GPU, TPU chip, Neuron device) is the pool's node-hour price divided by the devices per node (the catalogue's
offer for that machine type). Borrowed quota is not counted: it is other teams' idle capacity. Read from the
plan only, like the rest of the estimate; a pool without a price is named, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlstack.engine.plan.model import Plan
from mlstack.targets.kubernetes.workloads_policy import CLUSTER_QUEUE  # the shared pack owns the token
COMPUTE = ("cpu", "memory")


@dataclass(frozen=True)
class QuotaLine:
    """One flavor of a team's quota: ``devices`` of ``resource`` on ``pool`` at ``device_hourly`` USD each."""

    pool: str
    resource: str
    devices: int
    device_hourly: float | None

    @property
    def hourly(self) -> float:
        return round(self.devices * (self.device_hourly or 0.0), 4)


@dataclass(frozen=True)
class TeamQuotaCost:
    team: str
    lines: list[QuotaLine] = field(default_factory=list)

    @property
    def hourly(self) -> float:
        return round(sum(line.hourly for line in self.lines), 4)

    @property
    def complete(self) -> bool:
        return all(line.device_hourly is not None for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "hourly": self.hourly,
            "complete": self.complete,
            "quotas": [{"pool": q.pool, "resource": q.resource, "devices": q.devices, "device_hourly": q.device_hourly,
                        "hourly": q.hourly} for q in self.lines],
        }

    @property
    def text(self) -> str:
        parts = ", ".join(f"{q.devices} x {q.pool}" for q in self.lines) or "no accelerators"
        return f"{self.team}: ${self.hourly:,.2f}/h ({parts})" + ("" if self.complete else " (incomplete: no price for a pool)")


def _devices_per_node(catalog, cloud: str, machine: str) -> int | None:
    for acc in catalog.accelerators.values():
        for offer in acc.offers.get(cloud, []) if cloud in acc.offers else []:
            if offer.machine_type == machine:
                return offer.count
    return None


def team_quota_costs(plan: Plan, pools: list[Any]) -> list[TeamQuotaCost]:
    """Per team (ClusterQueue), its nominal accelerator quotas priced with the estimate's ``pools`` (PoolCost)."""
    from mlstack.catalog import load_catalog

    catalog = load_catalog()
    cloud = str(plan.target.get("cloud", ""))
    by_pool = {p.name: p for p in pools}
    out = []
    for r in sorted(plan.of_type(CLUSTER_QUEUE), key=lambda r: str((r.inputs.get("metadata") or {}).get("name"))):
        team = str((r.inputs.get("metadata") or {}).get("name"))
        lines = []
        for group in (r.inputs.get("spec") or {}).get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                for res in flavor.get("resources") or []:
                    if res.get("name") in COMPUTE:
                        continue
                    devices = int(str(res.get("nominalQuota", "0")) or 0)
                    if not devices:
                        continue
                    pool = by_pool.get(flavor.get("name"))
                    per_node = _devices_per_node(catalog, cloud, pool.machine) if pool else None
                    price = pool.node_hourly / per_node if pool and pool.node_hourly is not None and per_node else None
                    lines.append(QuotaLine(str(flavor.get("name")), str(res.get("name")), devices, None if price is None else round(price, 4)))
        out.append(TeamQuotaCost(team, lines))
    return out
