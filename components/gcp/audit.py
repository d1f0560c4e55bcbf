"""Data access audit logs for the services an ML platform uses, and the retention of the _Default log bucket."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts

TOKEN = "mlstack:gcp:Audit"

DEFAULT_SERVICES = (
    "artifactregistry.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudsql.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "storage.googleapis.com",
    "sts.googleapis.com",
)
ALL_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


@dataclass(frozen=True, kw_only=True)
class AuditArgs:
    """Inputs of :class:`Audit`.

    Attributes:
        project_id: the GCP project.
        services: services whose data access logs are turned on (admin activity logs are always on). Default
            GKE, Cloud Storage, Cloud SQL, IAM, IAM credentials and STS (service account impersonation and
            token exchange by CI), Artifact Registry, Cloud KMS. ``("allServices",)`` turns on every service.
        log_types: ``ADMIN_READ``, ``DATA_READ``, ``DATA_WRITE`` (default all). DATA_READ on
            ``storage.googleapis.com`` logs every object read by training jobs: it is the largest cost.
        retention_days: retention of the project's ``_Default`` log bucket (1-3650); default ``None``: leave
            the 30-day default.
    """

    project_id: str
    services: tuple[str, ...] = DEFAULT_SERVICES
    log_types: tuple[str, ...] = ALL_LOG_TYPES
    retention_days: int | None = None


class Audit(pulumi.ComponentResource):
    """One ``IAMAuditConfig`` per service, and the ``_Default`` bucket's retention.

    Outputs:
        services: the audited services, sorted.
    """

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        services = sorted(set(args.services))
        for service in services:
            gcp.projects.IAMAuditConfig(
                f"{name}-{service.split('.')[0].lower()}",
                project=args.project_id,
                service=service,
                audit_log_configs=[
                    gcp.projects.IAMAuditConfigAuditLogConfigArgs(log_type=t) for t in sorted(set(args.log_types))
                ],
                opts=child_opts(self),
            )
        if args.retention_days is not None:
            # _Default always exists: this resource adopts it and sets its retention (it is never deleted).
            gcp.logging.ProjectBucketConfig(
                f"{name}-default-logs",
                project=args.project_id,
                location="global",
                bucket_id="_Default",
                retention_days=args.retention_days,
                opts=child_opts(self),
            )
        self.services: list[str] = services
        self.register_outputs({"services": self.services})
