"""ReadWriteMany volumes on the on-premise target: nfs-subdir-external-provisioner over an existing NFS export.

EFS and Filestore give the cloud targets a managed file system; on premises the file server exists
already (a NAS, a Linux export) and the provisioner carves one sub-directory per PersistentVolume out
of its export. The chart's own StorageClass is off (``storageClass.create=false``): the platform
layer's SharedStorage creates the StorageClass named ``shared`` with :attr:`NfsProvisioner.provisioner_name`
and :attr:`NfsProvisioner.storage_parameters`, the same class name on every target.

Security: the provisioner mounts the export through an ``nfs`` volume, which Pod Security Admission
"restricted" forbids (only "baseline" allows it): its namespace must enforce "baseline" (the on-prem
environment labels it so, still warning and auditing at "restricted"). By default the pod runs non-root
(65532) with a read-only root file system and no capabilities, so the export must let uid 65532
create directories (owned by it, or ``all_squash`` with ``anonuid``); with ``root_squash`` a root pod
would be squashed to nobody anyway.

``run_as_root`` is for an export whose root directory belongs to root with mode 755 and is exported without
root squashing, as a new Filestore share is: only uid 0 can create the per-claim directories there. The pod
then runs as uid 0 ("baseline" allows it) but keeps every other restriction, and still drops ALL
capabilities, adding none back: uid 0 owns the export's root, so creating directories in it and chmod-ing
the directories it created need only ownership, not CAP_DAC_OVERRIDE or CAP_FOWNER; the provisioner never
chowns (no CAP_CHOWN); and on NFS the server decides access from the uid on the wire (``no_root_squash``
grants root everything), not from the client process's capabilities. The kubelet mounts the export, so
the pod needs no CAP_SYS_ADMIN either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..k8s.hardening import NONROOT_UID, pinned_image, restricted_container, restricted_pod

TOKEN = "mlstack:k8s:NfsProvisioner"
DEFAULT_PROVISIONER_NAME = "mlstack.io/nfs"


@dataclass(frozen=True, kw_only=True)
class NfsProvisionerArgs:
    """Inputs of :class:`NfsProvisioner`.

    Attributes:
        namespace: namespace of the release (must exist, Pod Security "baseline": see the module docstring).
        server: the NFS server's host name or IP address (required, from the spec).
        path: the exported path on the server (required, from the spec), e.g. "/exports/mlstack".
        chart_version: pinned version of the ``nfs-subdir-external-provisioner`` chart (from the catalogue).
        image: pinned provisioner image "repository:tag", e.g.
            "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2".
        chart_repository: Helm repository of the chart; the kubernetes-sigs one.
        provisioner_name: the name StorageClasses refer to; "mlstack.io/nfs".
        mount_options: NFS mount options, e.g. ["nfsvers=4.1", "hard"]; none by default (the server's).
        archive_on_delete: keep a deleted claim's directory as ``archived-<name>`` on the server instead
            of removing it; on by default (deleting a team's shared volume should not lose its data).
        replicas: provisioner replicas (leader election picks one); 1.
        run_as_root: run the provisioner as uid 0 (``runAsNonRoot: false``), for an export only root may
            write to (a new Filestore share); still no capabilities, no privilege escalation, seccomp
            RuntimeDefault, read-only root file system (see the module docstring). Default False: uid 65532.
    """

    namespace: pulumi.Input[str]
    server: pulumi.Input[str]
    path: str
    chart_version: str
    image: str
    chart_repository: str = "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/"
    provisioner_name: str = DEFAULT_PROVISIONER_NAME
    mount_options: Sequence[str] = field(default_factory=tuple)
    archive_on_delete: bool = True
    replicas: int = 1
    run_as_root: bool = False


def pod_security_context(run_as_root: bool) -> dict[str, object]:
    """The chart's ``podSecurityContext``: uid 65532, or uid 0 for a root-only export."""
    if run_as_root:
        # No fsGroup: the only volume is the NFS export, whose ownership the server keeps.
        return restricted_pod(uid=0, runAsNonRoot=False)
    return restricted_pod(uid=NONROOT_UID, fs_group=NONROOT_UID)


def nfs_values(args: NfsProvisionerArgs) -> dict:
    """The chart values: the export, no StorageClass of its own, hardened pod."""
    repository, tag = pinned_image(args.image, "provisioner image")
    nfs: dict[str, object] = {"server": args.server, "path": args.path}
    if args.mount_options:
        nfs["mountOptions"] = list(args.mount_options)
    return {
        "replicaCount": args.replicas,
        "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
        "nfs": nfs,
        "storageClass": {"create": False, "provisionerName": args.provisioner_name},
        "leaderElection": {"enabled": True},
        "podSecurityContext": pod_security_context(args.run_as_root),
        # No capability added back, even as root: see the module docstring.
        "securityContext": restricted_container(runAsNonRoot=not args.run_as_root),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
    }


class NfsProvisioner(pulumi.ComponentResource):
    """The NFS sub-directory provisioner, without a StorageClass of its own.

    Outputs:
        provisioner_name: what a StorageClass's ``provisioner`` names.
        storage_parameters: the StorageClass ``parameters`` this provisioner reads.
        server: the NFS server.
        path: the export.
    """

    def __init__(self, name: str, args: NfsProvisionerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.server or not args.path.startswith("/"):
            raise ValueError("the NFS provisioner needs a server and an absolute export path")
        super().__init__(TOKEN, name, None, opts)
        release = k8s.helm.v3.Release(
            f"{name}-nfs",
            k8s.helm.v3.ReleaseArgs(
                name="nfs-provisioner",
                chart="nfs-subdir-external-provisioner",
                version=args.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                namespace=args.namespace,
                values=nfs_values(args),
                atomic=True,
            ),
            opts=child_opts(self),
        )
        # Claims made before the provisioner runs stay Pending until it does; tie the name to the release
        # so the StorageClass (and its claims) follow it.
        self.provisioner_name: pulumi.Output[str] = release.id.apply(lambda _: args.provisioner_name)
        self.storage_parameters: dict[str, str] = {"archiveOnDelete": "true" if args.archive_on_delete else "false"}
        self.server = args.server
        self.path = args.path
        self.register_outputs(
            {
                "provisioner_name": self.provisioner_name,
                "storage_parameters": self.storage_parameters,
                "server": self.server,
                "path": self.path,
            }
        )
