"""Cross-field rules of the workload layer: ``workloads:`` toggles and teams' ``quotas:`` per pool."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.spec.models import Spec
from mlstack.spec.quotas import TOTAL_FIELDS, UNITS, accelerator_pools, pool_machine

Finding = tuple[str, str]
#: The CPU and memory flavor's name; a pool of that name would clash with it.
ANY_NODE_FLAVOR = "any-node"


def check(spec: Spec, catalog) -> Iterator[Finding]:
    w = spec.workloads
    if w.trainer and not w.jobset:
        yield "workloads.trainer", "Kubeflow Trainer runs every TrainJob as a JobSet: it needs jobset: true. Set jobset: true, or trainer: false"
    if ANY_NODE_FLAVOR in spec.node_pools:
        yield f"node_pools.{ANY_NODE_FLAVOR}", f"{ANY_NODE_FLAVOR!r} is the Kueue flavor for CPU and memory. Rename the pool"
    yield from _interconnect(spec, catalog)
    pools = accelerator_pools(spec, catalog)
    have = ", ".join(pools) or "none"
    used: dict[str, tuple[int, str]] = {}
    for team in sorted(spec.teams):
        t = spec.teams[team]
        for pool, n in sorted(t.quotas.items()):
            path = f"teams.{team}.quotas.{pool}"
            if pool not in spec.node_pools:
                yield path, (
                    f"no node pool {pool!r}: quotas are keyed by accelerator pool name (accelerator pools: {have}). "
                    "Add the pool under node_pools, or remove this quota"
                )
                continue
            cap = pools.get(pool)
            if cap is None:
                yield path, (
                    f"pool {pool!r} has no accelerator; quotas: holds accelerators per pool (accelerator pools: {have}). "
                    "A team's CPU and memory are cpu_quota and memory_quota_gib"
                )
                continue
            if cap.total is not None and n > cap.total:
                yield path, (
                    f"{n} {UNITS[cap.kind]} is more than pool {pool!r} can ever provide ({cap.total} at its max: "
                    f"{cap.nodes} x {cap.per_node}). Lower the quota or raise node_pools.{pool}.max"
                )
            total, _ = used.get(pool, (0, ""))
            used[pool] = (total + n, path)
        if t.quotas:
            sums = dict.fromkeys(TOTAL_FIELDS, 0)
            for pool, n in t.quotas.items():
                if pool in pools:
                    sums[pools[pool].kind] += n
            for kind, field in TOTAL_FIELDS.items():
                legacy = getattr(t, field)
                if legacy and legacy != sums[kind]:
                    yield f"teams.{team}.{field}", (
                        f"{field}: {legacy} disagrees with the team's quotas on {kind} pools ({sums[kind]}). With quotas: "
                        f"the total is their sum; remove {field}"
                    )
    for pool, (total, path) in sorted(used.items()):
        cap = pools[pool]
        if cap.total is not None and total > cap.total:
            yield path, (
                f"the teams' quotas on pool {pool!r} add up to {total} {UNITS[cap.kind]}, more than it can provide at its "
                f"max ({cap.total}); a nominal quota is a guarantee. Lower the quotas or raise node_pools.{pool}.max"
            )


def _interconnect(spec: Spec, catalog) -> Iterator[Finding]:
    cloud = spec.target.cloud
    rules = targets.pack(cloud).spec
    if spec.workloads.rdma_resource and not rules.existing_cluster:
        where = " or ".join(p.name for p in targets.packs() if p.target and p.spec.existing_cluster)
        yield "workloads.rdma_resource", (
            f"only for {where} (an RDMA device plugin you run); on {cloud} set node_pools.<pool>.multi_node instead. Remove it"
        )
    for key in sorted(spec.node_pools):
        pool = spec.node_pools[key]
        if not pool.multi_node:
            continue
        path = f"node_pools.{key}.multi_node"
        if rules.existing_cluster:
            yield path, f"{cloud} pools are existing nodes mlstack does not place; name your RDMA resource in workloads.rdma_resource instead"
            continue
        machine = pool_machine(spec, catalog, key)
        if machine is None:
            yield path, "only for GPU and Trainium pools (TPU slices are placed by their topology). Remove it"
        elif rules.interconnect_one_zone and len(pool.zones) != 1:
            yield path, f"{rules.interconnect} is in one zone: name exactly one, e.g. zones: [{spec.target.region}-a]"
        elif not catalog.multi_node_capable(cloud, machine):
            yield path, (
                f"{machine} has no {rules.interconnect} (catalogue interconnect.{cloud}; a machine the catalogue does not list "
                "counts as none); multi-node placement needs it. "
                "Pick an accelerator or gpus_per_node whose machine has it, or set multi_node: false"
            )
