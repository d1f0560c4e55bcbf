"""The ``scratch`` volume: an existing fast file system exposed to every team as a StorageClass and a claim.

The file system already exists (FSx for Lustre made by the AWS environment, an on-prem Lustre or NFS export
named in the spec), so nothing is provisioned dynamically: each team namespace gets a PersistentVolume
``scratch-<namespace>`` pre-bound (``claimRef``) to its PVC ``scratch``, all pointing at the same file system.
The StorageClass ``scratch`` names the driver and keeps released volumes (``Retain``); it exists so that
claims and quotas can refer to the tier by class, as with ``shared``.

The target binds the volume source: a CSI driver with its handle and attributes (``fsx.csi.aws.com`` with
``dnsname``/``mountname`` on aws) or an NFS server and path (on-prem).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import stateful_opts
from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:ScratchStorage"
SCRATCH = "scratch"
NO_PROVISIONER = "kubernetes.io/no-provisioner"


@dataclass(frozen=True, kw_only=True)
class ScratchStorageArgs:
    """Where the scratch file system is and who gets a claim.

    Attributes:
        size_gib: the capacity each PV and PVC declare, GiB (the file system's size; not enforced per team).
        csi_driver: the CSI driver that mounts it (e.g. ``fsx.csi.aws.com``); None with ``nfs_server``.
        volume_handle: the CSI volume handle (the FSx file system id).
        volume_attributes: CSI volume attributes (FSx: ``dnsname``, ``mountname``).
        nfs_server: on-prem NFS (or NFS-exported Lustre) server; None with ``csi_driver``.
        nfs_path: its exported path.
        mount_options: mount options (FSx: ``flock``). Default none.
        namespaces: key (team name) -> namespace that gets a ``scratch`` claim. Default none.
        protect: protect the PVs and claims and keep them on delete. Default False.
    """

    size_gib: int
    csi_driver: str | None = None
    volume_handle: pulumi.Input[str] | None = None
    volume_attributes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    nfs_server: str | None = None
    nfs_path: str | None = None
    mount_options: Sequence[str] = ()
    namespaces: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    protect: bool = False

    def __post_init__(self) -> None:
        if (self.csi_driver is None) == (self.nfs_server is None):
            raise ValueError("exactly one of csi_driver and nfs_server is required")
        if self.csi_driver is not None and self.volume_handle is None:
            raise ValueError("csi_driver needs volume_handle")
        if self.nfs_server is not None and not (self.nfs_path or "").startswith("/"):
            raise ValueError("nfs_server needs an absolute nfs_path")
        if self.size_gib <= 0:
            raise ValueError(f"size_gib must be positive, got {self.size_gib}")


class ScratchStorage(pulumi.ComponentResource):
    """StorageClass ``scratch``, and per namespace a PV ``scratch-<namespace>`` and PVC ``scratch``.

    Attributes: storage_class_name, pvc_name, claims (by key of ``namespaces``).
    """

    def __init__(self, name: str, args: ScratchStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        labels = MLSTACK_LABELS(SCRATCH, "scratch-storage")
        sc = k8s.storage.v1.StorageClass(
            f"{name}-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SCRATCH, labels=labels),
            provisioner=args.csi_driver or NO_PROVISIONER,
            reclaim_policy="Retain",
            volume_binding_mode="Immediate",
            opts=pulumi.ResourceOptions(parent=self),
        )
        size = f"{args.size_gib}Gi"
        self.claims: dict[str, k8s.core.v1.PersistentVolumeClaim] = {}
        for key, namespace in sorted(args.namespaces.items()):
            source: dict[str, object] = {}
            if args.csi_driver is not None:
                source["csi"] = k8s.core.v1.CSIPersistentVolumeSourceArgs(
                    driver=args.csi_driver,
                    volume_handle=args.volume_handle,  # type: ignore[arg-type]
                    volume_attributes=dict(sorted(args.volume_attributes.items())) or None,
                )
            else:
                source["nfs"] = k8s.core.v1.NFSVolumeSourceArgs(server=args.nfs_server, path=args.nfs_path)  # type: ignore[arg-type]
            pv = k8s.core.v1.PersistentVolume(
                f"{name}-{key}-pv",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=pulumi.Output.from_input(namespace).apply(lambda ns: f"{SCRATCH}-{ns}"), labels=labels
                ),
                spec=k8s.core.v1.PersistentVolumeSpecArgs(
                    capacity={"storage": size},
                    access_modes=["ReadWriteMany"],
                    persistent_volume_reclaim_policy="Retain",
                    storage_class_name=sc.metadata.name,
                    mount_options=list(args.mount_options) or None,
                    volume_mode="Filesystem",
                    claim_ref=k8s.core.v1.ObjectReferenceArgs(namespace=namespace, name=SCRATCH),
                    **source,  # type: ignore[arg-type]
                ),
                opts=stateful_opts(self, args.protect),
            )
            self.claims[key] = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{key}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=SCRATCH, namespace=namespace, labels=labels),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteMany"],
                    storage_class_name=sc.metadata.name,
                    volume_name=pv.metadata.name,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
                ),
                opts=stateful_opts(self, args.protect),
            )
        self.storage_class_name: pulumi.Output[str] = sc.metadata.name
        self.pvc_name = SCRATCH
        self.register_outputs({"storage_class_name": self.storage_class_name, "pvc_name": self.pvc_name})
