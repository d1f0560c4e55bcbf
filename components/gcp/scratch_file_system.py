"""ScratchFileSystem (GCP): a Managed Lustre instance as the fast scratch tier, reached from GKE's nodes.

Managed Lustre is zonal: the instance sits in one zone of the environment's VPC (put it where the GPU pools
run) and peers through private services access, like Cloud SQL and Filestore. The Lustre servers talk to their
clients on TCP 988, so a firewall rule admits that port from the private services range only, and nothing else.
GKE mounts it with its managed Lustre CSI driver (a cluster add-on, ``lustre.csi.storage.gke.io``), through
static PersistentVolumes whose handle is ``<project>/<zone>/<instance>`` and whose attributes name the
instance's IP and file system.

Data is encrypted at rest with Google-managed keys unless ``kms_key`` names a Cloud KMS key (CMEK).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts, stateful_opts

TOKEN = "mlstack:gcp:ScratchFileSystem"
DRIVER = "lustre.csi.storage.gke.io"
#: LNet's port (GKE's legacy Lustre port 6988 is not used: the driver is asked for the standard one).
LUSTRE_PORT = 988
THROUGHPUTS = (125, 250, 500, 1000)


@dataclass(frozen=True, kw_only=True)
class ScratchFileSystemArgs:
    """Inputs of :class:`ScratchFileSystem`.

    Attributes:
        project_id: the GCP project.
        zone: the zone of the instance (e.g. ``us-central1-a``).
        capacity_gib: its capacity, GiB: a size the tier accepts (the engine checks it against the catalogue).
        throughput_mb_s_per_tib: the performance tier, MB/s per TiB: 125, 250, 500 or 1000. Default 1000.
        filesystem: the Lustre file system name clients mount (at most 8 letters or digits). Default ``scratch``.
        network: the VPC's id (``projects/<p>/global/networks/<n>``). ``None`` only when :class:`GcpEnvironment`
            fills it in.
        private_services_cidr: the private services access range the instance takes its addresses from (the
            firewall admits Lustre from it). ``None`` only when :class:`GcpEnvironment` fills it in.
        service_networking_connection: the private services access connection to wait for.
        kms_key: a Cloud KMS key name for CMEK; default ``None``: Google-managed encryption.
        protect: Pulumi ``protect`` and ``retain_on_delete`` on the instance. Default False.
        labels: labels on the instance.
    """

    project_id: str
    zone: str
    capacity_gib: int
    throughput_mb_s_per_tib: int = 1000
    filesystem: str = "scratch"
    network: pulumi.Input[str] | None = None
    private_services_cidr: str | None = None
    service_networking_connection: pulumi.Resource | None = None
    kms_key: pulumi.Input[str] | None = None
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.throughput_mb_s_per_tib not in THROUGHPUTS:
            raise ValueError(f"throughput_mb_s_per_tib must be one of {list(THROUGHPUTS)}, got {self.throughput_mb_s_per_tib}")
        if not (self.filesystem.isalnum() and self.filesystem.isascii() and 1 <= len(self.filesystem) <= 8):
            raise ValueError(f"filesystem must be 1 to 8 letters or digits, got {self.filesystem!r}")
        if self.capacity_gib <= 0:
            raise ValueError(f"capacity_gib must be positive, got {self.capacity_gib}")


class ScratchFileSystem(pulumi.ComponentResource):
    """The Lustre instance and the firewall rule that lets its servers reach the nodes.

    Outputs: instance_id, mount_point (``<ip>@tcp:/<filesystem>``), ip_address, filesystem, volume_handle
    (``<project>/<zone>/<instance>``), throughput_mb_s (whole instance).
    """

    def __init__(self, name: str, args: ScratchFileSystemArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.network is None or args.private_services_cidr is None:
            raise ValueError(f"{name}: network and private_services_cidr are required")
        gcp.compute.Firewall(
            f"{name}-lustre",
            project=args.project_id,
            network=args.network,
            direction="INGRESS",
            description="Managed Lustre servers to their clients (LNet) from the private services range only",
            source_ranges=[args.private_services_cidr],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(LUSTRE_PORT)])],
            opts=child_opts(self),
        )
        depends = [args.service_networking_connection] if args.service_networking_connection is not None else None
        instance = gcp.lustre.Instance(
            name,
            project=args.project_id,
            instance_id=name,
            location=args.zone,
            network=args.network,
            filesystem=args.filesystem,
            capacity_gib=str(args.capacity_gib),
            per_unit_storage_throughput=str(args.throughput_mb_s_per_tib),
            kms_key=args.kms_key,
            description=f"mlstack scratch tier {name}",
            labels=dict(sorted(args.labels.items())),
            opts=stateful_opts(self, args.protect, depends_on=depends),
        )
        self.instance_id: pulumi.Output[str] = instance.instance_id
        self.mount_point: pulumi.Output[str] = instance.mount_point
        self.ip_address: pulumi.Output[str] = instance.mount_point.apply(lambda m: m.split("@", 1)[0])
        self.filesystem: str = args.filesystem
        self.volume_handle: pulumi.Output[str] = pulumi.Output.concat(args.project_id, "/", args.zone, "/", instance.instance_id)
        # Throughput scales with capacity per decimal TiB, as on FSx.
        self.throughput_mb_s: int = args.capacity_gib * args.throughput_mb_s_per_tib // 1000
        self.register_outputs(
            {
                "instance_id": self.instance_id,
                "mount_point": self.mount_point,
                "ip_address": self.ip_address,
                "filesystem": self.filesystem,
                "volume_handle": self.volume_handle,
                "throughput_mb_s": self.throughput_mb_s,
            }
        )
