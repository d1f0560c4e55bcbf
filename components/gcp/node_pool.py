"""A GKE node pool for CPU or GPU nodes: autoscaling (to zero), GPU driver install, taints, shielded VMs.

The pools are regional (``location`` is the cluster's region), and GKE's ``min_node_count``/``max_node_count``
apply per zone: a pool over three zones with max 4 could grow to 12 nodes. The spec's min/max are totals, so
the autoscaler gets ``total_min_node_count``/``total_max_node_count`` (GKE 1.24.1+), which bound the whole pool.
GPU and Spot pools use location policy ``ANY``: the autoscaler adds nodes in whichever zone has capacity
(unused reservations first, less Spot preemption) instead of balancing zones (``BALANCED``), which would
keep retrying a zone that is out of the accelerator. CPU pools stay ``BALANCED`` for zonal resilience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts

TOKEN = "mlstack:gcp:NodePool"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
GPU_TAINT_KEY = "nvidia.com/gpu"
from ..contract import ACCELERATOR_LABEL, POOL_LABEL


@dataclass(frozen=True, kw_only=True)
class NodeTaint:
    """A Kubernetes taint on every node of a pool.

    Attributes:
        key: the taint key, e.g. ``nvidia.com/gpu``.
        value: the taint value, e.g. ``present``.
        effect: ``NO_SCHEDULE`` (default), ``PREFER_NO_SCHEDULE`` or ``NO_EXECUTE`` (GKE's spelling).
    """

    key: str
    value: str
    effect: Literal["NO_SCHEDULE", "PREFER_NO_SCHEDULE", "NO_EXECUTE"] = "NO_SCHEDULE"


@dataclass(frozen=True, kw_only=True)
class NodePoolArgs:
    """Inputs of :class:`NodePool`.

    Attributes:
        project_id: the GCP project.
        location: the cluster's location (its region).
        cluster: the cluster's name. ``None`` only when :class:`GcpEnvironment` fills it in.
        pool_name: the spec's name of the pool, the value of the ``mlstack.io/pool`` node label.
        machine_type: the Compute Engine machine type, e.g. ``a2-ultragpu-8g`` (decided by the engine).
        min_node_count: autoscaling minimum for the whole pool, all zones together (GKE's
            ``total_min_node_count``); 0 scales to zero. Default 0.
        max_node_count: autoscaling maximum for the whole pool, all zones together (``total_max_node_count``).
            Default 3.
        node_locations: the zones of the pool; default ``None``: the cluster's zones. GPU pools name the
            zones where the accelerator is offered.
        accelerator_type: the GPU type, e.g. ``nvidia-a100-80gb``; ``None`` (default) for a CPU pool.
        accelerator_count: GPUs per node; required (> 0) with ``accelerator_type``.
        accelerator_name: the portable accelerator name for the ``mlstack.io/accelerator`` label. Default the
            ``accelerator_type``. CPU pools carry no such label: the NVIDIA device plugin's affinity matches
            on the label's existence, so any value would put a plugin pod on a CPU node.
        gpu_driver_version: GKE-managed NVIDIA driver install: ``DEFAULT`` (default), ``LATEST`` or
            ``INSTALLATION_DISABLED`` (then a driver DaemonSet must install it).
        spot: Spot VMs (cheaper, can be reclaimed at any time). Default False.
        disk_size_gib: boot disk size. Default 100.
        disk_type: boot disk type. Default ``pd-balanced``.
        taints: extra taints; GPU pools always get ``nvidia.com/gpu=present:NO_SCHEDULE``.
        node_labels: extra Kubernetes node labels.
        service_account_email: the node service account (least privilege). ``None`` only when
            :class:`GcpEnvironment` fills it in with the cluster's node account.
        auto_upgrade: node auto-upgrade; must stay on with a release channel. Default True.
        version: the GKE node version (e.g. ``1.36.2-gke.1000000``: a lock's, honoured when the cluster has no
            release channel). Default None: the control plane's version at creation.
        labels: GCP resource labels on the node VMs.
        compact_placement: a COMPACT placement policy (nodes physically close, for multi-node jobs); the pool
            must then be in one zone. Default False.
        gvnic: the Google Virtual NIC (higher network bandwidth; A3 and G2 need it for theirs). Default False.
        local_ssd_count: Local SSDs (NVMe) that back the nodes' ephemeral storage, striped by GKE into one RAID0
            array for the kubelet and container runtime (images, emptyDir): ``ephemeral_storage_local_ssd_config``.
            A machine that comes with Local SSD (A2 Ultra, A3) takes exactly its own count. Default 0: none.
    """

    project_id: str
    location: str
    cluster: pulumi.Input[str] | None = None
    pool_name: str
    machine_type: str
    min_node_count: int = 0
    max_node_count: int = 3
    node_locations: tuple[str, ...] | None = None
    accelerator_type: str | None = None
    accelerator_count: int = 0
    accelerator_name: str | None = None
    gpu_driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"] = "DEFAULT"
    spot: bool = False
    disk_size_gib: int = 100
    disk_type: str = "pd-balanced"
    taints: tuple[NodeTaint, ...] = ()
    node_labels: dict[str, str] = field(default_factory=dict)
    service_account_email: pulumi.Input[str] | None = None
    auto_upgrade: bool = True
    version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    compact_placement: bool = False
    gvnic: bool = False
    local_ssd_count: int = 0


def initial_nodes_per_zone(args: NodePoolArgs) -> int:
    """GKE's ``initial_node_count`` is per zone: the smallest count whose total reaches ``min_node_count``.

    With the zones unknown (``node_locations`` unset: the cluster's), it is ``min_node_count`` per zone; the
    autoscaler removes the surplus down to the total minimum after creation.
    """
    zones = len(args.node_locations) if args.node_locations else 1
    return -(-args.min_node_count // zones)


class NodePool(pulumi.ComponentResource):
    """One autoscaled GKE node pool (CPU or GPU).

    Outputs:
        node_pool_name: the GKE node pool's name.
        version: the node version GKE runs (what a lock records).
    """

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.cluster is None or args.service_account_email is None:
            raise ValueError(f"node pool {name}: cluster and service_account_email are required")
        if not 0 <= args.min_node_count <= args.max_node_count:
            raise ValueError(f"node pool {name}: need 0 <= min_node_count <= max_node_count")
        gpu = args.accelerator_type is not None
        if gpu and args.accelerator_count < 1:
            raise ValueError(f"node pool {name}: accelerator_count must be at least 1 with an accelerator_type")

        taints = list(args.taints)
        if gpu and not any(t.key == GPU_TAINT_KEY for t in taints):
            # Keeps pods that do not ask for a GPU off expensive nodes.
            taints.insert(0, NodeTaint(key=GPU_TAINT_KEY, value="present", effect="NO_SCHEDULE"))
        node_labels = dict(args.node_labels)
        node_labels[POOL_LABEL] = args.pool_name
        if args.accelerator_type is not None:
            # Only accelerator pools carry the label: its existence is what GPU add-ons select on.
            node_labels[ACCELERATOR_LABEL] = args.accelerator_name or args.accelerator_type
        elif ACCELERATOR_LABEL in node_labels:
            raise ValueError(f"node pool {name}: the {ACCELERATOR_LABEL} label is reserved for accelerator pools")

        accelerators = None
        if gpu:
            accelerators = [
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=args.accelerator_type,  # type: ignore[arg-type]  # checked above
                    count=args.accelerator_count,
                    gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                        gpu_driver_version=args.gpu_driver_version
                    ),
                )
            ]

        pool = gcp.container.NodePool(
            f"{name}-pool",
            project=args.project_id,
            location=args.location,
            cluster=args.cluster,
            node_locations=list(args.node_locations) if args.node_locations else None,
            # With autoscaling the pool starts at its minimum; node_count stays unset so the autoscaler owns it.
            initial_node_count=initial_nodes_per_zone(args),
            # Totals, not GKE's per-zone limits (module docstring).
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=args.min_node_count,
                total_max_node_count=args.max_node_count,
                location_policy="ANY" if gpu or args.spot else "BALANCED",
            ),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=args.auto_upgrade),
            version=args.version,
            placement_policy=gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT") if args.compact_placement else None,
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(strategy="SURGE", max_surge=1, max_unavailable=0),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=args.machine_type,
                guest_accelerators=accelerators,
                spot=args.spot,
                disk_size_gb=args.disk_size_gib,
                disk_type=args.disk_type,
                image_type="COS_CONTAINERD",
                service_account=args.service_account_email,
                oauth_scopes=[CLOUD_PLATFORM],
                labels=dict(sorted(node_labels.items())),
                resource_labels=dict(sorted(args.labels.items())),
                taints=[gcp.container.NodePoolNodeConfigTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in taints],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                # Pods see the GKE metadata server (Workload Identity), never the node's own credentials.
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
                metadata={"disable-legacy-endpoints": "true"},
                gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True) if args.gvnic else None,
                ephemeral_storage_local_ssd_config=gcp.container.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(
                    local_ssd_count=args.local_ssd_count
                )
                if args.local_ssd_count
                else None,
            ),
            # The autoscaler changes the size; initial_node_count only matters at creation.
            opts=child_opts(self, ignore_changes=["initialNodeCount"]),
        )
        self.node_pool_name: pulumi.Output[str] = pool.name
        self.version: pulumi.Output[str] = pool.version
        self.register_outputs({"node_pool_name": self.node_pool_name, "version": self.version})
