"""Team quotas per accelerator pool: the one place that resolves them, for the spec rules and the mapping.

A team's quota on a pool is the ``quotas:`` entry for it; a team without ``quotas:`` keeps the totals
``gpu_quota``/``tpu_quota``/``neuron_quota``, which apply to each pool of that kind, capped by the pool's
capacity (the namespace ResourceQuota keeps the total). No Pulumi here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlstack import targets
from mlstack.spec.models import NodePool, Spec

#: The Kubernetes extended resource each accelerator kind's device plugin advertises.
ACCELERATOR_RESOURCES = {"gpu": "nvidia.com/gpu", "tpu": "google.com/tpu", "trainium": "aws.amazon.com/neuron"}
#: The legacy per-kind total field of a team.
TOTAL_FIELDS = {"gpu": "gpu_quota", "tpu": "tpu_quota", "trainium": "neuron_quota"}
#: What the quota counts, per kind, for messages.
UNITS = {"gpu": "GPUs", "tpu": "TPU chips", "trainium": "Neuron devices"}


@dataclass(frozen=True)
class PoolCapacity:
    """An accelerator pool's kind, per-node (TPU: per-slice) device count and most devices at its max.

    ``total`` is None on-prem, where pools describe existing nodes and mlstack does not know how many.
    """

    kind: str
    per_node: int
    nodes: int | None

    @property
    def resource(self) -> str:
        return ACCELERATOR_RESOURCES[self.kind]

    @property
    def total(self) -> int | None:
        return None if self.nodes is None else self.per_node * self.nodes


def _max_nodes(spec: Spec, pool: NodePool) -> int | None:
    if targets.pack(spec.target.cloud).spec.existing_cluster:
        return None
    return pool.size()[1]


def pool_capacity(spec: Spec, catalog, name: str) -> PoolCapacity | None:
    """The capacity of accelerator pool ``name``; None for a CPU pool or an accelerator the catalogue lacks."""
    pool = spec.node_pools[name]
    acc = catalog.accelerators.get(pool.accelerator or "")
    if acc is None or acc.kind not in ACCELERATOR_RESOURCES:
        return None
    if acc.kind == "tpu":
        try:
            per_node = catalog.tpu_slice(acc.name, pool.topology or "").chips
        except Exception:  # an invalid topology is its own spec error
            per_node = 1
    else:
        counts = catalog.offered_counts(acc.name, spec.target.cloud) if spec.target.cloud in acc.offers else []
        per_node = pool.gpus_per_node or (counts[0] if counts else 1)
    return PoolCapacity(kind=acc.kind, per_node=per_node, nodes=_max_nodes(spec, pool))


def accelerator_pools(spec: Spec, catalog) -> dict[str, PoolCapacity]:
    """Every accelerator pool of ``spec`` with its capacity, sorted by name."""
    out = {}
    for name in sorted(spec.node_pools):
        cap = pool_capacity(spec, catalog, name)
        if cap is not None:
            out[name] = cap
    return out


def team_pool_quotas(spec: Spec, catalog, team: str) -> dict[str, int]:
    """Pool -> the team's nominal quota there (devices), sorted; pools without quota are left out."""
    t = spec.teams[team]
    pools = accelerator_pools(spec, catalog)
    if t.quotas:
        return {p: n for p, n in sorted(t.quotas.items()) if p in pools and n}
    out = {}
    for name, cap in pools.items():
        total = getattr(t, TOTAL_FIELDS[cap.kind])
        if total:
            out[name] = total if cap.total is None else min(total, cap.total)
    return out


def team_totals(spec: Spec, catalog, team: str) -> dict[str, int]:
    """Accelerator kind -> the team's total nominal quota (the legacy field, or the sum of ``quotas:``)."""
    t = spec.teams[team]
    if not t.quotas:
        return {kind: getattr(t, field) for kind, field in TOTAL_FIELDS.items()}
    pools = accelerator_pools(spec, catalog)
    totals = dict.fromkeys(TOTAL_FIELDS, 0)
    for pool, n in t.quotas.items():
        if pool in pools:
            totals[pools[pool].kind] += n
    return totals


def multi_node(spec: Spec, catalog, name: str) -> bool:
    """Whether pool ``name`` is placed for multi-node jobs: its ``multi_node``, else on for a GPU or Trainium pool
    whose machine type supports it (catalogue ``interconnect``)."""
    pool = spec.node_pools[name]
    cap = pool_capacity(spec, catalog, name)
    machine = pool_machine(spec, catalog, name)
    capable = machine is not None and catalog.multi_node_capable(spec.target.cloud, machine)
    # Placement in one zone (GCP's COMPACT): only a pool that names exactly one zone is placed.
    zoned = not targets.pack(spec.target.cloud).spec.interconnect_one_zone or len(pool.zones) == 1
    if pool.multi_node is not None:
        return pool.multi_node and capable and zoned
    # From the machine type alone (not the pool's size: raising max must not move the pool to one AZ and
    # replace it).
    return bool(cap and cap.kind in ("gpu", "trainium") and capable and zoned)


def pool_machine(spec: Spec, catalog, name: str) -> str | None:
    """The machine type of accelerator pool ``name`` on the spec's cloud (the catalogue's offer, or the one the
    pool names: ``mlstack.catalog.pool_machine``); None for a CPU or TPU pool, or one that is a spec error."""
    from mlstack.catalog import CatalogError
    from mlstack.catalog.pool_machine import pool_machine as resolve

    pool = spec.node_pools[name]
    acc = catalog.accelerators.get(pool.accelerator or "")
    if acc is None or acc.kind == "tpu":
        return None
    try:
        return resolve(catalog, acc.name, spec.target.cloud, pool.gpus_per_node, pool.machine).machine_type
    except CatalogError:
        return None
