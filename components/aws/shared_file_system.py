"""SharedFileSystem: an encrypted EFS file system reachable over NFS only from the cluster's nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import data_key_arn, ingress_only_security_group, name_tags, policy_output

TOKEN = "mlstack:aws:SharedFileSystem"
NFS_PORT = 2049


@dataclass(frozen=True, kw_only=True)
class SharedFileSystemArgs:
    """Arguments of :class:`SharedFileSystem`.

    Attributes:
        performance_mode: ``generalPurpose`` (default; lowest latency) or ``maxIO``.
        throughput_mode: ``elastic`` (default; scales with load, pay per use), ``bursting`` or ``provisioned``.
        provisioned_throughput_mibps: MiB/s with ``throughput_mode="provisioned"`` (required then).
        transition_to_ia: lifecycle transition to Infrequent Access, e.g. ``AFTER_30_DAYS`` (default); None
            keeps all files in Standard. Files return to Standard on their first access.
        backup: AWS Backup's automatic daily backups (default True).
        kms_key_arn: KMS key for encryption at rest; None (default) creates one with rotation.
        kms_deletion_window_days: waiting period before an own key is deleted (7 to 30); default 30.
        vpc_id: VPC of the mount targets' security group (AwsEnvironment fills it in).
        subnet_ids: private subnets, one mount target each (AwsEnvironment fills them in; one per zone).
        nfs_client_security_group_ids: security groups admitted on NFS (TCP 2049), normally the EKS cluster
            security group every managed node carries (AwsEnvironment fills it in). Nothing else is admitted.
        protect: protect and retain the file system (and the own key).
        tags: tags for every resource, merged with ``Name``.
    """

    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["elastic", "bursting", "provisioned"] = "elastic"
    provisioned_throughput_mibps: float | None = None
    transition_to_ia: str | None = "AFTER_30_DAYS"
    backup: bool = True
    kms_key_arn: pulumi.Input[str] | None = None
    kms_deletion_window_days: int = 30
    vpc_id: pulumi.Input[str] | None = None
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    nfs_client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.throughput_mode == "provisioned") != (self.provisioned_throughput_mibps is not None):
            raise ValueError("provisioned_throughput_mibps is required with, and only with, throughput_mode 'provisioned'")


class SharedFileSystem(pulumi.ComponentResource):
    """An EFS file system with a mount target per private subnet and a TLS-only file-system policy.

    Outputs:
        file_system_id, file_system_arn, dns_name, security_group_id.
    """

    def __init__(self, name: str, args: SharedFileSystemArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.vpc_id is None or not args.subnet_ids or not args.nfs_client_security_group_ids:
            raise ValueError(f"{name}: vpc_id, subnet_ids and nfs_client_security_group_ids are required")
        tags = args.tags
        key_arn = data_key_arn(
            name,
            self,
            given=args.kms_key_arn,
            description=f"EFS file system {name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            protect=args.protect,
        )

        lifecycle: list[aws.efs.FileSystemLifecyclePolicyArgs] = []
        if args.transition_to_ia is not None:
            # EFS takes one transition per block.
            lifecycle = [
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_ia=args.transition_to_ia),
                aws.efs.FileSystemLifecyclePolicyArgs(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ]
        fs = aws.efs.FileSystem(
            name,
            creation_token=name,  # idempotent creation: a retried create cannot make a second file system
            encrypted=True,
            kms_key_id=key_arn,
            performance_mode=args.performance_mode,
            throughput_mode=args.throughput_mode,
            provisioned_throughput_in_mibps=args.provisioned_throughput_mibps,
            lifecycle_policies=lifecycle,
            tags=name_tags(tags, name),
            opts=stateful_opts(self, args.protect),
        )
        aws.efs.BackupPolicy(
            f"{name}-backup",
            file_system_id=fs.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="ENABLED" if args.backup else "DISABLED"),
            opts=child_opts(self),
        )
        # Clients mount through mount targets only, and only over TLS (the EFS CSI driver mounts with TLS). No
        # ClientRootAccess: claims go through access points, whose directories EFS itself creates with the
        # access point's owner, so no client needs root on the file system.
        aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=fs.id,
            policy=policy_output(
                [
                    {
                        "Sid": "AllowMountViaMountTarget",
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": [
                            "elasticfilesystem:ClientMount",
                            "elasticfilesystem:ClientWrite",
                        ],
                        "Resource": fs.arn,
                        "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": "*",
                        "Resource": fs.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ]
            ),
            opts=child_opts(self),
        )
        # No egress rules: mount targets only answer; Pulumi drops the default allow-all egress.
        sg = ingress_only_security_group(
            f"{name}-nfs",
            self,
            vpc_id=args.vpc_id,
            port=NFS_PORT,
            sources=args.nfs_client_security_group_ids,
            description=f"NFS to EFS {name} from the cluster nodes only",
            rule_description="NFS from cluster nodes",
            tags=tags,
        )
        for i, subnet in enumerate(args.subnet_ids):
            aws.efs.MountTarget(
                f"{name}-mount-{i}",
                file_system_id=fs.id,
                subnet_id=subnet,
                security_groups=[sg.id],
                opts=child_opts(self),
            )

        self.file_system_id: pulumi.Output[str] = fs.id
        self.file_system_arn: pulumi.Output[str] = fs.arn
        self.dns_name: pulumi.Output[str] = fs.dns_name
        self.security_group_id: pulumi.Output[str] = sg.id
        self.register_outputs(
            {"file_system_id": fs.id, "file_system_arn": fs.arn, "dns_name": fs.dns_name, "security_group_id": sg.id}
        )
