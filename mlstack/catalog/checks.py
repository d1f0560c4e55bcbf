"""The catalogue's cross-fact checks: facts checked against each other once every fact has its shape.

``Catalog``'s validator calls them on every load; each returns its problems as ``path: what is wrong`` lines.
"""

from __future__ import annotations

import math

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # the models call these checks; at run time this module imports none of them
    from mlstack.catalog.models import Catalog, Versions

_T = TypeVar("_T")
#: The optional fields of an offer, judged by the catalogue's per-cloud ``offer_fields`` schema.
OFFER_FIELDS = ("ami_type", "gcp_accelerator_type", "flex_start")
#: Images whose tag is the chart's own default at the pinned chart version (same key in charts and images):
#: the chart's appVersion, with the form the chart's values give it.
TAG_FOLLOWS_CHART = {"nvidia-device-plugin": "v{}", "karpenter": "{}", "gpu-operator": "{}"}


def _get(mapping: Mapping[Any, _T], key: str) -> _T | None:
    """``mapping.get(key)`` for maps keyed by ``Cloud``, which callers look up with a plain string."""
    return mapping.get(key)


def accelerators(cat: Catalog) -> list[str]:
    problems = []
    for name, acc in cat.accelerators.items():
        if acc.name != name:
            problems.append(f"accelerators.{name}: name is {acc.name!r}")
        for cloud, offers in acc.offers.items():
            counts = [o.count for o in offers]
            if len(set(counts)) != len(counts):
                problems.append(f"accelerators.{name}.offers.{cloud}: duplicate counts {counts}")
            for o in offers:
                problems += _offer_fields(cat, f"accelerators.{name}.offers.{cloud}.{o.machine_type}", cloud, acc.kind, o)
        if acc.kind == "tpu" and name not in cat.tpus:
            problems.append(f"accelerators.{name}: TPU without a tpus entry")
    return problems


def _offer_fields(cat: Catalog, where: str, cloud: str, kind: str, offer: Any) -> list[str]:
    """An offer's optional fields against the cloud's ``offer_fields`` schema."""
    problems = []
    schema = _get(cat.offer_fields, cloud) or {}
    for field in OFFER_FIELDS:
        value, rule = getattr(offer, field), schema.get(field)  # type: ignore[call-overload]
        carries = rule is not None and kind in rule.kinds
        if value in (None, False):
            if carries and rule.required:
                problems.append(f"{where}: {cloud} {kind} offers need {field}")
        elif not carries:
            where_ok = [f"{c} {'/'.join(r[field].kinds)}" for c, r in cat.offer_fields.items() if field in r]
            problems.append(f"{where}: {field} is for {' and '.join(where_ok) or 'no'} offers only")
        elif rule.values is not None and value not in rule.values:
            problems.append(f"{where}: {field} {value!r} not one of {sorted(rule.values)}")
    return problems


def tpus(cat: Catalog) -> list[str]:
    problems = []
    for gen, tpu in cat.tpus.items():
        acc = cat.accelerators.get(gen)
        if acc is None or acc.kind != "tpu":
            problems.append(f"tpus.{gen}: no accelerator of kind tpu with that name")
            continue
        per_vm = {o.machine_type: o.count for offers in acc.offers.values() for o in offers}
        for key, t in tpu.topologies.items():
            where = f"tpus.{gen}.topologies.{key}"
            if t.topology != key:
                problems.append(f"{where}: topology is {t.topology!r}")
            if math.prod(int(d) for d in t.topology.split("x")) != t.chips:
                problems.append(f"{where}: chips {t.chips} is not the product of the topology")
            if t.nodes * t.chips_per_vm != t.chips:
                problems.append(f"{where}: nodes {t.nodes} x chips_per_vm {t.chips_per_vm} != chips {t.chips}")
            if per_vm.get(t.machine_type) != t.chips_per_vm:
                problems.append(f"{where}: {t.machine_type} is not an offer of {gen} with {t.chips_per_vm} chips")
        for region, zones in tpu.regions.items():
            if not zones or any(not z.startswith(region + "-") for z in zones):
                problems.append(f"tpus.{gen}.regions.{region}: zones {zones} are not in that region")
    return problems


def versions(v: Versions, scalar_fields: list[str]) -> list[str]:
    problems = []
    for key in sorted(set(v.provenance) - set(scalar_fields)):
        problems.append(f"versions.provenance.{key}: not a version field ({', '.join(scalar_fields)})")
    for name, chart in v.charts.items():
        if not chart.version.strip() or chart.version.strip().lower() == "latest":
            problems.append(f"versions.charts.{name}: version must be a pinned release")
    for name, image in v.images.items():
        if image.tag.strip().lower() == "latest":
            problems.append(f"versions.images.{name}: tag 'latest' is not a pin")
    for name, form in TAG_FOLLOWS_CHART.items():
        image, chart = v.images.get(name), v.charts.get(name)
        if image and chart and image.tag != form.format(chart.version):
            problems.append(f"versions.images.{name}: tag {image.tag} is not {form.format(chart.version)} (the chart's)")
    if v.images.get("mlflow") and v.images["mlflow"].tag != f"v{v.mlflow}-full":
        problems.append(f"versions.images.mlflow: tag {v.images['mlflow'].tag} is not v{v.mlflow}-full")
    return problems


#: The image the cluster-autoscaler chart runs, one per Kubernetes minor: ``versions.images[<prefix><minor>]``.
AUTOSCALER_IMAGE_PREFIX = "cluster-autoscaler-"


def autoscaler_images(cat: Catalog) -> list[str]:
    """Every minor a ``cluster_autoscaler`` cloud supports has a Cluster Autoscaler image of that minor (CA
    matches its control plane)."""
    problems = []
    for cloud in cat.cluster_autoscaler:
        for minor in sorted(_get(cat.kubernetes_support, cloud) or {}):
            pin = cat.versions.images.get(AUTOSCALER_IMAGE_PREFIX + minor)
            if pin is None:
                problems.append(f"versions.images: no {AUTOSCALER_IMAGE_PREFIX}{minor} for kubernetes_support.{cloud}.{minor}")
            elif not pin.tag.startswith(f"v{minor}."):
                problems.append(f"versions.images.{AUTOSCALER_IMAGE_PREFIX}{minor}: tag {pin.tag} is not a {minor} release")
    return problems


def prices(cat: Catalog) -> list[str]:
    problems = []
    priced = cat.prices.machines
    wanted: set[tuple[str, str]] = set()
    # Every offer, TPU VMs included (a TPU slice's machine type is an offer of its generation: ``tpus``).
    for acc in cat.accelerators.values():
        for cloud, offers in acc.offers.items():
            wanted.update((cloud, o.machine_type) for o in offers)
    for cloud, types in cat.machines.items():
        wanted.update((cloud, m) for m in types)
    for cloud, machine in sorted(wanted):
        if not (_get(priced, cloud) or {}).get(machine):
            problems.append(f"prices.machines.{cloud}: no price for {machine}")
    for size, per_cloud in cat.database_sizes.items():
        for cloud, cls in per_cloud.items():
            if f"database_hourly:{cls}" not in (_get(cat.prices.fixed, cloud) or {}):
                problems.append(f"prices.fixed.{cloud}: no database_hourly:{cls} (database_sizes.{size})")
    return problems
