"""GCP node provisioning from the spec: which pools are GKE custom ComputeClasses, and the cluster's node
auto-provisioning limits that let GKE create their node pools.

- A GPU pool with a ``capacity`` list is a ComputeClass ``mlstack-<pool>`` (``rules_capacity.node_class``):
  priorities in the pool's order (a Compute Engine reservation with ``Specific`` affinity, Spot, on-demand,
  DWS flex-start where the catalogue says the machine has it), node pool auto-creation on. It has no GKE node
  pool of its own: GKE creates node pools for the class when pods that select it are pending, and removes them
  when empty. Pods select it through the pool's Kueue flavor (``cloud.google.com/compute-class``).
- Every other pool is a node pool, as without classes.
- Node auto-provisioning is on only when there is a class. Its resource limits are cluster-wide (GKE counts every
  node of the cluster against them, the auto-created ones included), so they are the sum of every pool at its
  max: vCPUs, memory (GB) and each GPU type. A class can then reach its max even when every other pool is at its
  own; nothing beyond the spec's pools can be auto-provisioned.
"""

from __future__ import annotations

import dataclasses
import math

import pulumi

from mlstack.catalog import Catalog
from mlstack.catalog.pool_machine import pool_machine
from mlstack.components.gcp.compute_class import ComputeClass, ComputeClassArgs, Reservation
from mlstack.spec import Spec
from mlstack.spec.rules_capacity import capacity_order, node_class, node_shape

#: The spec's capacity types -> the ComputeClass component's priority kinds.
PRIORITY = {"reserved": "reservation", "spot": "spot", "on-demand": "on-demand", "flex-start": "flex-start"}


def class_pools(spec: Spec, catalog: Catalog) -> dict[str, str]:
    """Pool key -> its ComputeClass name, for the pools that are classes (sorted by key)."""
    return {k: name for k in sorted(spec.node_pools) if (name := node_class(spec, catalog, k)) is not None}


def class_args(spec: Spec, catalog: Catalog, key: str) -> ComputeClassArgs:
    """One pool's ComputeClass: the catalogue's machine for its GPU and count, priorities in its capacity order."""
    pool = spec.node_pools[key]
    machine = pool_machine(catalog, str(pool.accelerator), "gcp", pool.gpus_per_node, pool.machine)
    res = pool.reservation
    return ComputeClassArgs(
        machine_type=machine.machine_type,
        gpu_type=machine.gcp_accelerator_type or "",
        gpu_count=machine.count,
        capacity=tuple(PRIORITY[c] for c in capacity_order(pool)),  # type: ignore[misc]  # the spec rules allow these
        reservation=Reservation(name=res.id, project=res.project) if res is not None else None,
        accelerator=pool.accelerator,
        labels=dict(sorted(pool.labels.items())),
        zones=tuple(pool.zones),
        disk_size_gib=pool.disk_size_gib,
        max_nodes=pool.size()[1],
        class_name=class_pools(spec, catalog)[key],
        pool_name=key,
    )


def autoprovisioning_limits(spec: Spec, catalog: Catalog) -> dict[str, int]:
    """Node auto-provisioning resource limits (resource type -> maximum), or {} (off) without a class: every
    pool at its max (TPU pools: slices x VMs per slice), ``cpu`` in vCPUs, ``memory`` in GB (GKE's unit; the
    catalogue's GiB rounded up), and each GPU type in GPUs. The spec rules make every pool's size known."""
    if not class_pools(spec, catalog):
        return {}
    limits: dict[str, float] = {"cpu": 0, "memory": 0}
    for key, pool in sorted(spec.node_pools.items()):
        nodes = pool.size()[1]
        acc = catalog.accelerators.get(pool.accelerator or "")
        gpu = ""
        if acc is not None and acc.kind == "tpu":
            nodes *= catalog.tpu_slice(acc.name, pool.topology or "").nodes
        elif acc is not None:  # the catalogue's machine (its errors first, as for a node pool)
            gpu = pool_machine(catalog, acc.name, "gcp", pool.gpus_per_node, pool.machine).gcp_accelerator_type or ""
        shape = node_shape(spec, catalog, key)
        assert shape is not None, key  # rules_capacity._classes: every pool's size is known
        limits["cpu"] += shape[0] * nodes
        limits["memory"] += shape[1] * nodes
        if gpu:
            limits[gpu] = limits.get(gpu, 0) + shape[2] * nodes
    limits["memory"] = limits["memory"] * 1.073741824  # GiB -> GB
    return {k: math.ceil(v) for k, v in sorted(limits.items())}


def provision(spec: Spec, catalog: Catalog, service_account: pulumi.Input[str],
              provider: pulumi.ProviderResource) -> list[pulumi.Resource]:
    """One ``ComputeClass`` per class pool, on the cluster (its nodes run as the environment's node service
    account). Returns them, for the platform layer to wait for."""
    return [
        ComputeClass(f"{spec.prefix}-{key}-class", dataclasses.replace(class_args(spec, catalog, key), service_account=service_account),
                     opts=pulumi.ResourceOptions(providers=[provider]))
        for key in class_pools(spec, catalog)
    ]
