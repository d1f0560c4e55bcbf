"""TPU slices as GKE node pools: single-host pools scale by node, multi-host pools are one slice each.

GKE facts this module follows (GKE docs "Plan TPUs in GKE", "Deploy TPU workloads in GKE Standard" and
"Deploy TPU Multislice in GKE", read 2025):
- A multi-host TPU slice node pool holds exactly one slice: its size is the number of VMs in the topology
  (chips in the topology / chips per VM) and GKE creates, repairs and scales it atomically. Several slices
  (Multislice) are several node pools of the same machine type and topology.
- Autoscaling a multi-host pool means scaling that one slice between 0 and all its nodes: max_node_count must
  equal the nodes of the slice; min_node_count is 0.
- A single-host slice is one VM (ct5lp-hightpu-8t is a whole 2x4 v5e), so a single-host pool autoscales by
  node and every node is a whole slice. Its topology follows from the machine type: no placement policy.
- GKE's ``min_node_count``/``max_node_count`` are per zone in a regional pool (``NodePool`` uses the
  ``total_*`` limits for that reason). Every TPU pool here pins one zone (``node_locations=[zone]``), so per
  zone is the whole pool and the per-zone limits are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from ..contract import ACCELERATOR_LABEL, POOL_LABEL
from .._base import child_opts

TOKEN = "mlstack:gcp:TpuNodePool"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True, kw_only=True)
class TpuNodePoolArgs:
    """Inputs of :class:`TpuNodePool`.

    Attributes:
        project_id: the GCP project.
        location: the cluster's location (its region).
        cluster: the cluster's name. ``None`` only when :class:`GcpEnvironment` fills it in.
        pool_name: the spec's name of the pool, the ``mlstack.io/pool`` label and the prefix of the GKE pools.
        zone: the one zone of the slice, where this TPU generation is offered (decided by the engine).
        machine_type: the TPU VM machine type, e.g. ``ct5lp-hightpu-4t`` (decided by the engine).
        tpu_topology: the slice's chip topology, e.g. ``4x4`` or ``2x2x2``.
        nodes_per_slice: VMs in one slice (chips in the topology / chips per VM); 1 is a single-host slice.
        min_slices: slices kept running. Default 0 (scale to zero).
        max_slices: the most slices the pool may run. Default 1.
        accelerator_name: the portable name for the ``mlstack.io/accelerator`` label, e.g. ``tpu-v5e``.
        spot: Spot VMs. Default False.
        disk_size_gib: boot disk size. Default 100.
        disk_type: boot disk type. Default ``pd-balanced``.
        service_account_email: the node service account. ``None`` only when :class:`GcpEnvironment` fills it in.
        auto_upgrade: node auto-upgrade; must stay on with a release channel. Default True.
        version: the GKE node version (e.g. ``1.36.2-gke.1000000``: a lock's, honoured when the cluster has no
            release channel). Default None: the control plane's version at creation.
        labels: GCP resource labels on the TPU VMs.
    """

    project_id: str
    location: str
    cluster: pulumi.Input[str] | None = None
    pool_name: str
    zone: str
    machine_type: str
    tpu_topology: str
    nodes_per_slice: int
    min_slices: int = 0
    max_slices: int = 1
    accelerator_name: str
    spot: bool = False
    disk_size_gib: int = 100
    disk_type: str = "pd-balanced"
    service_account_email: pulumi.Input[str] | None = None
    auto_upgrade: bool = True
    version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


class TpuNodePool(pulumi.ComponentResource):
    """TPU capacity in whole slices.

    Single-host (``nodes_per_slice == 1``): one pool ``<name>-pool`` autoscaled between ``min_slices`` and
    ``max_slices`` nodes. Multi-host: one pool per slice, ``<name>-slice-<i>`` for i < ``max_slices``, each
    with placement policy COMPACT and ``tpu_topology``; the first ``min_slices`` are fixed at
    ``nodes_per_slice`` nodes, the rest autoscale atomically between 0 and ``nodes_per_slice``.

    Outputs:
        node_pool_names: the GKE node pools' names, in slice order.
        version: the node version of the slices (what a lock records).
    """

    def __init__(self, name: str, args: TpuNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.cluster is None or args.service_account_email is None:
            raise ValueError(f"TPU pool {name}: cluster and service_account_email are required")
        if args.nodes_per_slice < 1 or args.max_slices < 1 or not 0 <= args.min_slices <= args.max_slices:
            raise ValueError(f"TPU pool {name}: need nodes_per_slice >= 1 and 0 <= min_slices <= max_slices >= 1")

        pools: list[gcp.container.NodePool] = []
        if args.nodes_per_slice == 1:
            pools.append(
                self._pool(
                    f"{name}-pool",
                    args,
                    # Per-zone limits are the pool's totals: the pool has one zone (module docstring).
                    autoscaling=gcp.container.NodePoolAutoscalingArgs(
                        min_node_count=args.min_slices, max_node_count=args.max_slices
                    ),
                    initial_node_count=args.min_slices,
                )
            )
        else:
            for i in range(args.max_slices):
                placement = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=args.tpu_topology)
                if i < args.min_slices:
                    pools.append(self._pool(f"{name}-slice-{i}", args, node_count=args.nodes_per_slice, placement=placement))
                else:
                    pools.append(
                        self._pool(
                            f"{name}-slice-{i}",
                            args,
                            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                                min_node_count=0, max_node_count=args.nodes_per_slice
                            ),
                            initial_node_count=0,
                            placement=placement,
                        )
                    )
        self.node_pool_names: pulumi.Output[list[str]] = pulumi.Output.all(*[p.name for p in pools])
        # Every slice is created at the same version (``args.version`` or the control plane's): the first one's.
        self.version: pulumi.Output[str] = pools[0].version
        self.register_outputs({"node_pool_names": self.node_pool_names, "version": self.version})

    def _pool(
        self,
        resource_name: str,
        args: TpuNodePoolArgs,
        *,
        node_count: int | None = None,
        initial_node_count: int | None = None,
        autoscaling: gcp.container.NodePoolAutoscalingArgs | None = None,
        placement: gcp.container.NodePoolPlacementPolicyArgs | None = None,
    ) -> gcp.container.NodePool:
        labels = {
            ACCELERATOR_LABEL: args.accelerator_name,
            POOL_LABEL: args.pool_name,
        }
        return gcp.container.NodePool(
            resource_name,
            project=args.project_id,
            location=args.location,
            cluster=args.cluster,  # type: ignore[arg-type]  # checked in __init__
            # A slice lives in one zone: the one the engine picked for this TPU generation.
            node_locations=[args.zone],
            node_count=node_count,
            initial_node_count=initial_node_count,
            autoscaling=autoscaling,
            placement_policy=placement,
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=args.auto_upgrade),
            version=args.version,
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=args.machine_type,
                spot=args.spot,
                disk_size_gb=args.disk_size_gib,
                disk_type=args.disk_type,
                service_account=args.service_account_email,
                oauth_scopes=[CLOUD_PLATFORM],
                labels=labels,
                resource_labels=dict(sorted(args.labels.items())),
                # Keeps pods that do not request TPUs off the slice.
                taints=[gcp.container.NodePoolNodeConfigTaintArgs(key="google.com/tpu", value="present", effect="NO_SCHEDULE")],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
                metadata={"disable-legacy-endpoints": "true"},
            ),
            opts=child_opts(self, ignore_changes=["initialNodeCount"] if autoscaling else None),
        )
