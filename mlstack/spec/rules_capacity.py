"""Cross-field rules of node provisioning: ``cluster.autoscaler`` and a pool's ``capacity`` order,
``reservation``, ``instance_types`` and ``disruption``. What a target allows is its pack's
``SpecRules.capacity`` (``mlstack.targets.base.CapacityRules``); no rule here names a target.

It is also the one place the defaults are decided, for the rules and the target mappings alike:
:func:`autoscaler`, :func:`capacity_order`, :func:`fallbacks` and :func:`instance_types`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack import targets
from mlstack.spec.models import NodePool, Spec
from mlstack.targets.base import CapacityRules

Finding = tuple[str, str]
FIELDS = ("capacity", "reservation", "instance_types", "disruption")


def _rules(spec: Spec) -> CapacityRules:
    return targets.pack(spec.target.cloud).spec.capacity


def _only(has) -> str:
    """The targets whose capacity rules have ``has`` (for "only for ..." messages)."""
    return " or ".join(p.name for p in targets.packs() if p.target and has(p.spec.capacity))


def autoscaler(spec: Spec) -> str:
    """The autoscaler in effect: the spec's, else the target's default ("" where the spec cannot choose)."""
    r = _rules(spec)
    return spec.cluster.autoscaler or (r.autoscalers[0] if r.autoscalers else "")


def fallbacks(spec: Spec) -> bool:
    """Whether the autoscaler in effect takes several capacity types, reservations and ``disruption``."""
    r = _rules(spec)
    return bool(r.capacity_types) and (not r.fallbacks_with or autoscaler(spec) == r.fallbacks_with)


def capacity_order(pool: NodePool) -> list[str]:
    """The pool's capacity types in the order to try them: ``capacity``, else ``[spot]`` or ``[on-demand]``."""
    return list(pool.capacity) or (["spot"] if pool.spot else ["on-demand"])


def instance_types(spec: Spec, catalog, key: str) -> list[str]:
    """The machine types pool ``key`` may launch: its ``instance_types``; else for an accelerator pool its named
    machine, or every catalogue offer of its accelerator with its count per node; else its machine or the
    catalogue's system machine."""
    from mlstack.catalog.pool_machine import pool_machine

    pool = spec.node_pools[key]
    cloud = spec.target.cloud
    if pool.instance_types:
        return list(pool.instance_types)
    if pool.accelerator:
        chosen = pool_machine(catalog, pool.accelerator, cloud, pool.gpus_per_node, pool.machine)
        if pool.machine:
            return [chosen.machine_type]
        offers = catalog.accelerators[pool.accelerator].offers.get(cloud, [])
        return sorted({o.machine_type for o in offers if o.count == chosen.count} | {chosen.machine_type})
    return [pool.machine or catalog.default_system_machine[cloud]]


def node_class(spec: Spec, catalog, key: str) -> str | None:
    """The provisioning class pool ``key`` is on targets whose autoscaler has them (``CapacityRules.node_class_label``:
    GKE's ComputeClass): ``mlstack-<key>`` for a pool of a ``capacity_kinds`` accelerator with a ``capacity``
    list; None for every other pool (a node pool, node group or NodePool)."""
    r = _rules(spec)
    pool = spec.node_pools[key]
    acc = catalog.accelerators.get(pool.accelerator or "")
    if not (r.node_class_label and pool.capacity and acc is not None and (not r.capacity_kinds or acc.kind in r.capacity_kinds)):
        return None
    return f"mlstack-{key}"


def node_shape(spec: Spec, catalog, key: str) -> tuple[int, float, int] | None:
    """(vCPUs, memory GiB, accelerators) of one node of pool ``key`` (TPU pools: one VM of the slice) from the
    catalogue; None when it does not list the machine (a machine named directly)."""
    from mlstack.catalog import CatalogError
    from mlstack.catalog.pool_machine import pool_machine

    pool = spec.node_pools[key]
    cloud = spec.target.cloud
    acc = catalog.accelerators.get(pool.accelerator or "")
    if acc is None:
        size = catalog.machines.get(cloud, {}).get(pool.machine or catalog.default_system_machine.get(cloud, ""))
        return (size.vcpus, size.memory_gib, 0) if size is not None else None
    if acc.kind == "tpu":
        machine = catalog.tpu_slice(acc.name, pool.topology or "").machine_type if pool.topology else None
    else:
        try:
            machine = pool_machine(catalog, acc.name, cloud, pool.gpus_per_node, pool.machine).machine_type
        except CatalogError:
            return None
    offer = next((o for o in acc.offers.get(cloud, []) if o.machine_type == machine), None)
    return (offer.vcpus, offer.memory_gib, offer.count) if offer is not None else None


def check(spec: Spec, catalog) -> Iterator[Finding]:
    """Every node-provisioning problem of ``spec`` as (field path, message with the fix)."""
    r = _rules(spec)
    if spec.cluster.autoscaler is not None and (r.refused or not r.autoscalers):
        yield "cluster.autoscaler", r.refused or f"only for {_only(lambda c: c.autoscalers)}; {r.autoscaler_refused}"
    for key, pool in spec.node_pools.items():
        yield from _pool(spec, key, pool, catalog, r)
    yield from _classes(spec, catalog, r)


def _classes(spec: Spec, catalog, r: CapacityRules) -> Iterator[Finding]:
    """Pools that are provisioning classes (ComputeClasses): no floor, no multi-node placement, and every pool's
    size known (the cluster's node auto-provisioning limits are the sum of every pool at its max)."""
    from mlstack.catalog import CatalogError
    from mlstack.spec.quotas import multi_node

    classes = [k for k in spec.node_pools if node_class(spec, catalog, k)]
    for key in classes:
        pool, path = spec.node_pools[key], f"node_pools.{key}"
        if pool.size()[0] > 0:
            yield f"{path}.min", (f"a pool with a capacity list is a provisioning class ({node_class(spec, catalog, key)}) "
                                  "whose nodes the autoscaler creates on demand and removes when empty: it has no floor. "
                                  "Set min: 0, or remove capacity (a node pool keeps min nodes)")
        try:
            placed = multi_node(spec, catalog, key)
        except CatalogError:
            placed = False  # the accelerator rules report the machine
        if placed:
            yield f"{path}.capacity", ("a multi-node pool is one node pool in one zone with COMPACT placement, which a "
                                       "provisioning class does not give its nodes. Remove capacity, or set multi_node: false")
    if not classes:
        return
    for key in sorted(spec.node_pools):
        pool = spec.node_pools[key]
        if pool.machine and node_shape(spec, catalog, key) is None:
            yield f"node_pools.{key}.machine", (f"the catalogue has no size for {pool.machine}, which the cluster's node "
                                                "auto-provisioning limits (needed by the provisioning classes "
                                                f"{', '.join(sorted(str(node_class(spec, catalog, k)) for k in classes))}) are computed from. Use a machine type "
                                                "`mlstack catalog` lists")


def _pool(spec: Spec, key: str, pool: NodePool, catalog, r: CapacityRules) -> Iterator[Finding]:
    path = f"node_pools.{key}"
    if r.refused:
        for name in FIELDS:
            if getattr(pool, name):
                yield f"{path}.{name}", r.refused
        return
    if pool.capacity and pool.spot:
        yield f"{path}.spot", "spot: true is shorthand for capacity: [spot]; give one of them. Remove spot and list spot in capacity"
    dupes = sorted({c for c in pool.capacity if pool.capacity.count(c) > 1})
    if dupes:
        yield f"{path}.capacity", f"lists {', '.join(dupes)} more than once; each capacity type appears once, in the order to try"
    if not r.capacity_types:
        for name in ("capacity", "reservation"):
            if getattr(pool, name):
                yield f"{path}.{name}", r.capacity_refused
    else:
        yield from _order(spec, path, pool, catalog, r)
        if pool.reservation is not None:
            yield from _reservation(path, pool, r)
    if pool.disruption is not None and not (r.fallbacks_with and fallbacks(spec)):
        if r.fallbacks_with:
            yield f"{path}.disruption", (f"only with cluster.autoscaler: {r.fallbacks_with} ({autoscaler(spec)} removes "
                                         f"only empty nodes). Set cluster.autoscaler: {r.fallbacks_with}, or remove disruption")
        else:
            yield f"{path}.disruption", f"only for {_only(lambda c: c.fallbacks_with)} (the autoscaler choice there). Remove it"
    yield from _instance_types(spec, key, path, pool, catalog, r)


def _order(spec: Spec, path: str, pool: NodePool, catalog, r: CapacityRules) -> Iterator[Finding]:
    cloud = spec.target.cloud
    for i, kind in enumerate(pool.capacity):
        if kind not in r.capacity_types:
            hint = f". {r.capacity_hint}" if r.capacity_hint else ""
            yield f"{path}.capacity.{i}", f"{kind} is not a capacity type on {cloud} (it offers {', '.join(r.capacity_types)}){hint}"
    acc = catalog.accelerators.get(pool.accelerator or "")
    if pool.capacity and r.capacity_kinds and (acc is None or acc.kind not in r.capacity_kinds):
        what = acc.kind if acc is not None else "CPU"
        yield f"{path}.capacity", (f"on {cloud} a capacity list is for {' or '.join(r.capacity_kinds)} pools; {what} pools "
                                   "keep one node pool. Remove capacity (use spot: true for Spot)")
        return
    order = capacity_order(pool)
    for kind, flag in sorted(r.catalogue_flag.items()):
        if kind in order and acc is not None and cloud in acc.offers:
            yield from _flag(spec, path, pool, catalog, kind, flag)
    if "reserved" in order and pool.reservation is None:
        example = r.reservation_example or "<reservation>"
        yield f"{path}.reservation", f"required with capacity type reserved: the reservation to consume, e.g. reservation: {{id: {example}}}"
    if pool.reservation is not None and "reserved" not in order:
        yield f"{path}.capacity", ("a reservation is consumed only by the reserved capacity type. Add reserved to capacity "
                                   "(first, to use it before anything else)")
    if not fallbacks(spec) and (len(order) > 1 or "reserved" in order):
        singles = ", ".join(c for c in r.capacity_types if c != "reserved")
        yield f"{path}.capacity", (
            f"{order} needs cluster.autoscaler: {r.fallbacks_with} ({autoscaler(spec)} gives a pool one capacity type and "
            f"no reservation). Set cluster.autoscaler: {r.fallbacks_with}, or list one of {singles}"
        )


def _flag(spec: Spec, path: str, pool: NodePool, catalog, kind: str, flag: str) -> Iterator[Finding]:
    """A capacity type the catalogue must allow for the pool's machine (flex-start)."""
    from mlstack.catalog import CatalogError
    from mlstack.catalog.pool_machine import pool_machine

    try:
        chosen = pool_machine(catalog, str(pool.accelerator), spec.target.cloud, pool.gpus_per_node, pool.machine)
    except CatalogError:
        return  # the accelerator rules report the machine
    offer = next((o for o in catalog.accelerators[str(pool.accelerator)].offers[spec.target.cloud]
                  if o.machine_type == chosen.machine_type), None)
    if offer is None or not getattr(offer, flag):
        yield f"{path}.capacity", (f"{chosen.machine_type} cannot be obtained with {kind} (catalogue: {flag} "
                                   f"{'unknown' if offer is None else 'false'}). Remove {kind} from capacity")


def _reservation(path: str, pool: NodePool, r: CapacityRules) -> Iterator[Finding]:
    res = pool.reservation
    assert res is not None
    if not re.match(r.reservation_id, res.id):
        yield f"{path}.reservation.id", f"expected a reservation id such as {r.reservation_example}, got {res.id!r}"
    if res.capacity_block and not r.capacity_blocks:
        yield f"{path}.reservation.capacity_block", f"only for {_only(lambda c: c.capacity_blocks)} (EC2 Capacity Blocks). Remove it"
    if res.project is not None and not r.shared_reservations:
        yield f"{path}.reservation.project", f"only for {_only(lambda c: c.shared_reservations) or 'no target yet'} (shared reservations). Remove it"


def _instance_types(spec: Spec, key: str, path: str, pool: NodePool, catalog, r: CapacityRules) -> Iterator[Finding]:
    cloud = spec.target.cloud
    sized = catalog.machines.get(cloud, {})
    limited = bool(r.fallbacks_with) and fallbacks(spec)  # NodePool limits are computed from machine sizes
    if not pool.instance_types:
        if limited and pool.accelerator is None and pool.machine and pool.machine not in sized:
            yield f"{path}.machine", (f"the catalogue has no size for {pool.machine}, which the NodePool's limits are "
                                      f"computed from. Use one of {', '.join(sorted(sized))}")
        return
    if not r.instance_types:
        yield f"{path}.instance_types", f"only for {_only(lambda c: c.instance_types)}; a pool here has one machine type. Remove it"
        return
    if pool.machine:
        yield f"{path}.instance_types", f"give machine or instance_types, not both. Put {pool.machine} in instance_types and remove machine"
        return
    pattern = targets.pack(cloud).spec.machine_pattern
    acc = catalog.accelerators.get(pool.accelerator or "")
    offers = {o.machine_type: o.count for o in (acc.offers.get(cloud, []) if acc is not None else [])}
    seen: set[str] = set()
    for i, name in enumerate(pool.instance_types):
        where = f"{path}.instance_types.{i}"
        if name in seen:
            yield where, f"{name} is listed twice. Remove one"
        seen.add(name)
        if pattern and not re.match(pattern, name):
            yield where, f"{name!r} is not a {cloud} machine type name (e.g. {targets.pack(cloud).spec.machine_example})"
        elif acc is not None and acc.kind != "tpu":
            if name not in offers:
                yield where, (f"{name} does not carry {acc.name} in the catalogue; machine types with it: "
                              f"{', '.join(sorted(offers)) or 'none on ' + cloud}")
            elif offers[name] != (pool.gpus_per_node or min(offers.values())):
                want = pool.gpus_per_node or min(offers.values())
                yield where, (f"{name} has {offers[name]} x {acc.name}, not the pool's {want} per node. Remove it, or set "
                              f"gpus_per_node: {offers[name]} (every type of a pool has the same count)")
        elif acc is None and limited and name not in sized:
            yield where, (f"the catalogue has no size for {name}, which the NodePool's limits are computed from. "
                          f"Use one of {', '.join(sorted(sized))}")
