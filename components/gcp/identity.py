"""Workload Identity for MLflow: a Google service account its Kubernetes ServiceAccount impersonates."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts
from ._util import account_id

TOKEN = "mlstack:gcp:WorkloadIdentity"
ANNOTATION = "iam.gke.io/gcp-service-account"


@dataclass(frozen=True, kw_only=True)
class WorkloadIdentityArgs:
    """Inputs of :class:`WorkloadIdentity`.

    Attributes:
        project_id: the GCP project (its workload pool is ``<project>.svc.id.goog``).
        namespace: the Kubernetes namespace of the ServiceAccount, e.g. ``mlflow``.
        service_account_name: the Kubernetes ServiceAccount's name, e.g. ``mlflow``.
        artifacts_bucket: the bucket MLflow stores artifacts in: the only one it may read and write.
            ``None`` only when :class:`GcpEnvironment` fills it in.
        account_id: the Google service account id; default ``None``: derived from the component name.
    """

    project_id: str
    namespace: str
    service_account_name: str
    artifacts_bucket: pulumi.Input[str] | None = None
    account_id: str | None = None


def bound_account(parent: pulumi.ComponentResource, name: str, project_id: str, namespace: str, service_account: str,
                  account: str, purpose: str) -> gcp.serviceaccount.Account:
    """A Google service account ``<name>-gsa`` that only the Kubernetes ServiceAccount ``namespace/service_account``
    may act as (``roles/iam.workloadIdentityUser`` on it, ``<name>-wi-user``)."""
    gsa = gcp.serviceaccount.Account(
        f"{name}-gsa",
        project=project_id,
        account_id=account,
        display_name=f"{namespace}/{service_account} ({purpose})",
        opts=child_opts(parent),
    )
    gcp.serviceaccount.IAMMember(
        f"{name}-wi-user",
        service_account_id=gsa.name,
        role="roles/iam.workloadIdentityUser",
        member=f"serviceAccount:{project_id}.svc.id.goog[{namespace}/{service_account}]",
        opts=child_opts(parent),
    )
    return gsa


class WorkloadIdentity(pulumi.ComponentResource):
    """A Google service account, bound to one Kubernetes ServiceAccount, with object access to one bucket.

    Outputs:
        gsa_email, annotations (``{"iam.gke.io/gcp-service-account": <email>}`` for the ServiceAccount).
    """

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.artifacts_bucket is None:
            raise ValueError(f"workload identity {name}: artifacts_bucket is required")
        gsa = bound_account(self, name, args.project_id, args.namespace, args.service_account_name,
                            args.account_id or account_id(name, "gsa"), "Workload Identity")
        # Object read/write on the artifacts bucket only: no project-wide storage role.
        gcp.storage.BucketIAMMember(
            f"{name}-artifacts",
            bucket=args.artifacts_bucket,
            role="roles/storage.objectAdmin",
            member=gsa.member,
            opts=child_opts(self),
        )
        self.gsa_email: pulumi.Output[str] = gsa.email
        self.annotations: pulumi.Output[dict[str, str]] = gsa.email.apply(lambda e: {ANNOTATION: e})
        self.register_outputs({"gsa_email": self.gsa_email, "annotations": self.annotations})
