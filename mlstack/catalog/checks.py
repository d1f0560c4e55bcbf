"""The catalogue's cross-fact checks: facts checked against each other once every fact has its shape.

``Catalog``'s validator calls them on every load; each returns its problems as ``path: what is wrong`` lines.
"""

from __future__ import annotations

import math

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # the models call these checks; at run time this module imports none of them
    from mlstack.catalog.models import Catalog, Versions

AMI_TYPES = frozenset({"AL2023_x86_64_NVIDIA", "AL2023_x86_64_NEURON", "AL2023_x86_64_STANDARD"})
_T = TypeVar("_T")


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
                where = f"accelerators.{name}.offers.{cloud}.{o.machine_type}"
                if cloud == "aws" and o.ami_type not in AMI_TYPES:
                    problems.append(f"{where}: ami_type {o.ami_type!r} not one of {sorted(AMI_TYPES)}")
                if cloud == "gcp" and o.ami_type is not None:
                    problems.append(f"{where}: ami_type is AWS only")
                if cloud == "gcp" and acc.kind == "gpu" and not o.gcp_accelerator_type:
                    problems.append(f"{where}: a GCP GPU offer needs gcp_accelerator_type")
                if (cloud == "aws" or acc.kind != "gpu") and o.gcp_accelerator_type is not None:
                    problems.append(f"{where}: gcp_accelerator_type is for GCP GPU offers only")
                if o.flex_start and (cloud != "gcp" or acc.kind != "gpu"):
                    problems.append(f"{where}: flex_start is for GCP GPU offers only")
        if acc.kind == "tpu" and name not in cat.tpus:
            problems.append(f"accelerators.{name}: TPU without a tpus entry")
    return problems


def tpus(cat: Catalog) -> list[str]:
    problems = []
    for gen, tpu in cat.tpus.items():
        acc = cat.accelerators.get(gen)
        if acc is None or acc.kind != "tpu":
            problems.append(f"tpus.{gen}: no accelerator of kind tpu with that name")
            continue
        per_vm = {o.machine_type: o.count for o in _get(acc.offers, "gcp") or []}
        for key, t in tpu.topologies.items():
            where = f"tpus.{gen}.topologies.{key}"
            if t.topology != key:
                problems.append(f"{where}: topology is {t.topology!r}")
            if math.prod(int(d) for d in t.topology.split("x")) != t.chips:
                problems.append(f"{where}: chips {t.chips} is not the product of the topology")
            if t.nodes * t.chips_per_vm != t.chips:
                problems.append(f"{where}: nodes {t.nodes} x chips_per_vm {t.chips_per_vm} != chips {t.chips}")
            if per_vm.get(t.machine_type) != t.chips_per_vm:
                problems.append(f"{where}: {t.machine_type} is not a gcp offer of {gen} with {t.chips_per_vm} chips")
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
    if v.images.get("mlflow") and v.images["mlflow"].tag != f"v{v.mlflow}-full":
        problems.append(f"versions.images.mlflow: tag {v.images['mlflow'].tag} is not v{v.mlflow}-full")
    return problems


#: The image the cluster-autoscaler chart runs, one per Kubernetes minor: ``versions.images[<prefix><minor>]``.
AUTOSCALER_IMAGE_PREFIX = "cluster-autoscaler-"


def autoscaler_images(cat: Catalog) -> list[str]:
    """Every minor EKS supports has a Cluster Autoscaler image of that minor (CA matches its control plane)."""
    problems = []
    for minor in sorted(_get(cat.kubernetes_support, "aws") or {}):
        pin = cat.versions.images.get(AUTOSCALER_IMAGE_PREFIX + minor)
        if pin is None:
            problems.append(f"versions.images: no {AUTOSCALER_IMAGE_PREFIX}{minor} for kubernetes_support.aws.{minor}")
        elif not pin.tag.startswith(f"v{minor}."):
            problems.append(f"versions.images.{AUTOSCALER_IMAGE_PREFIX}{minor}: tag {pin.tag} is not a {minor} release")
    return problems


def prices(cat: Catalog) -> list[str]:
    problems = []
    priced = cat.prices.machines
    wanted: set[tuple[str, str]] = set()
    for acc in cat.accelerators.values():
        for cloud, offers in acc.offers.items():
            wanted.update((cloud, o.machine_type) for o in offers)
    for tpu in cat.tpus.values():
        wanted.update(("gcp", t.machine_type) for t in tpu.topologies.values())
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
