"""Cloud SQL for PostgreSQL on a private IP: the MLflow tracking server's backend store."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from .._base import child_opts, stateful_opts

TOKEN = "mlstack:gcp:TrackingDatabase"

#: Connection, lock and temp-file logging (CIS Cloud SQL PostgreSQL benchmark), sorted by name.
DATABASE_FLAGS = {
    "log_checkpoints": "on",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_lock_waits": "on",
    "log_temp_files": "0",
}


@dataclass(frozen=True, kw_only=True)
class TrackingDatabaseArgs:
    """Inputs of :class:`TrackingDatabase`.

    Attributes:
        project_id: the GCP project.
        region: the instance's region.
        private_network: the VPC's id or self link. ``None`` only when :class:`GcpEnvironment` fills it in.
        allocated_ip_range: the private services access range's name; default ``None``: any allocated range.
        service_networking_connection: the private services access connection the instance waits for.
        database_version: e.g. ``POSTGRES_16`` (decided by the engine).
        tier: the machine tier, e.g. ``db-custom-2-7680`` (decided by the engine from the spec's size).
        edition: ``ENTERPRISE`` (default; custom tiers need it) or ``ENTERPRISE_PLUS``.
        high_availability: a standby in another zone (availability type REGIONAL). Default False (ZONAL).
        disk_size_gib: initial disk size; it grows automatically. Default 20.
        backup_retention_count: daily backups kept. Default 7.
        transaction_log_retention_days: days of WAL kept for point-in-time recovery. Default 7.
        database_name: the database MLflow uses. Default ``mlflow``.
        user_name: the database user MLflow connects as. Default ``mlflow``.
        protect: both deletion flags (``deletion_protection`` and ``settings.deletion_protection_enabled``),
            Pulumi ``protect`` and ``retain_on_delete``. Default False.
        labels: user labels on the instance.
    """

    project_id: str
    region: str
    private_network: pulumi.Input[str] | None = None
    allocated_ip_range: pulumi.Input[str] | None = None
    service_networking_connection: pulumi.Resource | None = None
    database_version: str = "POSTGRES_16"
    tier: str = "db-custom-2-7680"
    edition: str = "ENTERPRISE"
    high_availability: bool = False
    disk_size_gib: int = 20
    backup_retention_count: int = 7
    transaction_log_retention_days: int = 7
    database_name: str = "mlflow"
    user_name: str = "mlflow"
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)


class TrackingDatabase(pulumi.ComponentResource):
    """A Postgres instance with no public IP, TLS-only connections, backups and point-in-time recovery.

    Outputs:
        instance_name, connection_name, private_ip_address, connection_uri (secret:
        ``postgresql://<user>:<password>@<private ip>:5432/<database>``).
    """

    def __init__(self, name: str, args: TrackingDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.private_network is None:
            raise ValueError(f"tracking database {name}: private_network is required")
        depends = [args.service_networking_connection] if args.service_networking_connection else None
        instance = gcp.sql.DatabaseInstance(
            f"{name}-postgres",
            project=args.project_id,
            region=args.region,
            database_version=args.database_version,
            deletion_protection=args.protect,
            settings=gcp.sql.DatabaseInstanceSettingsArgs(
                tier=args.tier,
                edition=args.edition,
                availability_type="REGIONAL" if args.high_availability else "ZONAL",
                disk_size=args.disk_size_gib,
                disk_type="PD_SSD",
                disk_autoresize=True,
                # The API-side flag also stops deletion from the console or gcloud, not only from Pulumi.
                deletion_protection_enabled=args.protect,
                ip_configuration=gcp.sql.DatabaseInstanceSettingsIpConfigurationArgs(
                    ipv4_enabled=False,
                    private_network=args.private_network,
                    allocated_ip_range=args.allocated_ip_range,
                    ssl_mode="ENCRYPTED_ONLY",
                ),
                backup_configuration=gcp.sql.DatabaseInstanceSettingsBackupConfigurationArgs(
                    enabled=True,
                    point_in_time_recovery_enabled=True,
                    start_time="03:00",
                    transaction_log_retention_days=args.transaction_log_retention_days,
                    backup_retention_settings=gcp.sql.DatabaseInstanceSettingsBackupConfigurationBackupRetentionSettingsArgs(
                        retained_backups=args.backup_retention_count, retention_unit="COUNT"
                    ),
                ),
                database_flags=[
                    gcp.sql.DatabaseInstanceSettingsDatabaseFlagArgs(name=k, value=v) for k, v in sorted(DATABASE_FLAGS.items())
                ],
                maintenance_window=gcp.sql.DatabaseInstanceSettingsMaintenanceWindowArgs(day=7, hour=3, update_track="stable"),
                user_labels=dict(sorted(args.labels.items())),
            ),
            opts=stateful_opts(self, args.protect, depends_on=depends),
        )
        database = gcp.sql.Database(
            f"{name}-db",
            project=args.project_id,
            instance=instance.name,
            name=args.database_name,
            opts=stateful_opts(self, args.protect),
        )
        # URL-safe characters only: the password goes into a connection URI unescaped.
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child_opts(self))
        user = gcp.sql.User(
            f"{name}-user",
            project=args.project_id,
            instance=instance.name,
            name=args.user_name,
            password=password.result,
            # Postgres cannot drop a role that owns objects; the instance's deletion removes it anyway.
            deletion_policy="ABANDON",
            opts=child_opts(self),
        )

        self.instance_name: pulumi.Output[str] = instance.name
        self.connection_name: pulumi.Output[str] = instance.connection_name
        self.private_ip_address: pulumi.Output[str] = instance.private_ip_address
        self.connection_uri: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(user.name, password.result, instance.private_ip_address, database.name).apply(
                lambda v: f"postgresql://{v[0]}:{v[1]}@{v[2]}:5432/{v[3]}"
            )
        )
        self.register_outputs(
            {
                "instance_name": self.instance_name,
                "connection_name": self.connection_name,
                "private_ip_address": self.private_ip_address,
                "connection_uri": self.connection_uri,
            }
        )
