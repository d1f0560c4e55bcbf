"""GPU-aware cost estimate of a Plan from the catalogue's dated price table.

Node pools are read from the plan (EKS managed node groups, GKE node pools, TPU slices): machine type, capacity
type (spot / on-demand) and the autoscaling range, priced per node-hour at their minimum and their maximum.
Always-on parts: the cluster fee, NAT gateways, the tracking database (class, HA doubles it, storage) and the
shared file system by size. A month is 730 hours. Prices the table lacks are listed, never guessed: a report
with a missing price says its totals are incomplete and names the parts. The always-on prices of the table are
per cloud, read for its reference regions (``FIXED_PRICE_REGIONS``); elsewhere they are a fallback, and say so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import Registration

HOURS_PER_MONTH = 730

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NAT = "aws:ec2/natGateway:NatGateway"
RDS = "aws:rds/instance:Instance"
EFS = "aws:efs/fileSystem:FileSystem"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_POOL = "gcp:container/nodePool:NodePool"
CLOUD_NAT = "gcp:compute/routerNat:RouterNat"
CLOUD_SQL = "gcp:sql/databaseInstance:DatabaseInstance"
FILESTORE = "gcp:filestore/instance:Instance"
_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
# The regions the price table's always-on (``fixed``) prices were read for (prices.yaml, "HOW TO READ IT").
FIXED_PRICE_REGIONS = {"aws": ("us-east-1", "us-west-2"), "gcp": ("us-central1",)}


@dataclass(frozen=True)
class PoolCost:
    """A node pool at its minimum and maximum size. Hourly figures are USD for the whole pool."""

    name: str
    machine: str
    spot: bool
    min_nodes: int
    max_nodes: int
    node_hourly: float | None
    hourly_min: float
    hourly_max: float
    monthly_min: float
    monthly_max: float
    note: str = ""


@dataclass(frozen=True)
class FixedCost:
    """An always-on part (cluster fee, NAT, database, file storage)."""

    name: str
    what: str
    hourly: float
    monthly: float
    note: str = ""


@dataclass
class CostReport:
    env: str
    cloud: str
    region: str
    as_of: str
    source: str
    currency: str
    pools: list[PoolCost] = field(default_factory=list)
    fixed: list[FixedCost] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fallback: str = ""  # set when the always-on prices are another region's (the table has none for ``region``)
    location: str = ""  # how headers name where the env runs: "aws us-west-2", "onprem lab"

    @property
    def complete(self) -> bool:
        """Every priced part had a price (on-premise hardware, never priced, does not make it incomplete)."""
        return not self.missing

    @property
    def source_text(self) -> str:
        """The table's source without its repeated date (the report states ``as_of`` once)."""
        return re.sub(r"(,\s*|\s+and\s+|\s+)dated\s+" + re.escape(self.as_of), "", self.source).strip()

    @property
    def fixed_monthly(self) -> float:
        return round(sum(f.monthly for f in self.fixed), 2)

    @property
    def monthly_min(self) -> float:
        return round(self.fixed_monthly + sum(p.monthly_min for p in self.pools), 2)

    @property
    def monthly_max(self) -> float:
        return round(self.fixed_monthly + sum(p.monthly_max for p in self.pools), 2)

    @property
    def hourly_min(self) -> float:
        return round(self.monthly_min / HOURS_PER_MONTH, 4)

    @property
    def hourly_max(self) -> float:
        return round(self.monthly_max / HOURS_PER_MONTH, 4)

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "cloud": self.cloud,
            "region": self.region,
            "price_table": {"as_of": self.as_of, "source": self.source, "currency": self.currency},
            "hours_per_month": HOURS_PER_MONTH,
            "pools": [asdict(p) for p in self.pools],
            "fixed": [asdict(f) for f in self.fixed],
            "missing_prices": list(self.missing),
            "fixed_price_fallback": self.fallback or None,
            "total": {
                "complete": self.complete,
                "hourly_min": self.hourly_min,
                "hourly_max": self.hourly_max,
                "monthly_min": self.monthly_min,
                "monthly_max": self.monthly_max,
            },
        }


def _money(x: float) -> float:
    return round(x, 2)


def estimate(plan: Plan, *, shared_storage_gib: int | None = None) -> CostReport:
    """The cost of ``plan``.

    Args:
        plan: the plan to price.
        shared_storage_gib: expected EFS usage (EFS bills what is stored, the plan has no size); the spec's
            ``storage.shared.size_gib``. None leaves EFS out with a note.
    """
    from mlstack.catalog import load_catalog

    cat = load_catalog()
    cloud = str(plan.target.get("cloud", ""))
    region = str(plan.target.get("region") or "")
    where = region or str(plan.target.get("kube_context") or "")
    report = CostReport(plan.env, cloud, region, cat.prices.as_of, cat.prices.source, cat.prices.currency,
                        location=" ".join(x for x in (cloud, where) if x))
    fixed = cat.prices.fixed.get(cloud, {}) if cloud in ("aws", "gcp") else {}  # type: ignore[call-overload]
    reference = FIXED_PRICE_REGIONS.get(cloud, ())
    if reference and region not in reference:
        report.fallback = f"always-on prices are the list prices of {'/'.join(reference)} (the table has none for {region or 'no region'})"
    fallback_note = f"{'/'.join(reference)} price" if report.fallback else ""

    def price(name: str, machine: str, spot: bool) -> float | None:
        if cloud not in ("aws", "gcp"):
            return None
        p = cat.price(cloud, machine, region, spot)
        if p is None:
            report.missing.append(f"node pool {name}: {machine} in {region} ({'spot' if spot else 'on-demand'})")
        return p

    def pool(name: str, machine: str, spot: bool, lo: int, hi: int, note: str = "") -> None:
        p = price(name, machine, spot)
        h = p or 0.0
        report.pools.append(
            PoolCost(name, machine, spot, lo, hi, p, round(h * lo, 4), round(h * hi, 4),
                     _money(h * lo * HOURS_PER_MONTH), _money(h * hi * HOURS_PER_MONTH),
                     note if p is not None else (note + "; " if note else "") + "no price in the table")
        )

    lacking: list[str] = []  # the price keys the current always-on part lacks

    def _note(note: str) -> str:
        parts = [note] if note else []
        if lacking:
            parts.append(f"no price for {', '.join(lacking)}: counted as 0")
        elif fallback_note:
            parts.append(fallback_note)
        lacking.clear()
        return "; ".join(parts)

    def add_fixed(name: str, what: str, hourly: float, note: str = "") -> None:
        report.fixed.append(FixedCost(name, what, round(hourly, 4), _money(hourly * HOURS_PER_MONTH), _note(note)))

    def add_monthly(name: str, what: str, monthly: float, note: str = "") -> None:
        report.fixed.append(FixedCost(name, what, round(monthly / HOURS_PER_MONTH, 4), _money(monthly), _note(note)))

    def key(name: str, part: str) -> float:
        value = fixed.get(name)
        if value is None:
            report.missing.append(f"{part}: {cloud} {name}")
            lacking.append(name)
        return float(value or 0.0)

    # -- AWS ---------------------------------------------------------------------------------------------------
    for r in plan.of_type(NODE_GROUP):
        types = r.inputs.get("instanceTypes") or []
        sc = r.inputs.get("scalingConfig") or {}
        spot = r.inputs.get("capacityType") == "SPOT"
        note = f"first of {len(types)} instance types" if len(types) > 1 else ""
        pool(_pool_name(r), str(types[0]) if types else "?", spot, int(sc.get("minSize") or 0), int(sc.get("maxSize") or 0), note)
    for r in plan.of_type(EKS_CLUSTER):
        add_fixed(r.name, "EKS cluster fee", key("eks_cluster_hourly", r.name))
    for r in plan.of_type(NAT):
        add_fixed(r.name, "NAT gateway (hourly, data processed extra)", key("nat_gateway_hourly", r.name))
    for r in plan.of_type(RDS):
        cls = str(r.inputs.get("instanceClass", ""))
        ha = r.inputs.get("multiAz") is True
        hourly = key(f"database_hourly:{cls}", r.name) * (2 if ha else 1)
        add_fixed(r.name, f"RDS {cls}{' Multi-AZ' if ha else ''}", hourly)
        gib = int(r.inputs.get("allocatedStorage") or 0)
        add_monthly(f"{r.name}-storage", f"RDS storage {gib} GiB{' x2 (Multi-AZ)' if ha else ''}",
                    gib * key("rds_storage_gib_month", f"{r.name}-storage") * (2 if ha else 1))
    for r in plan.of_type(EFS):
        if shared_storage_gib is None:
            report.missing.append(f"{r.name}: EFS usage (storage.shared.size_gib not set)")
            add_monthly(r.name, "EFS (billed by usage)", 0.0, "usage unknown: counted as 0")
        else:
            add_monthly(r.name, f"EFS {shared_storage_gib} GiB stored (assumed: storage.shared.size_gib)",
                        shared_storage_gib * key("efs_gib_month", r.name))

    # -- GCP ---------------------------------------------------------------------------------------------------
    clusters = {r.urn: r for r in plan.of_type(GKE_CLUSTER)}
    for r in plan.of_type(GKE_POOL):
        nc = r.inputs.get("nodeConfig") or {}
        spot = nc.get("spot") is True or nc.get("preemptible") is True
        auto = r.inputs.get("autoscaling") or {}
        zones = _zones(r, clusters)
        if auto.get("totalMinNodeCount") is not None or auto.get("totalMaxNodeCount") is not None:
            lo, hi, note = int(auto.get("totalMinNodeCount") or 0), int(auto.get("totalMaxNodeCount") or 0), ""
        elif auto:
            lo = int(auto.get("minNodeCount") or 0) * zones
            hi = int(auto.get("maxNodeCount") or 0) * zones
            note = f"per-zone counts x {zones} zone(s)" if zones > 1 else ""
        else:
            n = int(r.inputs.get("nodeCount") or r.inputs.get("initialNodeCount") or 0) * zones
            lo, hi, note = n, n, "fixed size"
        if r.inputs.get("placementPolicy"):
            note = (note + "; " if note else "") + f"TPU slice {(r.inputs.get('placementPolicy') or {}).get('tpuTopology', '')}".rstrip()
        pool(_pool_name(r), str(nc.get("machineType", "?")), spot, lo, hi, note)
    for r in clusters.values():
        add_fixed(r.name, "GKE cluster management fee", key("gke_cluster_hourly", r.name))
    for r in plan.of_type(CLOUD_NAT):
        add_fixed(r.name, "Cloud NAT gateway (hourly, data processed extra)", key("nat_gateway_hourly", r.name))
    for r in plan.of_type(CLOUD_SQL):
        s = r.inputs.get("settings") or {}
        tier = str(s.get("tier", ""))
        ha = s.get("availabilityType") == "REGIONAL"
        add_fixed(r.name, f"Cloud SQL {tier}{' regional (HA)' if ha else ''}", key(f"database_hourly:{tier}", r.name) * (2 if ha else 1))
        gib = int(s.get("diskSize") or 10)
        add_monthly(f"{r.name}-storage", f"Cloud SQL storage {gib} GiB{' x2 (HA)' if ha else ''}",
                    gib * key("cloudsql_storage_gib_month", f"{r.name}-storage") * (2 if ha else 1))
    for r in plan.of_type(FILESTORE):
        tier = str(r.inputs.get("tier", "BASIC_HDD"))
        # The provider's ``fileShares`` is one object (the API allows one share); accept a list as well. The
        # instance's provisioned capacity is what is billed, whatever the NFS provisioner carves out of it.
        shares = r.inputs.get("fileShares") or []
        shares = [shares] if isinstance(shares, dict) else shares
        gib = sum(int(f.get("capacityGb") or 0) for f in shares if isinstance(f, dict))
        add_monthly(r.name, f"Filestore {tier} {gib} GiB (provisioned)",
                    gib * key(f"filestore_{tier.lower()}_gib_month", r.name))

    report.pools.sort(key=lambda p: p.name)
    report.missing = sorted(set(report.missing))
    return report


def _pool_name(r: Registration) -> str:
    labels = (r.inputs.get("labels") or (r.inputs.get("nodeConfig") or {}).get("labels") or {})
    return str(labels.get("mlstack.io/pool") or r.name)


def _zones(pool: Registration, clusters: dict[str, Registration]) -> int:
    locations = pool.inputs.get("nodeLocations")
    if locations:
        return len(locations)
    cluster = next(iter(clusters.values()), None)
    if cluster is None:
        return 1
    if cluster.inputs.get("nodeLocations"):
        return len(cluster.inputs["nodeLocations"])
    location = str(cluster.inputs.get("location", ""))
    return 1 if _ZONE.match(location) else 3


def money(x: float) -> str:
    return f"${x:,.2f}"


def delta(base: CostReport | None, head: CostReport) -> dict[str, Any]:
    """Monthly cost change from ``base`` to ``head`` (at min and at max size), with a one-line text.

    When either side lacks a price, the text says the figures are incomplete and ``missing`` names the parts.
    """
    b_min = base.monthly_min if base else 0.0
    b_max = base.monthly_max if base else 0.0
    d_min = round(head.monthly_min - b_min, 2)
    d_max = round(head.monthly_max - b_max, 2)

    def signed(x: float) -> str:
        return ("+" if x > 0 else "-" if x < 0 else "±") + money(abs(x))

    missing = sorted(set(head.missing) | set(base.missing if base else []))
    text = f"{signed(d_min)}/mo at min, {signed(d_max)}/mo at max"
    if missing:
        text += f" (incomplete: no price for {len(missing)} part(s))"
    return {"monthly_min": d_min, "monthly_max": d_max, "text": text, "complete": not missing, "missing": missing,
            "base_monthly_min": b_min, "base_monthly_max": b_max,
            "head_monthly_min": head.monthly_min, "head_monthly_max": head.monthly_max}


def render_text(report: CostReport) -> str:
    """The report as aligned plain text, ending with a newline."""
    lines = [f"Cost of {report.env} ({report.location or report.cloud}), {report.currency}, {HOURS_PER_MONTH} h/month"]
    lines.append(f"Prices as of {report.as_of}: {report.source_text}")
    if report.fallback:
        lines.append(f"Note: {report.fallback}")
    lines.append("")
    name_w = max([18, *(len(p.name) + 2 for p in report.pools)])
    machine_w = max([20, *(len(p.machine) + 2 for p in report.pools)])
    lines.append(f"  {'node pool':<{name_w}}{'machine':<{machine_w}}{'capacity':<10}{'nodes':>9}{'$/h min':>11}{'$/h max':>11}"
                 f"{'$/mo min':>13}{'$/mo max':>13}")
    for p in report.pools:
        lines.append(
            f"  {p.name:<{name_w}}{p.machine:<{machine_w}}{'spot' if p.spot else 'on-demand':<10}{f'{p.min_nodes}-{p.max_nodes}':>9}"
            f"{p.hourly_min:>11.2f}{p.hourly_max:>11.2f}{money(p.monthly_min):>13}{money(p.monthly_max):>13}"
            + (f"  ({p.note})" if p.note else "")
        )
    lines.append("")
    what_w = max([48, *(len(f.what) + 2 for f in report.fixed)])
    lines.append(f"  {'always on':<{what_w}}{'$/h':>11}{'$/mo':>13}")
    for f in report.fixed:
        lines.append(f"  {f.what:<{what_w}}{f.hourly:>11.4f}{money(f.monthly):>13}" + (f"  ({f.note})" if f.note else ""))
    lines.append("")
    incomplete = "" if report.complete else " (INCOMPLETE: parts without a price counted as 0)"
    lines.append(f"  always-on total: {money(report.fixed_monthly)}/mo")
    lines.append(f"  total{incomplete}: {money(report.monthly_min)}/mo at min size, {money(report.monthly_max)}/mo at max "
                 f"size ({report.hourly_min:.2f}-{report.hourly_max:.2f} $/h)")
    if report.missing:
        lines.append("  no price in the table for:")
        lines.extend(f"    - {m}" for m in report.missing)
    if report.cloud not in ("aws", "gcp"):
        lines.append("  on-premise hardware is not priced")
    return "\n".join(lines) + "\n"
