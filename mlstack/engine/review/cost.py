"""GPU-aware cost estimate of a Plan from the catalogue's dated price table.

Each resource type's ``cost`` entry in its target pack's table prices what the plan records: node pools (EKS
managed node groups, GKE node pools, TPU slices: machine type, capacity type and the autoscaling range, priced
per node-hour at their minimum and their maximum) and always-on parts (the cluster fee, NAT gateways, the
tracking database, the shared file system by size). A month is 730 hours. Prices the table lacks are listed,
never guessed: a report with a missing price says its totals are incomplete and names the parts. The always-on
prices of the table are per target, read for the pack's reference regions (``Pack.price_regions``); elsewhere
they are a fallback, and say so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.review.quota_cost import TeamQuotaCost, team_quota_costs

if TYPE_CHECKING:
    from mlstack.spec.notices import SpecWarning

HOURS_PER_MONTH = 730

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


@dataclass(frozen=True)
class ScratchCost:
    """The scratch tier: its size, throughput and monthly price (also counted among the always-on parts)."""

    name: str
    what: str
    size_gib: int
    throughput_mb_s: int
    monthly: float
    priced: bool = True


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
    scratch: list[ScratchCost] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fallback: str = ""  # set when the always-on prices are another region's (the table has none for ``region``)
    location: str = ""  # how headers name where the env runs: "aws us-west-2", "onprem lab"
    team_quotas: list[TeamQuotaCost] = field(default_factory=list)  # each team's Kueue quota in $/h (nominal)
    warnings: list[SpecWarning] = field(default_factory=list)  # the spec's (mlstack.spec.notices), located

    @property
    def complete(self) -> bool:
        """Every priced part had a price (on-premise hardware, never priced, does not make it incomplete)."""
        return not self.missing

    @property
    def unpriced_named(self) -> list[PoolCost]:
        """The pools without a price because the spec names their machine type (the catalogue does not list it)."""
        return [p for p in self.pools if _machine_warning(p, self.warnings) is not None]

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
            "scratch": [asdict(x) for x in self.scratch],
            "missing_prices": list(self.missing),
            "fixed_price_fallback": self.fallback or None,
            "team_quotas": [t.to_dict() for t in self.team_quotas],
            "warnings": [w.to_dict() for w in self.warnings],
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


class _Estimate:
    """The sink the packs' cost extractors write into (``mlstack.targets.base.CostSink``)."""

    def __init__(self, report: CostReport, pack: targets.Pack | None, shared_storage_gib: int | None) -> None:
        from mlstack.catalog import load_catalog

        self.cat = load_catalog()
        self.report = report
        self.pack = pack
        self.shared_storage_gib = shared_storage_gib
        priced = pack is not None and pack.priced
        self.fixed = (self.cat.prices.fixed.get(report.cloud) or {}) if priced else {}  # type: ignore[call-overload]
        reference = pack.price_regions if pack is not None else ()
        if reference and report.region not in reference:
            report.fallback = (f"always-on prices are the list prices of {'/'.join(reference)} "
                               f"(the table has none for {report.region or 'no region'})")
        self.fallback_note = f"{'/'.join(reference)} price" if report.fallback else ""
        self.lacking: list[str] = []  # the price keys the current always-on part lacks

    def missing(self, text: str) -> None:
        self.report.missing.append(text)

    def pool(self, name: str, machine: str, spot: bool, lo: int, hi: int, note: str = "") -> None:
        p = None
        if self.pack is not None and self.pack.priced:
            p = self.cat.price(self.report.cloud, machine, self.report.region, spot)
            if p is None:
                self.missing(f"node pool {name}: {machine} in {self.report.region} ({'spot' if spot else 'on-demand'})")
        h = p or 0.0
        self.report.pools.append(
            PoolCost(name, machine, spot, lo, hi, p, round(h * lo, 4), round(h * hi, 4),
                     _money(h * lo * HOURS_PER_MONTH), _money(h * hi * HOURS_PER_MONTH),
                     note if p is not None else (note + "; " if note else "") + "no price in the table")
        )

    def _note(self, note: str) -> str:
        parts = [note] if note else []
        if self.lacking:
            parts.append(f"no price for {', '.join(self.lacking)}: counted as 0")
        elif self.fallback_note:
            parts.append(self.fallback_note)
        self.lacking.clear()
        return "; ".join(parts)

    def add_fixed(self, name: str, what: str, hourly: float, note: str = "") -> None:
        self.report.fixed.append(FixedCost(name, what, round(hourly, 4), _money(hourly * HOURS_PER_MONTH), self._note(note)))

    def add_monthly(self, name: str, what: str, monthly: float, note: str = "") -> None:
        self.report.fixed.append(FixedCost(name, what, round(monthly / HOURS_PER_MONTH, 4), _money(monthly), self._note(note)))

    def scratch(self, name: str, what: str, size_gib: int, throughput_mb_s: int, gib_month: float | None, note: str = "") -> None:
        """The scratch tier: an always-on part, listed with its throughput; unpriced (listed missing) without a rate."""
        if gib_month is None:
            self.missing(f"{name}: {what}")
            note = (note + "; " if note else "") + "no price in the catalogue: counted as 0"
        monthly = size_gib * (gib_month or 0.0)
        self.add_monthly(name, what, monthly, note)
        self.report.scratch.append(ScratchCost(name, what, size_gib, throughput_mb_s, _money(monthly), gib_month is not None))

    def key(self, name: str, part: str) -> float:
        value = self.fixed.get(name)
        if value is None:
            self.missing(f"{part}: {self.report.cloud} {name}")
            self.lacking.append(name)
        return float(value or 0.0)


def estimate(plan: Plan, *, shared_storage_gib: int | None = None, warnings: Sequence[SpecWarning] = ()) -> CostReport:
    """The cost of ``plan``.

    Args:
        plan: the plan to price.
        shared_storage_gib: expected usage of a shared file system billed by what it stores (EFS: the plan has
            no size); the spec's ``storage.shared.size_gib``. None leaves it out with a note.
        warnings: the spec's located warnings (``mlstack.spec.notices.env_warnings``): carried in the report, and
            an unpriced pool one is about says why (its machine type is named in the spec, not in the catalogue).
    """
    from mlstack.catalog import load_catalog

    cat = load_catalog()
    cloud = str(plan.target.get("cloud", ""))
    region = str(plan.target.get("region") or "")
    where = region or str(plan.target.get("kube_context") or "")
    report = CostReport(plan.env, cloud, region, cat.prices.as_of, cat.prices.source, cat.prices.currency,
                        location=" ".join(x for x in (cloud, where) if x))
    pack = _pack(cloud)
    sink = _Estimate(report, pack, shared_storage_gib)
    # Table order: the always-on parts are listed in the order of their entries (cluster, NAT, database, storage).
    for p in targets.packs():
        for token, entry in p.types.items():
            if entry.cost is not None:
                for r in plan.of_type(token):
                    entry.cost(sink, r, plan)
    report.pools.sort(key=lambda p: p.name)
    report.warnings = list(warnings)
    report.pools = [_why_unpriced(p, warnings) for p in report.pools]
    report.missing = sorted(set(report.missing))
    report.team_quotas = team_quota_costs(plan, report.pools)
    return report


def _machine_warning(pool: PoolCost, warnings: Sequence[SpecWarning]) -> SpecWarning | None:
    """The spec's warning that ``pool`` (unpriced) runs on a machine type the catalogue does not list, or None."""
    if pool.node_hourly is not None:
        return None
    return next((w for w in warnings if w.pool == pool.name and w.path.endswith(".machine")), None)


def _why_unpriced(pool: PoolCost, warnings: Sequence[SpecWarning]) -> PoolCost:
    """``pool`` with its note saying why it has no price, where a warning of the spec is about it."""
    w = _machine_warning(pool, warnings)
    if w is None:
        return pool
    why = f"no price in the table: {pool.machine} is named by the spec ({w.path}, {w.file}:{w.line}), not listed in the catalogue"
    return replace(pool, note=pool.note.replace("no price in the table", why))


def _pack(cloud: str) -> targets.Pack | None:
    try:
        return targets.pack(cloud)
    except KeyError:
        return None


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
    for x in report.scratch:
        price = f"{money(x.monthly)}/mo" if x.priced else "not priced"
        lines.append(f"  scratch tier: {x.size_gib} GiB, {x.throughput_mb_s} MB/s, {price}")
    lines.append(f"  always-on total: {money(report.fixed_monthly)}/mo")
    lines.append(f"  total{incomplete}: {money(report.monthly_min)}/mo at min size, {money(report.monthly_max)}/mo at max "
                 f"size ({report.hourly_min:.2f}-{report.hourly_max:.2f} $/h)")
    if report.missing:
        lines.append("  no price in the table for:")
        lines.extend(f"    - {m}" for m in report.missing)
    pack = _pack(report.cloud)
    if pack is not None and pack.unpriced_note:
        lines.append(f"  {pack.unpriced_note}")
    if report.warnings:
        lines.append("  warnings (what mlstack could not check):")
        lines.extend(f"    - {w.text()}" for w in report.warnings)
    if report.team_quotas:
        lines.append("")
        lines.append("  team quotas at nominal (Kueue; borrowing not counted):")
        lines.extend(f"    {t.text}" for t in report.team_quotas)
    return "\n".join(lines) + "\n"
