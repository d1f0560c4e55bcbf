"""Bucket: an S3 bucket with SSE-KMS, versioning, every public-access block and a TLS-only policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import data_key_arn, name_tags, policy_output, tls_only_statement

TOKEN = "mlstack:aws:Bucket"

#: Given the bucket's ARN, bucket-policy statements to add after the TLS-only deny (values may be Outputs).
StatementsFn = Callable[[pulumi.Output[str]], Sequence[Mapping[str, Any]]]


@dataclass(frozen=True, kw_only=True)
class BucketArgs:
    """Arguments of :class:`Bucket`.

    Attributes:
        versioning: keep object versions (default True), so an overwrite or delete can be undone.
        kms_key_arn: KMS key for SSE-KMS; None (default) creates one for this bucket, with rotation.
        bucket_name: the physical bucket name; None (default) lets Pulumi derive one from the component
            name with a unique suffix (S3 names are global).
        expiration_days: delete current objects this many days after creation; None (default) keeps them.
        noncurrent_version_expiration_days: delete overwritten/deleted versions after this many days;
            default 90; None keeps them forever.
        abort_multipart_days: abort incomplete multipart uploads after this many days; default 7.
        policy_statements: a function of the bucket ARN returning extra bucket-policy statements (e.g. the
            CloudTrail service's write access); None adds none.
        kms_deletion_window_days: waiting period before an own key is deleted (7 to 30); default 30.
        protect: protect and retain the bucket and its own key.
        tags: tags for every resource, merged with ``Name``.
    """

    versioning: bool = True
    kms_key_arn: pulumi.Input[str] | None = None
    bucket_name: str | None = None
    expiration_days: int | None = None
    noncurrent_version_expiration_days: int | None = 90
    abort_multipart_days: int = 7
    policy_statements: StatementsFn | None = None
    kms_deletion_window_days: int = 30
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class Bucket(pulumi.ComponentResource):
    """A private, encrypted S3 bucket (``force_destroy`` off: a bucket with data is never emptied by Pulumi).

    Outputs:
        bucket_name, arn, kms_key_arn, regional_domain_name.
    """

    def __init__(self, name: str, args: BucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        tags = args.tags
        key_arn = data_key_arn(
            name,
            self,
            given=args.kms_key_arn,
            description=f"S3 bucket {name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            protect=args.protect,
        )

        bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            force_destroy=False,
            tags=name_tags(tags, name),
            opts=stateful_opts(self, args.protect),
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),  # ACLs off
            opts=child_opts(self),
        )
        access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child_opts(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key_arn
                    ),
                    bucket_key_enabled=True,  # one data key per bucket, not per object: far fewer KMS calls
                )
            ],
            opts=child_opts(self),
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled" if args.versioning else "Suspended"
            ),
            opts=child_opts(self),
        )
        rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="retention",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_multipart_days
            ),
            expiration=(
                aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expiration_days)
                if args.expiration_days is not None
                else None
            ),
            noncurrent_version_expiration=(
                aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=args.noncurrent_version_expiration_days
                )
                if args.noncurrent_version_expiration_days is not None
                else None
            ),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[rule],
            opts=child_opts(self, depends_on=[versioning]),  # noncurrent rules act on a versioned bucket
        )
        statements: list[Any] = [tls_only_statement(bucket.arn)]
        if args.policy_statements is not None:
            statements.extend(args.policy_statements(bucket.arn))
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy_output(statements),
            # S3 rejects policy writes that race the public-access block; apply the block first.
            opts=child_opts(self, depends_on=[access_block]),
        )

        self.bucket_name: pulumi.Output[str] = bucket.bucket
        self.arn: pulumi.Output[str] = bucket.arn
        self.kms_key_arn: pulumi.Output[str] = key_arn
        self.regional_domain_name: pulumi.Output[str] = bucket.bucket_regional_domain_name
        self.policy: aws.s3.BucketPolicy = policy
        self.register_outputs(
            {
                "regional_domain_name": self.regional_domain_name,
                "bucket_name": self.bucket_name,
                "arn": self.arn,
                "kms_key_arn": key_arn,
            }
        )
