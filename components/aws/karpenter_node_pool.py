"""KarpenterNodePool: one mlstack pool as a Karpenter ``EC2NodeClass`` and ``NodePool`` (or one per capacity type).

The pool's nodes carry the same labels and taints as a managed node group of that pool (``mlstack.io/pool``,
``mlstack.io/accelerator``, the NVIDIA or Neuron taint), so workloads select a pool the same way whichever
autoscaler serves it.

Capacity order. Within one NodePool Karpenter always tries ``reserved`` first, then ``spot``, then
``on-demand``, falling back within milliseconds when EC2 reports no capacity. When the pool's order is that
order (or a part of it), one NodePool allows all its types. Any other order (say on-demand before spot) is
expressed the way Karpenter documents fallbacks: one NodePool per capacity type, ``<pool>-<type>``, with
descending weights (100, 90, 80), which Karpenter tries highest first. Each of those NodePools carries the
pool's limits, so in that form the pool may reach its limit once per capacity type.

Disruption. Accelerator pools never have a running job evicted by Karpenter on its own initiative:
consolidation only removes *empty* nodes (``WhenEmpty``), budgets allow zero ``Drifted`` or
``Underutilized`` disruptions, and nodes never expire (``expireAfter: Never``). A user who wants cheaper,
denser packing says so with ``consolidation="WhenEmptyOrUnderutilized"``. CPU pools consolidate
underutilized nodes, 10% at a time, and are replaced every 30 days (``720h``, Karpenter's default). Pods
that must never move annotate themselves ``karpenter.sh/do-not-disrupt: "true"``. A spot reclaim is not a
voluntary disruption: the interruption queue gives the two-minute warning (see :mod:`.interruption_queue`).

Reservations: ``capacity_reservation_ids`` (on-demand capacity reservations or Capacity Blocks, ``cr-...``)
go into the EC2NodeClass's ``capacityReservationSelectorTerms``; the ``reserved`` capacity type uses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts, tags_with
from .node_pool import ACCELERATOR_LABEL, POOL_LABEL, ROOT_DEVICE, Taint, accelerator_taints

TOKEN = "mlstack:aws:KarpenterNodePool"
#: Karpenter's own preference between capacity types inside one NodePool.
NATIVE_ORDER = ("reserved", "spot", "on-demand")
CapacityType = Literal["reserved", "spot", "on-demand"]
Consolidation = Literal["WhenEmpty", "WhenEmptyOrUnderutilized"]
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
#: AMI alias: Karpenter picks the AL2023 variant (standard, NVIDIA, Neuron) each instance type needs.
AMI_ALIAS = "al2023@latest"


@dataclass(frozen=True, kw_only=True)
class KarpenterNodePoolArgs:
    """Arguments of :class:`KarpenterNodePool`.

    Attributes:
        instance_types: EC2 instance types the pool may launch (``node.kubernetes.io/instance-type In``).
        capacity_types: capacity types in the order to try them; default ``("on-demand",)``.
        limits: NodePool ``limits`` (resource -> quantity, e.g. ``{"cpu": "192", "nvidia.com/gpu": "16"}``);
            the mapping derives them from the pool's max and its largest instance type.
        ami_type: the EKS AMI type of the pool's instance types; it decides the accelerator taint exactly as
            for a managed node group. Default ``AL2023_x86_64_STANDARD``.
        accelerator: portable accelerator name for the ``mlstack.io/accelerator`` label; None for CPU pools.
        labels: extra node labels; ``mlstack.io/pool`` is always set.
        taints: extra taints, after the accelerator taint.
        disk_size_gib: encrypted gp3 root volume size; default 100.
        capacity_reservation_ids: ``cr-...`` ids of capacity reservations or Capacity Blocks; default none.
            Required (non-empty) when ``capacity_types`` includes ``reserved``.
        capacity_block: the reservations are EC2 Capacity Blocks for ML (prepaid, ending at a fixed time), not
            open capacity reservations; recorded as the annotation ``mlstack.io/capacity-block: "true"`` for cost
            reports (Karpenter tells the two apart itself). Default False.
        consolidation: ``WhenEmpty`` or ``WhenEmptyOrUnderutilized``; None (default) picks ``WhenEmpty`` for
            accelerator pools and ``WhenEmptyOrUnderutilized`` for CPU pools.
        consolidate_after: how long a node stays empty (or underutilized) before removal; default ``10m``.
        expire_after: node lifetime; None (default) means ``Never`` for accelerator pools and ``720h`` otherwise.
        max_nodes: the most nodes the pool may run (the spec's max), recorded as the annotation
            ``mlstack.io/max-nodes`` for cost reports; None records nothing. The limits are what Karpenter enforces.
        instance_store_raid0: stripe the instance's local NVMe disks into one RAID0 array used for the
            kubelet's and containerd's storage (images, emptyDir); default False.
        pool_name: value of ``mlstack.io/pool`` and the objects' names; None uses the component's name.
        node_role_name: IAM role of the nodes (the Karpenter component's node role).
        subnet_ids: private subnets for the nodes.
        security_group_ids: security groups of the nodes (the cluster security group).
        tags: tags for the instances and volumes Karpenter launches.
    """

    instance_types: Sequence[str]
    limits: Mapping[str, str]
    capacity_types: Sequence[CapacityType] = ("on-demand",)
    ami_type: str = "AL2023_x86_64_STANDARD"
    accelerator: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    disk_size_gib: int = 100
    capacity_reservation_ids: Sequence[str] = ()
    capacity_block: bool = False
    consolidation: Consolidation | None = None
    consolidate_after: str = "10m"
    expire_after: str | None = None
    max_nodes: int | None = None
    instance_store_raid0: bool = False
    pool_name: str | None = None
    node_role_name: pulumi.Input[str] | None = None
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.instance_types:
            raise ValueError("instance_types must not be empty")
        if not self.capacity_types or len(set(self.capacity_types)) != len(self.capacity_types):
            raise ValueError(f"capacity_types must be distinct and non-empty, got {list(self.capacity_types)}")
        unknown = [c for c in self.capacity_types if c not in NATIVE_ORDER]
        if unknown:
            raise ValueError(f"capacity_types {unknown} are not among {list(NATIVE_ORDER)}")
        if ("reserved" in self.capacity_types) != bool(self.capacity_reservation_ids):
            raise ValueError("capacity type 'reserved' and capacity_reservation_ids go together")
        if not self.limits:
            raise ValueError("limits must not be empty: an unlimited pool can launch without bound")
        if self.disk_size_gib < 20:
            raise ValueError(f"disk_size_gib must be at least 20, got {self.disk_size_gib}")


def node_pool_layout(capacity_types: Sequence[str]) -> list[tuple[str | None, list[str], int | None]]:
    """(name suffix, capacity types, weight) per NodePool: one NodePool when the order is Karpenter's own,
    else one per type with descending weights."""
    native = [c for c in NATIVE_ORDER if c in capacity_types]
    if list(capacity_types) == native:
        return [(None, list(capacity_types), None)]
    return [(c, [c], 100 - 10 * i) for i, c in enumerate(capacity_types)]


class KarpenterNodePool(pulumi.ComponentResource):
    """The EC2NodeClass and NodePool custom resources of one pool. Pass the cluster's Kubernetes provider.

    Outputs: node_class_name, node_pool_names, labels (plain dict), taints (plain list).
    """

    def __init__(self, name: str, args: KarpenterNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.node_role_name is None or args.subnet_ids is None or not args.security_group_ids:
            raise ValueError(f"{name}: node_role_name, subnet_ids and security_group_ids are required")
        # A component's depends_on does not reach its children: pass it on, so that the objects wait for the
        # Karpenter release that installs their CRDs.
        given = opts.depends_on if opts is not None and opts.depends_on is not None else []
        after = [given] if isinstance(given, pulumi.Resource) else list(given)  # type: ignore[arg-type]
        pool = args.pool_name or name
        accelerated = args.accelerator is not None
        labels = {**dict(args.labels), POOL_LABEL: pool}
        if args.accelerator:
            labels[ACCELERATOR_LABEL] = args.accelerator
        labels = dict(sorted(labels.items()))
        taints = accelerator_taints(args.ami_type) + list(args.taints)
        meta_labels = {"app.kubernetes.io/managed-by": "mlstack", POOL_LABEL: pool}

        node_class_spec: dict[str, Any] = {
            "amiSelectorTerms": [{"alias": AMI_ALIAS}],
            "role": args.node_role_name,
            "subnetSelectorTerms": pulumi.Output.from_input(args.subnet_ids).apply(
                lambda ids: [{"id": i} for i in ids]
            ),
            "securityGroupSelectorTerms": [{"id": sg} for sg in args.security_group_ids],
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,  # pods cannot reach the node role's credentials (IRSA only)
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": ROOT_DEVICE,
                    "rootVolume": True,
                    "ebs": {
                        "volumeSize": f"{args.disk_size_gib}Gi",
                        "volumeType": "gp3",
                        "encrypted": True,
                        "deleteOnTermination": True,
                    },
                }
            ],
            "tags": tags_with(dict(args.tags), Name=pool),
        }
        if args.capacity_reservation_ids:
            node_class_spec["capacityReservationSelectorTerms"] = [{"id": i} for i in args.capacity_reservation_ids]
        if args.instance_store_raid0:
            node_class_spec["instanceStorePolicy"] = "RAID0"
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=pool, labels=meta_labels),
            spec=node_class_spec,
            opts=child_opts(self, depends_on=after),
        )

        consolidation = args.consolidation or ("WhenEmpty" if accelerated else "WhenEmptyOrUnderutilized")
        protect_running = consolidation == "WhenEmpty"
        budgets: list[dict[str, Any]] = (
            [{"nodes": "0", "reasons": ["Drifted", "Underutilized"]}, {"nodes": "10%", "reasons": ["Empty"]}]
            if protect_running
            else [{"nodes": "10%"}]
        )
        expire_after = args.expire_after or ("Never" if accelerated else "720h")
        annotations: dict[str, str] = {}
        if args.max_nodes is not None:
            annotations["mlstack.io/max-nodes"] = str(args.max_nodes)
        if args.capacity_block:
            annotations["mlstack.io/capacity-block"] = "true"
        names: list[str] = []
        for suffix, types, weight in node_pool_layout(args.capacity_types):
            pool_object = pool if suffix is None else f"{pool}-{suffix}"
            spec: dict[str, Any] = {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": pool},
                        "requirements": [
                            {"key": "karpenter.sh/capacity-type", "operator": "In", "values": types},
                            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                            {
                                "key": "node.kubernetes.io/instance-type",
                                "operator": "In",
                                "values": sorted(args.instance_types),
                            },
                        ],
                        "taints": [{"key": t.key, "value": t.value, "effect": _EFFECTS[t.effect]} for t in taints],
                        "expireAfter": expire_after,
                    },
                },
                "disruption": {
                    "consolidationPolicy": consolidation,
                    "consolidateAfter": args.consolidate_after,
                    "budgets": budgets,
                },
                "limits": dict(sorted(args.limits.items())),
            }
            if weight is not None:
                spec["weight"] = weight
            k8s.apiextensions.CustomResource(
                f"{name}-{suffix}" if suffix else name,
                api_version="karpenter.sh/v1",
                kind="NodePool",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=pool_object,
                    labels=meta_labels,
                    annotations=annotations or None,
                ),
                spec=spec,
                opts=child_opts(self, depends_on=[node_class, *after]),
            )
            names.append(pool_object)

        self.node_class_name = pool
        self.node_pool_names = names
        self.labels: dict[str, str] = labels
        self.taints: list[Taint] = taints
        self.register_outputs(
            {
                "node_class_name": pool,
                "node_pool_names": names,
                "labels": labels,
                # Plain data on the wire: a Taint dataclass is not a Pulumi value.
                "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in taints],
            }
        )
