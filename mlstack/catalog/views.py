"""What the catalogue knows, as rows of plain data for ``mlstack catalog``: one row per fact, per cloud and region,
each with the date it was checked and where (``checked``, ``source``).

Facts that carry their own date (versions, support windows) give theirs; tabular facts (offers, machines, prices,
TPU slices and zones, zone counts) are dated by their file (``Catalog.origins``), whose sources the view lists
under ``sources``. Pure: reads the validated catalogue and imports nothing else, so the command stays fast.
"""

from __future__ import annotations

import difflib
from typing import Any, get_args

from mlstack.catalog.models import Catalog, CatalogError, Cloud, scalar_version_fields

TOPICS = ("accelerators", "machines", "tpus", "regions", "versions")
CLOUDS: tuple[str, ...] = get_args(Cloud)

Row = dict[str, Any]


def known_regions(cat: Catalog) -> dict[str, list[str]]:
    """Per cloud, every region the catalogue has a fact about (the region list, zone counts, prices, TPU zones),
    sorted."""
    found: dict[str, set[str]] = {c: set() for c in CLOUDS}
    for cloud, listed in cat.regions.items():
        found[cloud].update(listed)
    for cloud, zones in cat.availability_zones.items():
        found[cloud].update(zones)
    for cloud, machines in cat.prices.machines.items():
        for regions in machines.values():
            found[cloud].update(regions)
    for name, gen in cat.tpus.items():
        for cloud in _tpu_clouds(cat, name):
            found[cloud].update(gen.regions)
    return {c: sorted(r) for c, r in found.items()}


def view(cat: Catalog, topic: str, cloud: str | None = None, region: str | None = None) -> dict[str, Any]:
    """``{"topic", "cloud", "region", "as_of", "rows", "sources"}`` for one topic.

    Args:
        cat: the validated catalogue.
        topic: one of :data:`TOPICS`.
        cloud: only this cloud (aws, gcp); default both.
        region: only facts about this region (and facts no region bounds, such as a machine's shape); it also
            narrows the clouds to those the catalogue knows the region on.

    Raises:
        CatalogError: an unknown topic, or a region the catalogue knows nothing about (naming the known ones).
    """
    if topic not in TOPICS:
        raise CatalogError(f"unknown catalogue topic {topic!r}; topics: {', '.join(TOPICS)}")
    if cloud is not None and cloud not in CLOUDS:
        raise CatalogError(f"the catalogue has no cloud {cloud!r}; it covers {', '.join(CLOUDS)} "
                           "(on-prem nodes exist already: any accelerator name the catalogue lists works there)")
    clouds = [cloud] if cloud else list(CLOUDS)
    if region is not None:
        clouds = _clouds_of(cat, region, clouds)
    rows = _BUILDERS[topic](cat, clouds, region)
    origins = {o.file: o for o in cat.origins.values()}
    files = sorted({r["source"] for r in rows if r["source"] in origins})
    sources = {f: {"as_of": origins[f].as_of, "sources": [s.model_dump() for s in origins[f].sources]} for f in files}
    return {"topic": topic, "cloud": cloud, "region": region, "as_of": cat.as_of, "rows": rows, "sources": sources}


def _clouds_of(cat: Catalog, region: str, clouds: list[str]) -> list[str]:
    known = known_regions(cat)
    having = [c for c in clouds if region in known[c]]
    if having:
        return having
    names = sorted({r for c in clouds for r in known[c]})
    close = difflib.get_close_matches(region, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise CatalogError(
        f"the catalogue has no facts about region {region!r} on {' or '.join(clouds)}.{hint} "
        f"Regions it knows: {', '.join(names)}"
    )


def _dated(cat: Catalog, key: str) -> dict[str, str]:
    origin = cat.origins[key]
    return {"checked": origin.as_of, "source": origin.file}


def _prices(cat: Catalog, cloud: str, machine: str, region: str | None) -> dict[str, Any]:
    """The machine's price columns: the regions it is priced in, or with ``region`` its prices there."""
    table = cat.prices.machines.get(cloud, {}).get(machine, {})  # type: ignore[call-overload]
    if region is None:
        return {"priced_regions": sorted(table)}
    point = table.get(region)
    return {
        "on_demand_hourly": point.on_demand_hourly if point else None,
        "spot_hourly": point.spot_hourly if point else None,
        "prices_checked": cat.prices.as_of,
    }


def _accelerators(cat: Catalog, clouds: list[str], region: str | None) -> list[Row]:
    rows = []
    for name, acc in sorted(cat.accelerators.items()):
        for cloud in clouds:
            for offer in sorted(acc.offers.get(cloud, []), key=lambda o: o.count):  # type: ignore[call-overload]
                rows.append({
                    "accelerator": name, "kind": acc.kind, "vendor": acc.vendor, "accelerator_memory_gib": acc.memory_gib,
                    "cloud": cloud, "machine_type": offer.machine_type, "count": offer.count, "vcpus": offer.vcpus,
                    "memory_gib": offer.memory_gib, "multi_node": cat.multi_node_capable(cloud, offer.machine_type),
                    **_prices(cat, cloud, offer.machine_type, region), **_dated(cat, "accelerators"),
                })
    return rows


def _machines(cat: Catalog, clouds: list[str], region: str | None) -> list[Row]:
    """Every machine type a pool can get from the catalogue: the CPU types and the accelerator machines."""
    rows = []
    for cloud in clouds:
        default = cat.default_system_machine.get(cloud)  # type: ignore[call-overload]
        for machine, shape in cat.machines.get(cloud, {}).items():  # type: ignore[call-overload]
            rows.append({"cloud": cloud, "machine_type": machine, "vcpus": shape.vcpus, "memory_gib": shape.memory_gib,
                         "accelerator": None, "count": 0, "system_default": machine == default,
                         **_prices(cat, cloud, machine, region), **_dated(cat, "machines")})
        for name, acc in cat.accelerators.items():
            for offer in acc.offers.get(cloud, []):  # type: ignore[call-overload]
                rows.append({"cloud": cloud, "machine_type": offer.machine_type, "vcpus": offer.vcpus,
                             "memory_gib": offer.memory_gib, "accelerator": name, "count": offer.count,
                             "system_default": False, **_prices(cat, cloud, offer.machine_type, region),
                             **_dated(cat, "accelerators")})
    return sorted(rows, key=lambda r: (r["cloud"], r["machine_type"]))


def _tpu_clouds(cat: Catalog, generation: str) -> list[str]:
    """The clouds whose offers carry TPU ``generation`` (its slices' machine types are those offers)."""
    return cat.clouds_for(generation) if generation in cat.accelerators else []


def _tpus(cat: Catalog, clouds: list[str], region: str | None) -> list[Row]:
    rows = []
    offered = [(name, gen, cloud) for name, gen in sorted(cat.tpus.items()) for cloud in _tpu_clouds(cat, name)]
    for name, gen, cloud in offered:
        if cloud not in clouds:
            continue
        regions = {r: z for r, z in gen.regions.items() if region in (None, r)}
        if region is not None and not regions:
            continue
        for t in gen.topologies.values():
            rows.append({"cloud": cloud, "accelerator": name, "gke_accelerator": gen.gke_accelerator,
                         "topology": t.topology, "chips": t.chips, "machine_type": t.machine_type,
                         "chips_per_vm": t.chips_per_vm, "nodes": t.nodes, "multi_host": t.multi_host,
                         "zones": {r: list(z) for r, z in sorted(regions.items())}, **_dated(cat, "tpus")})
    return rows


def _regions(cat: Catalog, clouds: list[str], region: str | None) -> list[Row]:
    """One row per fact about a region: its zone count, the machines priced there, the TPUs offered there."""
    known = known_regions(cat)
    rows = []
    for cloud in clouds:
        for name in known[cloud]:
            if region not in (None, name):
                continue
            listed = cat.regions.get(cloud, {}).get(name)  # type: ignore[call-overload]
            if listed is not None:  # the cloud has it: its own name, dated and sourced
                rows.append({"cloud": cloud, "region": name, "fact": "name", "value": listed.name,
                             "checked": listed.checked, "source": listed.source})
            zones = cat.availability_zones.get(cloud, {}).get(name)  # type: ignore[call-overload]
            if zones is not None:
                rows.append({"cloud": cloud, "region": name, "fact": "availability_zones", "value": zones,
                             **_dated(cat, "availability_zones")})
            priced = sorted(m for m, table in cat.prices.machines.get(cloud, {}).items() if name in table)  # type: ignore[call-overload]
            if priced:
                rows.append({"cloud": cloud, "region": name, "fact": "priced_machines", "value": priced,
                             **_dated(cat, "prices")})
            for gen_name, gen in sorted(cat.tpus.items()):
                if cloud in _tpu_clouds(cat, gen_name) and name in gen.regions:
                    rows.append({"cloud": cloud, "region": name, "fact": f"tpu_zones:{gen_name}",
                                 "value": list(gen.regions[name]), **_dated(cat, "tpus")})
    return rows


def _versions(cat: Catalog, clouds: list[str], region: str | None) -> list[Row]:
    """The default versions and pins (for every target), then each cloud's Kubernetes support windows."""
    v = cat.versions
    rows: list[Row] = []
    for key in scalar_version_fields():
        prov = v.provenance.get(key)
        rows.append({"what": key, "version": getattr(v, key), "newest_known": None,
                     "checked": prov.checked if prov else None, "source": prov.source if prov else None})
    for kind, pins in (("chart", v.charts), ("image", v.images)):
        for name, pin in sorted(pins.items()):
            version = pin.version if kind == "chart" else pin.tag  # type: ignore[union-attr]
            rows.append({"what": f"{kind}:{name}", "version": version, "newest_known": pin.newest_known,
                         "checked": pin.checked, "source": pin.source})
    for cloud in clouds:
        windows = cat.kubernetes_support.get(cloud, {})  # type: ignore[call-overload]
        for minor in sorted(windows, key=_minor_key):
            w = windows[minor]
            rows.append({"what": f"kubernetes_support:{cloud}:{minor}", "cloud": cloud, "version": minor,
                         "released": w.released, "end_of_standard_support": w.end_of_standard_support,
                         "end_of_extended_support": w.end_of_extended_support, "estimated": w.estimated,
                         "checked": w.checked, "source": w.source})
    return rows


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(x) for x in minor.split("."))


_BUILDERS = {"accelerators": _accelerators, "machines": _machines, "tpus": _tpus, "regions": _regions,
             "versions": _versions}

