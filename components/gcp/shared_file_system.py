"""Filestore: the ReadWriteMany file system every team namespace mounts, and its CSI StorageClass parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from .._base import stateful_opts

TOKEN = "mlstack:gcp:SharedFileSystem"
PROVISIONER = "filestore.csi.storage.gke.io"

#: Filestore API tier -> the Filestore CSI driver's ``tier`` StorageClass parameter.
CSI_TIERS = {
    "BASIC_HDD": "standard",
    "BASIC_SSD": "premium",
    "ZONAL": "zonal",
    "REGIONAL": "regional",
    "ENTERPRISE": "enterprise",
}


@dataclass(frozen=True, kw_only=True)
class SharedFileSystemArgs:
    """Inputs of :class:`SharedFileSystem`.

    Attributes:
        project_id: the GCP project.
        location: a zone for ``BASIC_HDD``, ``BASIC_SSD`` and ``ZONAL``; a region for ``REGIONAL`` and
            ``ENTERPRISE``.
        tier: the Filestore tier. Default ``BASIC_HDD``.
        capacity_gib: the share's size; at least the tier's minimum (the engine checks it against the catalogue).
        share_name: the file share's name (what NFS clients mount). Default ``shared``.
        network: the VPC's name. ``None`` only when :class:`GcpEnvironment` fills it in.
        reserved_ip_range: the private services access range's name the instance takes its IP from.
            ``None`` only when :class:`GcpEnvironment` fills it in.
        service_networking_connection: the private services access connection to wait for.
        kms_key_name: a Cloud KMS key for CMEK (ZONAL, REGIONAL and ENTERPRISE tiers); default ``None``:
            Google-managed encryption (data is always encrypted at rest).
        protect: Filestore deletion protection, Pulumi ``protect`` and ``retain_on_delete``. Default False.
        labels: labels on the instance.
    """

    project_id: str
    location: str
    tier: str = "BASIC_HDD"
    capacity_gib: int = 1024
    share_name: str = "shared"
    network: pulumi.Input[str] | None = None
    reserved_ip_range: pulumi.Input[str] | None = None
    service_networking_connection: pulumi.Resource | None = None
    kms_key_name: pulumi.Input[str] | None = None
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)


class SharedFileSystem(pulumi.ComponentResource):
    """A Filestore instance reached through private services access.

    Connect mode PRIVATE_SERVICE_ACCESS (not DIRECT_PEERING): the instance takes its address from the
    range the network already peers for Cloud SQL, so there is one peering and one address plan instead of
    a second peering with its own /29 per instance; it also works from peered and on-premise networks.

    The platform layer creates the StorageClass from :attr:`storage_class_provisioner` and
    :attr:`storage_class_parameters` (dynamic Filestore volumes with the same tier, network and range), or a
    static PersistentVolume on this instance from :attr:`volume_handle`, :attr:`ip_address` and
    :attr:`share_name`.

    Outputs:
        instance_name, ip_address, share_name, volume_handle, storage_class_provisioner,
        storage_class_parameters.
    """

    def __init__(self, name: str, args: SharedFileSystemArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.network is None or args.reserved_ip_range is None:
            raise ValueError(f"shared file system {name}: network and reserved_ip_range are required")
        if args.tier not in CSI_TIERS:
            raise ValueError(f"shared file system {name}: tier {args.tier!r} is not one of {sorted(CSI_TIERS)}")
        depends = [args.service_networking_connection] if args.service_networking_connection else None
        instance = gcp.filestore.Instance(
            f"{name}-filestore",
            project=args.project_id,
            location=args.location,
            tier=args.tier,
            file_shares=gcp.filestore.InstanceFileSharesArgs(
                name=args.share_name,
                capacity_gb=args.capacity_gib,
                # No export options: Filestore's default (read-write, no root squash) for clients in the VPC.
            ),
            networks=[
                gcp.filestore.InstanceNetworkArgs(
                    network=args.network,
                    modes=["MODE_IPV4"],
                    connect_mode="PRIVATE_SERVICE_ACCESS",
                    reserved_ip_range=args.reserved_ip_range,
                )
            ],
            kms_key_name=args.kms_key_name,
            deletion_protection_enabled=args.protect,
            labels=dict(sorted(args.labels.items())),
            opts=stateful_opts(self, args.protect, depends_on=depends),
        )

        # The id is projects/<p>/locations/<l>/instances/<name>: its last segment is the physical name.
        self.instance_name: pulumi.Output[str] = instance.id.apply(lambda i: i.rsplit("/", 1)[-1])
        self.ip_address: pulumi.Output[str] = instance.networks.apply(lambda ns: (ns[0].ip_addresses or [""])[0])
        self.share_name: str = args.share_name
        self.volume_handle: pulumi.Output[str] = pulumi.Output.concat(
            "modeInstance/", args.location, "/", self.instance_name, "/", args.share_name
        )
        self.storage_class_provisioner: str = PROVISIONER
        self.storage_class_parameters: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            args.network, args.reserved_ip_range
        ).apply(
            lambda v: {
                "connect-mode": "PRIVATE_SERVICE_ACCESS",
                "network": str(v[0]),
                "reserved-ip-range": str(v[1]),
                "tier": CSI_TIERS[args.tier],
            }
        )
        self.register_outputs(
            {
                "instance_name": self.instance_name,
                "ip_address": self.ip_address,
                "share_name": self.share_name,
                "volume_handle": self.volume_handle,
                "storage_class_provisioner": self.storage_class_provisioner,
                "storage_class_parameters": self.storage_class_parameters,
            }
        )
