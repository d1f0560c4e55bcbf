"""TrackingDatabase: RDS PostgreSQL for the MLflow tracking server, private, encrypted, password managed by AWS."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import data_key_arn, ingress_only_security_group, name_tags

TOKEN = "mlstack:aws:TrackingDatabase"
PG_PORT = 5432


@dataclass(frozen=True, kw_only=True)
class TrackingDatabaseArgs:
    """Arguments of :class:`TrackingDatabase`.

    Attributes:
        engine_version: PostgreSQL version, e.g. ``"16.4"`` (or a major version like ``"16"``).
        instance_class: RDS instance class; default ``db.t4g.medium``.
        allocated_storage_gib: initial gp3 storage; default 20.
        max_allocated_storage_gib: storage autoscaling ceiling; default 100 (0 turns autoscaling off).
        database_name: database created for MLflow; default ``mlflow``.
        master_username: master user; default ``mlflow``. Its password is generated and rotated by RDS in
            Secrets Manager (``manage_master_user_password``): Pulumi never sees it at creation.
        multi_az: a synchronous standby in another zone (default False).
        backup_retention_days: days of automated backups, 7 to 35; default 7.
        performance_insights: Performance Insights, encrypted with the database's key, 7 days (free tier);
            default True.
        iam_database_authentication: allow IAM tokens as passwords too; default True.
        kms_key_arn: key for storage, snapshots, the master secret and Performance Insights; None (default)
            creates one with rotation.
        kms_deletion_window_days: waiting period before an own key is deleted (7 to 30); default 30.
        vpc_id: VPC of the database's security group (AwsEnvironment fills it in).
        subnet_ids: private subnets of the DB subnet group (AwsEnvironment fills them in).
        client_security_group_ids: security groups admitted on TCP 5432 (AwsEnvironment passes the cluster
            security group); nothing else is admitted.
        protect: deletion protection, a final snapshot on delete, and Pulumi protect/retain. Off, the
            database is deleted without a final snapshot (disposable environments).
        tags: tags for every resource, merged with ``Name``.
    """

    engine_version: str
    instance_class: str = "db.t4g.medium"
    allocated_storage_gib: int = 20
    max_allocated_storage_gib: int = 100
    database_name: str = "mlflow"
    master_username: str = "mlflow"
    multi_az: bool = False
    backup_retention_days: int = 7
    performance_insights: bool = True
    iam_database_authentication: bool = True
    kms_key_arn: pulumi.Input[str] | None = None
    kms_deletion_window_days: int = 30
    vpc_id: pulumi.Input[str] | None = None
    subnet_ids: Sequence[pulumi.Input[str]] = ()
    client_security_group_ids: Sequence[pulumi.Input[str]] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 7 <= self.backup_retention_days <= 35:
            raise ValueError(f"backup_retention_days must be between 7 and 35, got {self.backup_retention_days}")
        if self.max_allocated_storage_gib and self.max_allocated_storage_gib < self.allocated_storage_gib:
            raise ValueError("max_allocated_storage_gib must be 0 or >= allocated_storage_gib")


def connection_uri(username: str, address: str, port: int, database: str) -> str:
    """``postgresql://user@host:port/db?sslmode=require``: no password. The MLflow pods read the current one
    from the RDS-managed secret when they connect (see ``components/aws/db_credentials_hook.py``), so RDS's rotation
    needs no redeploy and the password is never in Pulumi state or a Kubernetes Secret."""
    return f"postgresql://{urllib.parse.quote(username, safe='')}@{address}:{port}/{database}?sslmode=require"


class TrackingDatabase(pulumi.ComponentResource):
    """An RDS PostgreSQL instance in private subnets, reachable only from the given security groups.

    Outputs:
        address, port, database_name, master_user_secret_arn, kms_key_arn, security_group_id, and
        ``connection_uri``: a ``postgresql://`` URI without a password. RDS generates the password and
        rotates it (every 7 days by default) in Secrets Manager; clients read it from
        ``master_user_secret_arn`` when they connect, so it is never in Pulumi state.
    """

    def __init__(self, name: str, args: TrackingDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.vpc_id is None or not args.subnet_ids or not args.client_security_group_ids:
            raise ValueError(f"{name}: vpc_id, subnet_ids and client_security_group_ids are required")
        tags = args.tags
        key_arn = data_key_arn(
            name,
            self,
            given=args.kms_key_arn,
            description=f"RDS {name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            protect=args.protect,
        )

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"Private subnets of {name}",
            tags=name_tags(tags, f"{name}-subnets"),
            opts=child_opts(self),
        )
        sg = ingress_only_security_group(
            f"{name}-pg",
            self,
            vpc_id=args.vpc_id,
            port=PG_PORT,
            sources=args.client_security_group_ids,
            description=f"PostgreSQL {name} from the cluster only",
            rule_description="PostgreSQL from the cluster",
            tags=tags,
        )

        protect = args.protect
        db = aws.rds.Instance(
            name,
            identifier=name,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gib,
            max_allocated_storage=args.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key_arn,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[sg.id],
            publicly_accessible=False,
            port=PG_PORT,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            copy_tags_to_snapshot=True,
            delete_automated_backups=not protect,
            deletion_protection=protect,
            skip_final_snapshot=not protect,
            final_snapshot_identifier=f"{name}-final" if protect else None,
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=args.iam_database_authentication,
            performance_insights_enabled=args.performance_insights,
            performance_insights_kms_key_id=key_arn if args.performance_insights else None,
            performance_insights_retention_period=7 if args.performance_insights else None,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=name_tags(tags, name),
            opts=stateful_opts(self, protect),
        )

        secret_arn = db.master_user_secrets.apply(lambda s: s[0].secret_arn if s else None)
        self.address: pulumi.Output[str] = db.address
        self.port: pulumi.Output[int] = db.port
        self.database_name: str = args.database_name
        self.master_user_secret_arn: pulumi.Output[str | None] = secret_arn
        self.security_group_id: pulumi.Output[str] = sg.id
        self.kms_key_arn: pulumi.Output[str] = key_arn
        self.connection_uri: pulumi.Output[str] = pulumi.Output.all(db.address, db.port).apply(
            lambda a: connection_uri(args.master_username, a[0], int(a[1]), args.database_name)
        )
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "address": self.address,
                "port": self.port,
                "database_name": self.database_name,
                "master_user_secret_arn": secret_arn,
                "kms_key_arn": key_arn,
                "connection_uri": self.connection_uri,
            }
        )
