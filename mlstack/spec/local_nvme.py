"""A pool's local NVMe disks (``node_pools.<pool>.local_nvme``): whether they are striped into one RAID0 array for
container images and ephemeral storage, decided once here for the rules and the target mappings alike.

Default ``raid0`` where the catalogue says every machine type of the pool comes with local NVMe
(``local_nvme.yaml``), else ``unused``. A pool of an existing cluster (on-prem) describes nodes mlstack does not
configure, and a provisioning-class pool (GKE ComputeClass) gets the node pools GKE creates: both refuse the field.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.spec.models import Spec
from mlstack.spec.rules_capacity import instance_types, node_class

Finding = tuple[str, str]


def _machines(spec: Spec, catalog, key: str) -> list[str]:
    """The machine types pool ``key`` may launch ([] for a TPU pool or one whose machine is a spec error)."""
    from mlstack.catalog import CatalogError

    acc = catalog.accelerators.get(spec.node_pools[key].accelerator or "")
    if acc is not None and acc.kind == "tpu":
        return []
    try:
        return instance_types(spec, catalog, key)
    except CatalogError:
        return []  # the accelerator rules report the machine


def _configurable(spec: Spec, catalog, key: str) -> bool:
    return not targets.pack(spec.target.cloud).spec.existing_cluster and node_class(spec, catalog, key) is None


def disks(spec: Spec, catalog, key: str):  # noqa: ANN201 - catalog.LocalNvme | None
    """The local NVMe disks each node of pool ``key`` stripes (the fewest of its machine types'), or None: unused,
    not available, or not mlstack's to configure."""
    pool = spec.node_pools[key]
    if pool.local_nvme == "unused" or not _configurable(spec, catalog, key):
        return None
    found = [catalog.local_disks(spec.target.cloud, m) for m in _machines(spec, catalog, key)]
    if not found or any(d is None for d in found):
        return None
    return min(found, key=lambda d: (d.disks, d.disk_gb))


def check(spec: Spec, catalog) -> Iterator[Finding]:
    """``local_nvme: raid0`` where it cannot be: a machine without local NVMe, an existing cluster, a ComputeClass."""
    cloud = spec.target.cloud
    for key, pool in sorted(spec.node_pools.items()):
        if pool.local_nvme is None:
            continue
        path = f"node_pools.{key}.local_nvme"
        if targets.pack(cloud).spec.existing_cluster:
            yield path, (f"{cloud} pools describe existing nodes, whose disks mlstack does not configure. Remove it; stripe "
                         "and mount the nodes' NVMe disks yourself (e.g. mdadm RAID0 under the kubelet's root dir) and "
                         "use emptyDir or a local PersistentVolume")
            continue
        if pool.local_nvme == "unused":
            continue
        if node_class(spec, catalog, key) is not None:
            yield path, ("a pool with a capacity list is a ComputeClass, whose node pools GKE creates and configures; "
                         "mlstack does not set their local SSD. Remove local_nvme, or remove capacity")
            continue
        machines = _machines(spec, catalog, key)
        lacking = [m for m in machines if catalog.local_disks(cloud, m) is None]
        if lacking:
            having = sorted(catalog.local_nvme.get(cloud, {}))
            yield path, (f"{', '.join(lacking)} has no local NVMe in the catalogue, so there is nothing to stripe. Remove "
                         f"local_nvme, or use a machine type that has it ({', '.join(having)})")
