"""ScratchFileSystem: FSx for Lustre (PERSISTENT_2) as the fast scratch tier, linked to the datasets bucket.

Why Lustre: EFS serves a few hundred MB/s to a fleet; a PERSISTENT_2 file system serves its throughput tier
(125-1000 MB/s per TiB) to every client in parallel, so loading a checkpoint or a dataset shard stops
being the step that idles the GPUs. A data repository association imports the bucket's objects as files
(metadata at creation, contents lazily on first read) and keeps new, changed and deleted objects in sync;
nothing is exported back, so training scratch never overwrites curated data.

The file system sits in one private subnet (PERSISTENT_2 is single-AZ) behind its own security group that
admits Lustre (TCP 988 and 1018-1023) only from the nodes' security group and from itself (the file servers
talk to each other). It is encrypted with a customer-managed key (a rotated one is created unless given),
LZ4-compressed, logs warnings and errors to CloudWatch, and is protected like every stateful resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import data_key_arn, name_tags

TOKEN = "mlstack:aws:ScratchFileSystem"
#: Lustre's ports: 988 for the LNet service, 1018-1023 for its client connections.
LUSTRE_PORTS = ((988, 988), (1018, 1023))
THROUGHPUTS = (125, 250, 500, 1000)


@dataclass(frozen=True, kw_only=True)
class ScratchFileSystemArgs:
    """Arguments of :class:`ScratchFileSystem`.

    Attributes:
        storage_capacity_gib: 1200, or a multiple of 2400 (the catalogue checks it against the spec).
        throughput_mb_s_per_tib: PERSISTENT_2 throughput per TiB: 125, 250, 500 or 1000; default 250.
        data_repository_path: ``s3://bucket[/prefix]`` linked at ``file_system_path``; None links nothing.
        file_system_path: where the bucket appears in the file system; default ``/datasets``.
        kms_key_arn: key encrypting the data; None creates a rotated key ``<name>-key``.
        file_system_type_version: Lustre version; default ``2.15``.
        vpc_id: the VPC (AwsEnvironment fills it in).
        subnet_id: the private subnet of the file system (AwsEnvironment: the first private subnet).
        client_security_group_ids: security groups of the clients, the nodes (AwsEnvironment fills it in).
        protect: protect and retain the file system and its key. Default False.
        tags: tags, merged with ``Name``.
    """

    storage_capacity_gib: int
    throughput_mb_s_per_tib: int = 250
    data_repository_path: pulumi.Input[str] | None = None
    file_system_path: str = "/datasets"
    kms_key_arn: pulumi.Input[str] | None = None
    file_system_type_version: str = "2.15"
    vpc_id: pulumi.Input[str] | None = None
    subnet_id: pulumi.Input[str] | None = None
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        size = self.storage_capacity_gib
        if size != 1200 and (size <= 0 or size % 2400):
            raise ValueError(f"storage_capacity_gib must be 1200 or a multiple of 2400, got {size}")
        if self.throughput_mb_s_per_tib not in THROUGHPUTS:
            raise ValueError(f"throughput_mb_s_per_tib must be one of {list(THROUGHPUTS)}, got {self.throughput_mb_s_per_tib}")
        if not self.file_system_path.startswith("/"):
            raise ValueError(f"file_system_path must be absolute, got {self.file_system_path!r}")


class ScratchFileSystem(pulumi.ComponentResource):
    """Security group and rules, key, the Lustre file system and its data repository association.

    Outputs: file_system_id, dns_name, mount_name, security_group_id, throughput_mb_s (whole file system).
    """

    def __init__(self, name: str, args: ScratchFileSystemArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.vpc_id is None or args.subnet_id is None or not args.client_security_group_ids:
            raise ValueError(f"{name}: vpc_id, subnet_id and client_security_group_ids are required")
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Lustre scratch file system: Lustre ports from the nodes and from itself",
            tags=name_tags(args.tags, f"{name}-sg"),
            opts=child_opts(self),
        )
        sources: list[tuple[str, pulumi.Input[str]]] = [(f"client-{i}", s) for i, s in enumerate(args.client_security_group_ids)]
        sources.append(("self", sg.id))
        for label, source in sources:
            for low, high in LUSTRE_PORTS:
                rule = f"{name}-{label}-{low}"
                aws.vpc.SecurityGroupIngressRule(
                    rule,
                    security_group_id=sg.id,
                    referenced_security_group_id=source,
                    ip_protocol="tcp",
                    from_port=low,
                    to_port=high,
                    description=f"Lustre {low}-{high} from {label}",
                    tags=name_tags(args.tags, rule),
                    opts=child_opts(self),
                )
        # The file servers answer and talk to each other; the nodes' group already allows its own egress.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-to-self",
            security_group_id=sg.id,
            referenced_security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=988,
            to_port=1023,
            description="Lustre between the file servers",
            tags=name_tags(args.tags, f"{name}-to-self"),
            opts=child_opts(self),
        )
        key = data_key_arn(
            name,
            self,
            given=args.kms_key_arn,
            description=f"FSx for Lustre scratch {name}",
            tags=args.tags,
            deletion_window_days=30,
            protect=args.protect,
        )
        fs = aws.fsx.LustreFileSystem(
            name,
            deployment_type="PERSISTENT_2",
            storage_type="SSD",
            storage_capacity=args.storage_capacity_gib,
            per_unit_storage_throughput=args.throughput_mb_s_per_tib,
            file_system_type_version=args.file_system_type_version,
            subnet_ids=args.subnet_id,
            security_group_ids=[sg.id],
            kms_key_id=key,
            data_compression_type="LZ4",
            log_configuration=aws.fsx.LustreFileSystemLogConfigurationArgs(level="WARN_ERROR"),
            tags=name_tags(args.tags, name),
            opts=stateful_opts(self, args.protect),
        )
        if args.data_repository_path is not None:
            aws.fsx.DataRepositoryAssociation(
                f"{name}-datasets",
                file_system_id=fs.id,
                data_repository_path=args.data_repository_path,
                file_system_path=args.file_system_path,
                batch_import_meta_data_on_create=True,
                s3=aws.fsx.DataRepositoryAssociationS3Args(
                    auto_import_policy=aws.fsx.DataRepositoryAssociationS3AutoImportPolicyArgs(
                        events=["NEW", "CHANGED", "DELETED"]
                    ),
                ),
                # Deleting the association must not delete the bucket's objects from the file system's view
                # of record (the bucket is the record); files on Lustre are scratch.
                delete_data_in_filesystem=False,
                tags=name_tags(args.tags, f"{name}-datasets"),
                opts=child_opts(self),
            )
        self.file_system_id: pulumi.Output[str] = fs.id
        self.dns_name: pulumi.Output[str] = fs.dns_name
        self.mount_name: pulumi.Output[str] = fs.mount_name
        self.security_group_id: pulumi.Output[str] = sg.id
        # FSx counts capacity in decimal TiB here: 2400 GiB at 250 MB/s/TiB is 600 MB/s.
        self.throughput_mb_s: int = args.storage_capacity_gib * args.throughput_mb_s_per_tib // 1000
        self.register_outputs(
            {
                "file_system_id": fs.id,
                "dns_name": fs.dns_name,
                "mount_name": fs.mount_name,
                "security_group_id": sg.id,
                "throughput_mb_s": self.throughput_mb_s,
            }
        )
