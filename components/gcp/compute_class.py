"""ComputeClass: one mlstack accelerator pool as a GKE custom ComputeClass with a fallback order.

GKE's cluster autoscaler creates node pools for the class on demand (``nodePoolAutoCreation``) and tries the
``priorities`` top to bottom: a named reservation first (``reservations.affinity: Specific``), then Spot,
then on-demand, then Dynamic Workload Scheduler flex-start where the catalogue says the machine supports
it, in the order the pool gives. Pods select the class with the node selector
``cloud.google.com/compute-class: <name>`` (or the pool's ``mlstack.io/pool`` label, which every node of the
class carries).

Nothing it does evicts a running job on its own: ``activeMigration.optimizeRulePriority`` stays off (on, GKE
would move pods from a fallback node back to a preferred one when it frees up), and ``whenUnsatisfiable`` is
``DoNotScaleUp`` so a pod that no priority can serve waits instead of landing on an unrelated machine.
Auto-repair and auto-upgrade are on for the class's node pools.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..contract import ACCELERATOR_LABEL, POOL_LABEL

TOKEN = "mlstack:gcp:ComputeClass"
Capacity = Literal["reservation", "spot", "on-demand", "flex-start"]


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """A Compute Engine reservation the class consumes first: ``name`` in ``project`` (None: the cluster's)."""

    name: str
    project: str | None = None


@dataclass(frozen=True, kw_only=True)
class ComputeClassArgs:
    """Arguments of :class:`ComputeClass`.

    Attributes:
        machine_type: the machine type of every priority (e.g. ``a3-highgpu-8g``).
        gpu_type: the GKE accelerator type (e.g. ``nvidia-h100-80gb``).
        gpu_count: GPUs per node.
        capacity: capacity kinds in the order to try them; default ``("on-demand",)``.
        reservation: the reservation the ``reservation`` priority consumes (required exactly when
            ``capacity`` lists ``reservation``).
        accelerator: portable accelerator name, for the ``mlstack.io/accelerator`` node label.
        labels: extra node labels; ``mlstack.io/pool`` is always set.
        zones: zones the class may create node pools in; default the cluster's.
        disk_size_gib: boot disk size (pd-balanced); default 100.
        service_account: e-mail of the nodes' service account (the environment's node service account).
        max_nodes: the most nodes of the class (the spec's max), recorded as the annotation
            ``mlstack.io/max-nodes`` for cost reports (node auto-provisioning's limits enforce it); None: none.
        consolidation_delay_minutes: how long an empty node waits before removal; default 10.
        class_name: the object's name; None uses the pool name.
        pool_name: value of ``mlstack.io/pool``; None uses the component's name.
    """

    machine_type: str
    gpu_type: str
    gpu_count: int
    capacity: Sequence[Capacity] = ("on-demand",)
    reservation: Reservation | None = None
    accelerator: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    zones: Sequence[str] = ()
    disk_size_gib: int = 100
    service_account: pulumi.Input[str] | None = None
    consolidation_delay_minutes: int = 10
    max_nodes: int | None = None
    class_name: str | None = None
    pool_name: str | None = None

    def __post_init__(self) -> None:
        if not self.capacity or len(set(self.capacity)) != len(self.capacity):
            raise ValueError(f"capacity must be distinct and non-empty, got {list(self.capacity)}")
        if ("reservation" in self.capacity) != (self.reservation is not None):
            raise ValueError("capacity 'reservation' and reservation go together")
        if self.gpu_count < 1:
            raise ValueError(f"gpu_count must be at least 1, got {self.gpu_count}")


def priority(args: ComputeClassArgs, kind: str) -> dict[str, Any]:
    """The ComputeClass priority rule for one capacity ``kind``."""
    rule: dict[str, Any] = {
        "machineType": args.machine_type,
        "gpu": {"type": args.gpu_type, "count": args.gpu_count, "driverVersion": "default"},
        "storage": {"bootDiskType": "pd-balanced", "bootDiskSize": args.disk_size_gib},
    }
    if kind == "reservation":
        assert args.reservation is not None
        specific: dict[str, Any] = {"name": args.reservation.name}
        if args.reservation.project:
            specific["project"] = args.reservation.project
        rule["reservations"] = {"affinity": "Specific", "specific": [specific]}
    elif kind == "spot":
        rule["spot"] = True
    elif kind == "flex-start":
        rule["flexStart"] = {"enabled": True}
    return rule


class ComputeClass(pulumi.ComponentResource):
    """The ``cloud.google.com/v1`` ComputeClass. Pass the cluster's Kubernetes provider.

    Outputs: class_name, labels (plain dict).
    """

    def __init__(self, name: str, args: ComputeClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        pool = args.pool_name or name
        class_name = args.class_name or pool
        labels = {**dict(args.labels), POOL_LABEL: pool}
        if args.accelerator:
            labels[ACCELERATOR_LABEL] = args.accelerator
        labels = dict(sorted(labels.items()))
        node_pool_config: dict[str, Any] = {"autoRepair": True, "autoUpgrade": True, "nodeLabels": labels}
        if args.service_account is not None:
            node_pool_config["serviceAccount"] = args.service_account
        spec: dict[str, Any] = {
            "description": f"mlstack pool {pool}: {', '.join(args.capacity)}",
            "priorities": [priority(args, kind) for kind in args.capacity],
            "nodePoolAutoCreation": {"enabled": True},
            "nodePoolConfig": node_pool_config,
            "activeMigration": {"optimizeRulePriority": False},
            "autoscalingPolicy": {"consolidationDelayMinutes": args.consolidation_delay_minutes},
            "whenUnsatisfiable": "DoNotScaleUp",
        }
        if args.zones:
            spec["priorityDefaults"] = {"location": {"zones": sorted(args.zones)}}
        k8s.apiextensions.CustomResource(
            name,
            api_version="cloud.google.com/v1",
            kind="ComputeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=class_name,
                labels={"app.kubernetes.io/managed-by": "mlstack", POOL_LABEL: pool},
                annotations={"mlstack.io/max-nodes": str(args.max_nodes)} if args.max_nodes is not None else None,
            ),
            spec=spec,
            opts=child_opts(self),
        )
        self.class_name = class_name
        self.labels = labels
        self.register_outputs({"class_name": class_name, "labels": labels})
