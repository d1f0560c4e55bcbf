"""NfsBackend: one NFS export serving every ``shared`` claim, through its own provisioner namespace.

Used on GCP, where the environment's single Filestore instance is the export: the Filestore CSI driver would
create a new instance (1 TiB or more) for every claim, while the subdirectory provisioner gives each team a
directory of the one instance, as EFS access points do on AWS and as the NFS server does on-premise.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..k8s import require_provider
from .nfs_provisioner import (
    DEFAULT_PROVISIONER_NAME,
    NfsProvisioner,
    NfsProvisionerArgs,
)
from .environment import namespace_labels

TOKEN = "mlstack:k8s:NfsBackend"


@dataclass(frozen=True, kw_only=True)
class NfsBackendArgs:
    """Arguments of :class:`NfsBackend`.

    Attributes:
        server: the NFS server's address (e.g. the Filestore instance's IP; an Output is fine).
        path: the exported path, e.g. ``/shared`` (Filestore: ``/<file share name>``).
        chart_version: pinned ``nfs-subdir-external-provisioner`` chart version (from the catalogue).
        chart_repository: the chart's Helm repository.
        image: pinned provisioner image ``repository:tag``.
        namespace: the provisioner's namespace, created here with Pod Security "baseline" (NFS volumes
            are not allowed under "restricted"); default ``mlstack-nfs``.
        provisioner_name: the name the ``shared`` StorageClass refers to; default ``mlstack.io/nfs``.
        run_as_root: run the provisioner as uid 0; default True: a new Filestore share's root directory is
            owned by root with mode 755, so a non-root provisioner cannot create the per-claim directories.
            The namespace enforces Pod Security "baseline", which allows root; the pod still drops all
            capabilities, forbids privilege escalation and uses the RuntimeDefault seccomp profile.
    """

    server: pulumi.Input[str]
    path: str
    chart_version: str
    chart_repository: str
    image: str
    namespace: str = "mlstack-nfs"
    provisioner_name: str = DEFAULT_PROVISIONER_NAME
    run_as_root: bool = True


class NfsBackend(pulumi.ComponentResource):
    """The namespace and the NFS subdirectory provisioner for one export.

    Outputs:
        provisioner_name: for the ``shared`` StorageClass. storage_parameters: its parameters.
    """

    def __init__(self, name: str, args: NfsBackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels=namespace_labels("baseline")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        nfs = NfsProvisioner(
            f"{name}-provisioner",
            NfsProvisionerArgs(
                namespace=ns.metadata.name,
                server=args.server,
                path=args.path,
                chart_version=args.chart_version,
                chart_repository=args.chart_repository,
                image=args.image,
                provisioner_name=args.provisioner_name,
                run_as_root=args.run_as_root,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.provisioner_name: str = args.provisioner_name
        self.storage_parameters: dict[str, str] = dict(nfs.storage_parameters)
        self.register_outputs({"provisioner_name": self.provisioner_name, "storage_parameters": self.storage_parameters})
