"""A private GCS bucket: uniform access, public access prevention, versioning, soft delete."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from .._base import stateful_opts

TOKEN = "mlstack:gcp:Bucket"


@dataclass(frozen=True, kw_only=True)
class BucketArgs:
    """Inputs of :class:`Bucket`.

    Attributes:
        project_id: the GCP project.
        location: the bucket's location, e.g. the region ``us-central1`` or ``US``.
        bucket_name: the globally unique bucket name; default ``None``: Pulumi's auto-name (component name
            plus a random suffix).
        versioning: keep noncurrent object versions. Default True.
        noncurrent_version_retention_days: delete noncurrent versions this many days after they stop being
            live; ``None`` keeps them forever. Default 30.
        soft_delete_retention_days: days deleted objects stay restorable (GCS soft delete, 7 to 90, or 0 to
            disable). Default 7.
        abort_incomplete_upload_days: abort incomplete multipart uploads after this many days. Default 7.
        storage_class: the default storage class. Default ``STANDARD``.
        kms_key_name: a Cloud KMS key for CMEK; default ``None``: Google-managed encryption. The project's
            Cloud Storage service agent must hold ``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key.
        protect: Pulumi ``protect`` and ``retain_on_delete``. Default False.
        labels: labels on the bucket.
    """

    project_id: str
    location: str
    bucket_name: str | None = None
    versioning: bool = True
    noncurrent_version_retention_days: int | None = 30
    soft_delete_retention_days: int = 7
    abort_incomplete_upload_days: int = 7
    storage_class: str = "STANDARD"
    kms_key_name: pulumi.Input[str] | None = None
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)


class Bucket(pulumi.ComponentResource):
    """One GCS bucket that is never public and never destroyed with its objects.

    Outputs:
        bucket_name, url (``gs://<name>``).
    """

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        rules = [
            gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=args.abort_incomplete_upload_days),
            )
        ]
        if args.versioning and args.noncurrent_version_retention_days is not None:
            rules.append(
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=args.noncurrent_version_retention_days, with_state="ARCHIVED"
                    ),
                )
            )
        bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            name=args.bucket_name,
            project=args.project_id,
            location=args.location,
            storage_class=args.storage_class,
            # IAM only (no per-object ACLs) and never public, whatever IAM grants later say.
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=args.versioning),
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                retention_duration_seconds=args.soft_delete_retention_days * 86400
            ),
            lifecycle_rules=rules,
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=args.kms_key_name) if args.kms_key_name else None,
            force_destroy=False,
            labels=dict(sorted(args.labels.items())),
            opts=stateful_opts(self, args.protect),
        )
        self.bucket_name: pulumi.Output[str] = bucket.name
        self.url: pulumi.Output[str] = bucket.url
        self.register_outputs({"bucket_name": self.bucket_name, "url": self.url})
