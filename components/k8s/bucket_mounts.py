"""BucketMounts: buckets mounted into team namespaces, each team through its own identity (static provisioning).

A bucket mount is a CSI driver that presents an object-store bucket (or one folder of it) as a file system:
Mountpoint for Amazon S3 (``s3.csi.aws.com``) on aws, Cloud Storage FUSE (``gcsfuse.csi.storage.gke.io``) on gcp.
Both mount existing buckets only, so nothing is provisioned dynamically: for every (mount, team) there is a
PersistentVolume ``<mount>-<namespace>`` pre-bound (``claimRef``) to the team's PVC ``<mount>`` (no StorageClass:
``storageClassName: ""``). A read-only mount is ``ReadOnlyMany`` with ``csi.readOnly``; the capacity both declare is
nominal (the drivers ignore it; a bucket has no size).

Every namespace with a mount gets the ServiceAccount ``mlstack-data``: the drivers authenticate as the pod's own
ServiceAccount (Mountpoint's ``authenticationSource: pod``; the GCS FUSE sidecar), so a pod mounts its team's
buckets only when it runs as ``mlstack-data``, whose annotations the target binds to the team's cloud identity
(IRSA role on aws, Google service account on gcp) scoped to exactly the folders mounted, read-only unless the spec
says otherwise. No API token is mounted into the pods by it (``automountServiceAccountToken: false``): the
drivers request their own tokens.

The target binds each volume's source (driver, handle, attributes, mount options) and the identities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import stateful_opts
from ..contract import DATA_SERVICE_ACCOUNT
from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:BucketMounts"
#: What each PersistentVolume and claim declare: required by Kubernetes, ignored by the bucket drivers.
NOMINAL_SIZE = "1Ti"


@dataclass(frozen=True, kw_only=True)
class BucketVolumeArgs:
    """One team's claim of one bucket mount.

    Attributes:
        claim: the PVC's name in the namespace (the mount's name in the spec).
        namespace: the team's namespace.
        csi_driver: the CSI driver that mounts the bucket, e.g. ``s3.csi.aws.com``.
        volume_handle: the CSI volume handle (unique per volume on aws; the bucket's name on gcp).
        volume_attributes: CSI volume attributes (aws: ``bucketName``, ``authenticationSource``). Default none.
        mount_options: the driver's mount options (aws: ``prefix <folder>/``, ``read-only``; gcp: ``only-dir=``).
        read_only: mount read-only (``ReadOnlyMany``, ``csi.readOnly``); default True.
    """

    claim: str
    namespace: str
    csi_driver: str
    volume_handle: pulumi.Input[str]
    volume_attributes: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    mount_options: Sequence[pulumi.Input[str]] = ()
    read_only: bool = True


@dataclass(frozen=True, kw_only=True)
class BucketMountsArgs:
    """Arguments of :class:`BucketMounts`.

    Attributes:
        volumes: every (mount, team) volume.
        identities: namespace -> annotations of its ``mlstack-data`` ServiceAccount (the cloud identity it
            acts as); a namespace without an entry gets a ServiceAccount with none. Default none.
        service_account: the ServiceAccount's name; ``mlstack-data``.
        protect: protect the volumes and claims and keep them on delete (the data is the bucket's: deleting a
            volume never deletes objects). Default False.
    """

    volumes: Sequence[BucketVolumeArgs]
    identities: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    service_account: str = DATA_SERVICE_ACCOUNT
    protect: bool = False


class BucketMounts(pulumi.ComponentResource):
    """Per namespace a ServiceAccount ``mlstack-data``; per volume a PV ``<claim>-<namespace>`` and PVC ``<claim>``.

    Attributes: service_account_name, claims (``<namespace>/<claim>`` -> the claim's name, outputs).
    """

    def __init__(self, name: str, args: BucketMountsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        labels = MLSTACK_LABELS("bucket-mount", "bucket-mounts")
        seen = sorted({(v.namespace, v.claim) for v in args.volumes})
        if len(seen) != len(args.volumes):
            raise ValueError(f"BucketMounts {name!r}: a claim is given twice in one namespace")
        for namespace in sorted({v.namespace for v in args.volumes}):
            k8s.core.v1.ServiceAccount(
                f"{name}-{namespace}-sa",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.service_account, namespace=namespace, labels=labels,
                    annotations=dict(sorted(args.identities.get(namespace, {}).items())) or None,
                ),
                automount_service_account_token=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
        claims: dict[str, pulumi.Output[str]] = {}
        for v in sorted(args.volumes, key=lambda v: (v.claim, v.namespace)):
            modes = ["ReadOnlyMany" if v.read_only else "ReadWriteMany"]
            pv = k8s.core.v1.PersistentVolume(
                f"{name}-{v.claim}-{v.namespace}-pv",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{v.claim}-{v.namespace}", labels=labels),
                spec=k8s.core.v1.PersistentVolumeSpecArgs(
                    capacity={"storage": NOMINAL_SIZE},
                    access_modes=modes,
                    persistent_volume_reclaim_policy="Retain",
                    storage_class_name="",
                    mount_options=list(v.mount_options) or None,
                    volume_mode="Filesystem",
                    claim_ref=k8s.core.v1.ObjectReferenceArgs(namespace=v.namespace, name=v.claim),
                    csi=k8s.core.v1.CSIPersistentVolumeSourceArgs(
                        driver=v.csi_driver,
                        volume_handle=v.volume_handle,
                        volume_attributes=dict(sorted(v.volume_attributes.items())) or None,
                        read_only=v.read_only,
                    ),
                ),
                opts=stateful_opts(self, args.protect),
            )
            claim = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-{v.claim}-{v.namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=v.claim, namespace=v.namespace, labels=labels),
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=modes,
                    storage_class_name="",
                    volume_name=pv.metadata.name,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": NOMINAL_SIZE}),
                ),
                opts=stateful_opts(self, args.protect),
            )
            claims[f"{v.namespace}/{v.claim}"] = claim.metadata.name
        self.service_account_name: str = args.service_account
        self.claims: dict[str, pulumi.Output[str]] = claims
        self.register_outputs({"service_account_name": self.service_account_name, "claims": self.claims})
