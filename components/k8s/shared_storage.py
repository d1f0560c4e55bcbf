"""The ``shared`` ReadWriteMany StorageClass and a ``shared`` PVC in every team namespace.

The StorageClass is the one place a target shows through: its provisioner, parameters and mount options
come from the caller (EFS CSI ``efs.csi.aws.com`` with ``provisioningMode: efs-ap``, ``fileSystemId`` and
``directoryPerms`` on aws; Filestore CSI ``filestore.csi.storage.gke.io`` on gcp; the NFS subdir provisioner
on onprem). Everything else is the same on every target.

The team PVCs live here, not in ``Team``, so that the volume and the class it binds to are defined in one
place: a team namespace gets its ``shared`` PVC exactly when it is listed in ``namespaces``.
The class retains released volumes (``Retain``): deleting a PVC never deletes a team's data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import stateful_opts
from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:SharedStorage"
SHARED = "shared"


@dataclass(frozen=True, kw_only=True)
class SharedStorageArgs:
    """The shared file storage class and its per-team claims.

    Attributes:
        provisioner: the CSI driver or provisioner name the target binds (e.g. "efs.csi.aws.com").
        size_gib: size requested by each team's PVC, in GiB (EFS ignores it but Kubernetes requires it).
        parameters: StorageClass parameters the target binds (e.g. ``{"provisioningMode": "efs-ap",
            "fileSystemId": ..., "directoryPerms": "700"}``). Default none.
        mount_options: NFS mount options (e.g. ``["nfsvers=4.1"]``). Default none.
        namespaces: the namespaces that each get a ``shared`` PVC: key (a team name) -> namespace name or
            output (an output orders the PVC after its namespace). The key names the PVC resource
            ``<name>-<key>``. Default none.
        storage_class_name: name of the StorageClass; "shared".
        pvc_name: name of each team's claim; "shared".
        volume_binding_mode: "Immediate" (default; file systems are reachable from every zone) or
            "WaitForFirstConsumer".
        protect: protect the claims and keep them on delete (they hold team data). Default False.
    """

    provisioner: str
    size_gib: int
    parameters: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    mount_options: Sequence[str] = ()
    namespaces: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    storage_class_name: str = SHARED
    pvc_name: str = SHARED
    volume_binding_mode: str = "Immediate"
    protect: bool = False


class SharedStorage(pulumi.ComponentResource):
    """StorageClass ``shared`` (ReadWriteMany, Retain, expandable) and a ``shared`` PVC per team namespace.

    Attributes:
        storage_class_name: the StorageClass's name.
        pvc_name: the claim name in each team namespace.
        claims: the PVCs by key of ``namespaces``.
    """

    def __init__(self, name: str, args: SharedStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        if args.size_gib <= 0:
            raise ValueError(f"SharedStorage {name!r}: size_gib must be positive, got {args.size_gib}")
        labels = MLSTACK_LABELS(SHARED, "shared-storage")
        sc = k8s.storage.v1.StorageClass(
            f"{name}-class",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.storage_class_name, labels=labels),
            provisioner=args.provisioner,
            parameters=dict(sorted(args.parameters.items())) or None,
            mount_options=list(args.mount_options) or None,
            reclaim_policy="Retain",
            allow_volume_expansion=True,
            volume_binding_mode=args.volume_binding_mode,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.claims: dict[str, k8s.core.v1.PersistentVolumeClaim] = {}
        for key, namespace in sorted(args.namespaces.items()):
            claim = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{key}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=args.pvc_name, namespace=namespace, labels=labels),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteMany"],
                    storage_class_name=sc.metadata.name,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": f"{args.size_gib}Gi"}),
                ),
                opts=stateful_opts(self, args.protect),
            )
            self.claims[key] = claim
        self.storage_class_name: pulumi.Output[str] = sc.metadata.name
        self.pvc_name = args.pvc_name
        self.register_outputs(
            {
                "pvc_name": self.pvc_name,
                "storage_class_name": self.storage_class_name,
            }
        )
