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


class WorkloadIdentity(pulumi.ComponentResource):
    """A Google service account, bound to one Kubernetes ServiceAccount, with object access to one bucket.

    Outputs:
        gsa_email, annotations (``{"iam.gke.io/gcp-service-account": <email>}`` for the ServiceAccount).
    """

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.artifacts_bucket is None:
            raise ValueError(f"workload identity {name}: artifacts_bucket is required")
        gsa = gcp.serviceaccount.Account(
            f"{name}-gsa",
            project=args.project_id,
            account_id=args.account_id or account_id(name, "gsa"),
            display_name=f"{args.namespace}/{args.service_account_name} (Workload Identity)",
            opts=child_opts(self),
        )
        gcp.serviceaccount.IAMMember(
            f"{name}-wi-user",
            service_account_id=gsa.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{args.project_id}.svc.id.goog[{args.namespace}/{args.service_account_name}]",
            opts=child_opts(self),
        )
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
