"""DataIdentity: the Google service account a team's ``mlstack-data`` ServiceAccount acts as for its bucket mounts.

Workload Identity binds the Kubernetes ServiceAccount to the Google one (``roles/iam.workloadIdentityUser`` on
it for exactly ``<project>.svc.id.goog[<namespace>/<service account>]``); the Google account holds one
bucket-level grant per mounted folder and nothing project-wide: ``roles/storage.objectViewer`` for a read-only
mount (list and read), ``roles/storage.objectUser`` for a writable one. A folder is enforced with an IAM condition
on the object's name and on the listed prefix (``storage.googleapis.com/objectListPrefix``), which uniform
bucket-level access (on for every mlstack bucket) makes possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts
from ._util import account_id
from .identity import ANNOTATION, bound_account

TOKEN = "mlstack:gcp:DataIdentity"
READ_ROLE = "roles/storage.objectViewer"
WRITE_ROLE = "roles/storage.objectUser"


@dataclass(frozen=True, kw_only=True)
class BucketGrant:
    """One mounted folder.

    Attributes:
        key: a name for the grant, unique in the identity (the mount's).
        bucket: the bucket's name.
        prefix: the folder, without slashes at either end; None: the whole bucket.
        read_only: list and read only; default True.
    """

    key: str
    bucket: pulumi.Input[str]
    prefix: str | None = None
    read_only: bool = True


@dataclass(frozen=True, kw_only=True)
class DataIdentityArgs:
    """Arguments of :class:`DataIdentity`.

    Attributes:
        project_id: the GCP project (its workload pool is ``<project>.svc.id.goog``).
        namespace: the team's namespace.
        service_account_name: the Kubernetes ServiceAccount, e.g. ``mlstack-data``.
        grants: the folders it may reach.
        account_id: the Google service account id; default derived from the component name.
    """

    project_id: str
    namespace: str
    service_account_name: str
    grants: Sequence[BucketGrant]
    account_id: str | None = None


def folder_condition(bucket: pulumi.Input[str], prefix: str) -> pulumi.Output[str]:
    """The IAM condition limiting a grant to ``prefix``: objects under it, and listings of it."""
    return pulumi.Output.format(
        'resource.name.startsWith("projects/_/buckets/{0}/objects/{1}/") || '
        'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{1}/")',
        bucket, prefix,
    )


class DataIdentity(pulumi.ComponentResource):
    """A Google service account bound to one Kubernetes ServiceAccount, with a grant per mounted folder.

    Outputs: gsa_email, annotations (``{"iam.gke.io/gcp-service-account": <email>}``).
    """

    def __init__(self, name: str, args: DataIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        gsa = bound_account(self, name, args.project_id, args.namespace, args.service_account_name,
                            args.account_id or account_id(name, "gsa"), "bucket mounts")
        for grant in sorted(args.grants, key=lambda g: g.key):
            access = "ro" if grant.read_only else "rw"
            gcp.storage.BucketIAMMember(
                f"{name}-{grant.key}-{access}",
                bucket=grant.bucket,
                role=READ_ROLE if grant.read_only else WRITE_ROLE,
                member=gsa.member,
                condition=gcp.storage.BucketIAMMemberConditionArgs(
                    title=f"mlstack-{grant.key}", expression=folder_condition(grant.bucket, grant.prefix),
                    description=f"only {grant.prefix}/",
                )
                if grant.prefix
                else None,
                opts=child_opts(self),
            )
        self.gsa_email: pulumi.Output[str] = gsa.email
        self.annotations: pulumi.Output[dict[str, str]] = gsa.email.apply(lambda e: {ANNOTATION: e})
        self.register_outputs({"gsa_email": self.gsa_email, "annotations": self.annotations})
