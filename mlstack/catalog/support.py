"""Freshness of the catalogue's facts, and support windows of the versions an environment runs.

Both are pure look-ups over the validated catalogue with the date passed in (``today``), so tests pin the date
and the CLI's ``check --as-of`` can ask "is prod still supported on 2027-03-01?". No pulumi, no spec import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from mlstack.catalog.models import Catalog, CatalogError, scalar_version_fields

#: A minor leaving standard support within this many days is a finding (mandatory in protected environments).
WARN_WITHIN_DAYS = 90

Status = Literal["supported", "ending", "ended", "unknown", "outdated"]
Level = Literal["mandatory", "advisory"]


@dataclass(frozen=True)
class DatedFact:
    """One fact of the catalogue and its provenance; ``checked``/``source`` are None where the fact lacks them."""

    path: str
    checked: str | None
    source: str | None


def dated_facts(cat: Catalog) -> Iterator[DatedFact]:
    """Every dated fact: each source's retrieval, the scalar versions, each chart and image pin, each support
    window and the freshness policy itself. Tabular files (machines, prices, TPUs) are dated by their sources."""
    for src in cat.sources:
        yield DatedFact(f"sources[{src.title}]", src.retrieved, src.url)
    for key in scalar_version_fields():
        prov = cat.versions.provenance.get(key)
        yield DatedFact(f"versions.{key}", prov.checked if prov else None, prov.source if prov else None)
    for name, chart in sorted(cat.versions.charts.items()):
        yield DatedFact(f"versions.charts.{name}", chart.checked, chart.source)
    for name, image in sorted(cat.versions.images.items()):
        yield DatedFact(f"versions.images.{name}", image.checked, image.source)
    for cloud, windows in sorted(cat.kubernetes_support.items()):
        for minor, w in sorted(windows.items()):
            yield DatedFact(f"kubernetes_support.{cloud}.{minor}", w.checked, w.source)
    for cloud, regions in sorted(cat.regions.items()):
        for code, region in sorted(regions.items()):
            yield DatedFact(f"regions.{cloud}.{code}", region.checked, region.source)
    for name, lustre in sorted(cat.lustre.items()):
        yield DatedFact(f"lustre.{name}", lustre.checked, lustre.source)
    for name, policy in sorted(cat.iam_policies.items()):
        yield DatedFact(f"iam_policies.{name}", policy.checked, policy.source)
    yield DatedFact("freshness", cat.freshness.checked, cat.freshness.source)


def stale_facts(cat: Catalog, today: dt.date) -> list[str]:
    """Each fact that is undated, unsourced, dated in the future, or older than ``freshness.max_age_days``."""
    limit = cat.freshness.max_age_days
    problems = []
    for fact in dated_facts(cat):
        if not fact.checked:
            problems.append(f"{fact.path}: no `checked:` date")
            continue
        if not fact.source:
            problems.append(f"{fact.path}: no `source:`")
        age = (today - dt.date.fromisoformat(fact.checked)).days
        if age < 0:
            problems.append(f"{fact.path}: checked {fact.checked} is after today ({today.isoformat()})")
        elif age > limit:
            problems.append(f"{fact.path}: checked {fact.checked}, {age} days ago (the catalogue allows {limit}): "
                            f"re-check it against {fact.source or 'its source'} and update `checked:`")
    return problems


@dataclass(frozen=True)
class SupportFinding:
    """One version's support status on a date.

    Attributes:
        subject: what is checked, e.g. ``kubernetes 1.35 on aws``.
        status: supported, ending (within :data:`WARN_WITHIN_DAYS`), ended, unknown (no window recorded) or
            outdated (a newer release of a pinned component is known).
        level: mandatory (a protected environment on an ending/ended minor) or advisory.
        message: one line with the date and the way out.
    """

    subject: str
    status: Status
    level: Level
    message: str

    @property
    def violation(self) -> bool:
        return self.status != "supported"

    def to_dict(self) -> dict[str, str | bool]:
        return {"subject": self.subject, "status": self.status, "level": self.level, "message": self.message,
                "violation": self.violation}


def kubernetes_finding(cat: Catalog, cloud: str, minor: str, *, protected: bool, today: dt.date) -> SupportFinding:
    """The support status of Kubernetes ``minor`` on ``cloud`` (``aws``/``gcp``) on ``today``."""
    subject = f"kubernetes {minor} on {cloud}"
    windows = cat.kubernetes_support.get(cloud, {})  # type: ignore[call-overload]
    window = windows.get(minor)
    if window is None:
        known = ", ".join(sorted(windows, key=lambda m: int(m.split(".")[1]))) or "none"
        return SupportFinding(subject, "unknown", "advisory",
                              f"no support window recorded for {minor} on {cloud} (recorded: {known}); "
                              "check the cloud's calendar, or add it to the catalogue's support.yaml")
    end = dt.date.fromisoformat(window.end_of_standard_support)
    left = (end - today).days
    est = " (estimated)" if window.estimated else ""
    extended = f"; extended support (paid) to {window.end_of_extended_support}" if window.end_of_extended_support else ""
    newer = _newer_minors(windows, minor)
    way_out = f"upgrade: set versions.kubernetes to {newer[-1]!r}" if newer else "upgrade to a newer minor"
    if left > WARN_WITHIN_DAYS:
        return SupportFinding(subject, "supported", "advisory",
                              f"standard support until {end.isoformat()}{est} ({left} days){extended}")
    level: Level = "mandatory" if protected else "advisory"
    if left >= 0:
        return SupportFinding(subject, "ending", level,
                              f"leaves standard support on {end.isoformat()}{est}, in {left} days{extended}; {way_out}")
    return SupportFinding(subject, "ended", level,
                          f"left standard support on {end.isoformat()}{est}, {-left} days ago{extended}; {way_out}")


def _newer_minors(windows: Mapping[str, object], minor: str) -> list[str]:
    try:
        n = int(minor.split(".")[1])
    except (IndexError, ValueError):
        return []
    return sorted((m for m in windows if int(m.split(".")[1]) > n), key=lambda m: int(m.split(".")[1]))


def chart_finding(cat: Catalog, chart: str, version: str) -> SupportFinding | None:
    """``outdated`` (advisory) when the catalogue knows a newer release of ``chart`` than ``version``."""
    try:
        pin = cat.versions.charts[chart]
    except KeyError:
        raise CatalogError(f"unknown chart {chart!r}") from None
    if pin.newest_known and pin.newest_known != version:
        return SupportFinding(f"chart {chart} {version}", "outdated", "advisory",
                              f"a newer release is known: {pin.newest_known} (checked {pin.checked})")
    return None


def support_findings(cat: Catalog, cloud: str, versions: Mapping[str, str], *, protected: bool,
                     today: dt.date) -> list[SupportFinding]:
    """Findings for an environment's versions (its lock's when it has one, else the spec's resolved versions).

    Kubernetes windows apply on ``aws`` and ``gcp`` (on-prem clusters are the operator's own); the GPU device
    plugin is compared with the newest known chart release.
    """
    findings = []
    if cloud in cat.kubernetes_support and versions.get("kubernetes"):
        findings.append(kubernetes_finding(cat, cloud, versions["kubernetes"], protected=protected, today=today))
    if versions.get("gpu_device_plugin"):
        outdated = chart_finding(cat, "nvidia-device-plugin", versions["gpu_device_plugin"])
        if outdated:
            findings.append(outdated)
    return findings
