"""Audit: a multi-region CloudTrail trail with log-file validation into its own encrypted, protected bucket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import account_id, kms_key, name_tags, partition, policy_output, region_name
from .bucket import Bucket, BucketArgs

TOKEN = "mlstack:aws:Audit"


@dataclass(frozen=True, kw_only=True)
class AuditArgs:
    """Arguments of :class:`Audit`.

    Attributes:
        retention_days: days log files are kept before S3 deletes them; default 365.
        trail_name: name of the trail; None uses the component's name. Explicit, because the bucket and key
            policies name the trail's ARN before the trail exists (``aws:SourceArn``).
        kms_deletion_window_days: waiting period before the log key is deleted (7 to 30); default 30.
        protect: protect and retain the log bucket and its key.
        tags: tags for every resource, merged with ``Name``.
    """

    retention_days: int = 365
    trail_name: str | None = None
    kms_deletion_window_days: int = 30
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, got {self.retention_days}")


class Audit(pulumi.ComponentResource):
    """A CloudTrail trail for every region (and global services such as IAM), with digest files that prove
    log files were not altered.

    Outputs:
        trail_arn, bucket_name, kms_key_arn.
    """

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        tags = args.tags
        trail_name = args.trail_name or name
        account, region, part = account_id(self), region_name(self), partition(self)
        trail_arn = pulumi.Output.format("arn:{0}:cloudtrail:{1}:{2}:trail/{3}", part, region, account, trail_name)
        trail_context = pulumi.Output.format("arn:{0}:cloudtrail:*:{1}:trail/*", part, account)

        key = kms_key(
            f"{name}-key",
            self,
            description=f"CloudTrail logs of {trail_name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            policy=policy_output(
                [
                    {
                        "Sid": "AccountAdministers",
                        "Effect": "Allow",
                        "Principal": {"AWS": pulumi.Output.format("arn:{0}:iam::{1}:root", part, account)},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudTrailEncrypts",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "kms:GenerateDataKey*",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"aws:SourceArn": trail_arn},
                            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                        },
                    },
                    {
                        "Sid": "CloudTrailDescribesKey",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "kms:DescribeKey",
                        "Resource": "*",
                    },
                    {
                        "Sid": "AccountDecryptsLogs",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {"kms:CallerAccount": account},
                            "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_context},
                        },
                    },
                ]
            ),
            opts=stateful_opts(self, args.protect),
        )

        def cloudtrail_statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
            return [
                {
                    "Sid": "CloudTrailAclCheck",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:GetBucketAcl",
                    "Resource": bucket_arn,
                    "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                },
                {
                    "Sid": "CloudTrailWrite",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": pulumi.Output.format("{0}/AWSLogs/{1}/*", bucket_arn, account),
                    "Condition": {
                        "StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
                    },
                },
            ]

        bucket = Bucket(
            f"{name}-logs",
            BucketArgs(
                kms_key_arn=key.arn,
                expiration_days=args.retention_days,
                noncurrent_version_expiration_days=30,
                policy_statements=cloudtrail_statements,
                protect=args.protect,
                tags=tags,
            ),
            opts=child_opts(self),
        )
        trail = aws.cloudtrail.Trail(
            name,
            name=trail_name,
            s3_bucket_name=bucket.bucket_name,
            kms_key_id=key.arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            tags=name_tags(tags, trail_name),
            # CloudTrail checks on create that it may write to the bucket: the policy must exist first.
            opts=child_opts(self, depends_on=[bucket.policy]),
        )
        self.trail_arn: pulumi.Output[str] = trail.arn
        self.bucket_name: pulumi.Output[str] = bucket.bucket_name
        self.kms_key_arn: pulumi.Output[str] = key.arn
        self.register_outputs({"trail_arn": trail.arn, "bucket_name": bucket.bucket_name, "kms_key_arn": key.arn})
