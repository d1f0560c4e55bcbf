"""What a valid spec asks for that mlstack could not check: warnings, not errors (``validate`` and ``plan`` print
them). Today: accelerator pools on a machine type the catalogue does not list (``mlstack.catalog.pool_machine``)."""

from __future__ import annotations

from mlstack.spec.models import Spec

Notice = tuple[str, str]  # (field path, what was not checked)


def notices(spec: Spec) -> list[Notice]:
    """Every warning of a spec that validates, as (field path, message), in pool order."""
    from mlstack import targets
    from mlstack.catalog import CatalogError, load_catalog
    from mlstack.catalog.pool_machine import pool_machine

    if targets.pack(spec.target.cloud).spec.existing_cluster:
        return []
    catalog = load_catalog()
    out = []
    for key, pool in sorted(spec.node_pools.items()):
        acc = catalog.accelerators.get(pool.accelerator or "")
        if pool.machine is None or acc is None or acc.kind == "tpu":
            continue
        try:
            machine = pool_machine(catalog, acc.name, spec.target.cloud, pool.gpus_per_node, pool.machine)
        except CatalogError:
            continue  # a spec error, reported by validate
        if not machine.listed:
            out.append((f"node_pools.{key}.machine", machine.unchecked))
    return out
