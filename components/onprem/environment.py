"""What a cloud would give, provisioned on an existing Kubernetes cluster: the on-premise environment.

Composes the in-cluster services the platform layer binds to on ``target.cloud: onprem``: PostgreSQL
(CloudNativePG) for MLflow's backend store, SeaweedFS for buckets and artifacts, a Distribution image
registry, the NFS provisioner behind the ``shared`` StorageClass, and the audit policy. Each service
gets its own namespace (separate blast radius, NetworkPolicies and quotas) with Pod Security
Admission "restricted", except the NFS provisioner's, which "restricted" forbids (``nfs`` volumes)
and therefore enforces "baseline" while still warning and auditing at "restricted".

Every Kubernetes resource goes through the provider the caller passes in ``opts`` (children inherit it
through ``parent``); there is no default-provider fallback. Chart versions and images are plain,
pinned strings the engine takes from the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts, stateful_opts
from .audit_policy import AuditPolicy, AuditPolicyArgs
from ..k8s.hardening import MANAGED_BY, restricted_namespace_labels
from .image_registry import ImageRegistry, ImageRegistryArgs
from .nfs_provisioner import (
    DEFAULT_PROVISIONER_NAME,
    NfsProvisioner,
    NfsProvisionerArgs,
)
from .object_store import (
    ACCESS_KEY_ID_KEY,
    SECRET_ACCESS_KEY_KEY,
    ObjectStore,
    ObjectStoreArgs,
)
from .postgres import InClusterPostgres, InClusterPostgresArgs

TOKEN = "mlstack:k8s:OnPremEnvironment"
S3_SECRET_NAME = "mlflow-s3-credentials"


@dataclass(frozen=True, kw_only=True)
class OnPremEnvironmentArgs:
    """Inputs of :class:`OnPremEnvironment`. Versions and images come pinned from the catalogue.

    Attributes:
        nfs_server: NFS server host or IP for the shared file system (required; the spec's).
        nfs_path: absolute exported path on ``nfs_server`` (required).
        cnpg_chart_version: ``cloudnative-pg`` chart version.
        postgres_image: PostgreSQL operand image, "repository:tag".
        object_store_image: SeaweedFS image (server and bucket Job), "repository:tag".
        registry_image: Distribution image, e.g. "registry:2.8.3".
        nfs_chart_version: ``nfs-subdir-external-provisioner`` chart version.
        nfs_image: provisioner image, "repository:tag".
        buckets: bucket name -> versioning on (the spec's ``storage.buckets``); must contain
            ``artifacts_bucket``. Default: {"artifacts": True}.
        artifacts_bucket: the bucket for MLflow artifacts; "artifacts".
        protect: protect and retain stateful resources (data namespaces, database, credentials, PVCs).
        system_namespace: namespace of the audit ConfigMap and the MLflow S3 credentials Secret,
            where the tracking server runs; "mlstack-system".
        create_system_namespace: create ``system_namespace`` here; turn off when the platform layer
            creates it. Default on.
        database_namespace / object_store_namespace / registry_namespace / storage_namespace:
            namespaces of the services; "mlstack-postgres", "mlstack-object-store", "mlstack-registry", "mlstack-nfs".
        cnpg_operator_namespace: namespace of the CloudNativePG operator; "cnpg-system".
        install_cnpg_operator: install the operator (off when the cluster already has it). Default on.
        database_high_availability: three PostgreSQL instances instead of one. Default off.
        database_size_gib: PostgreSQL volume size per instance in GiB; 20.
        database_cpu / database_memory: per instance requests and limits; "500m" / "1Gi".
        object_store_size_gib: object store volume size in GiB; 100.
        object_store_tls_secret_name: TLS Secret for the object store's HTTPS; None serves HTTP in-cluster.
        registry_size_gib: registry volume size in GiB; 200.
        registry_external_host: the name nodes pull from once exposed; None reports the Service name.
        storage_class: StorageClass of the database, object store and registry volumes (block storage);
            None uses the cluster default.
        nfs_mount_options: NFS mount options; none by default.
        storage_provisioner_name: the provisioner name the ``shared`` StorageClass uses; "mlstack.io/nfs".
        audit_retention_days: days the API server keeps audit logs; 365.
        cnpg_chart_repository / nfs_chart_repository: Helm repositories;
            each project's official one.
    """

    nfs_server: str
    nfs_path: str
    cnpg_chart_version: str
    postgres_image: str
    object_store_image: str
    registry_image: str
    nfs_chart_version: str
    nfs_image: str
    buckets: Mapping[str, bool] = field(default_factory=lambda: {"artifacts": True})
    artifacts_bucket: str = "artifacts"
    protect: bool = False
    system_namespace: str = "mlstack-system"
    create_system_namespace: bool = True
    database_namespace: str = "mlstack-postgres"
    object_store_namespace: str = "mlstack-object-store"
    registry_namespace: str = "mlstack-registry"
    storage_namespace: str = "mlstack-nfs"
    cnpg_operator_namespace: str = "cnpg-system"
    install_cnpg_operator: bool = True
    database_high_availability: bool = False
    database_size_gib: int = 20
    database_cpu: str = "500m"
    database_memory: str = "1Gi"
    object_store_size_gib: int = 100
    object_store_tls_secret_name: str | None = None
    registry_size_gib: int = 200
    registry_external_host: str | None = None
    storage_class: str | None = None
    nfs_mount_options: Sequence[str] = field(default_factory=tuple)
    storage_provisioner_name: str = DEFAULT_PROVISIONER_NAME
    audit_retention_days: int = 365
    cnpg_chart_repository: str = "https://cloudnative-pg.github.io/charts"
    nfs_chart_repository: str = "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/"


def namespace_labels(pod_security: str = "restricted") -> dict[str, str]:
    """PSA labels (enforce at ``pod_security``, audit and warn at "restricted") plus managed-by."""
    labels = restricted_namespace_labels()
    labels["pod-security.kubernetes.io/enforce"] = pod_security
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    return dict(sorted(labels.items()))


class OnPremEnvironment(pulumi.ComponentResource):
    """Postgres, an S3 object store (SeaweedFS), a registry, the NFS provisioner and the audit policy on an existing cluster.

    Outputs (what the platform layer binds on onprem):
        tracking_database_uri: MLflow ``--backend-store-uri`` (secret).
        tracking_artifacts_uri: MLflow ``--artifacts-destination``, ``s3://<artifacts_bucket>/mlflow``.
        s3_endpoint_url: the object store's S3 URL, for ``MLFLOW_S3_ENDPOINT_URL``.
        s3_credentials_secret_name / s3_credentials_secret_namespace: Secret holding
            ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (keys :attr:`s3_access_key_id_key`,
            :attr:`s3_secret_access_key_key`) for the MLflow container's ``env`` ``secretKeyRef``.
        s3_access_key_id / s3_secret_access_key: the same credentials as values (the key is secret).
        bucket_names: all buckets, sorted.
        storage_provisioner / storage_parameters: ``provisioner`` and ``parameters`` of the ``shared`` class.
        registry_host: where images are pushed and pulled; registry_credentials_secret_name its login.
        audit_policy_yaml / audit_api_server_flags: for the cluster admin (see audit_policy.py).
        namespaces: service -> namespace name.
    """

    def __init__(self, name: str, args: OnPremEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)

        def namespace(key: str, ns_name: str, pod_security: str = "restricted", holds_data: bool = False) -> pulumi.Output[str]:
            # Deleting a namespace deletes its PVCs: data namespaces are protected with the data.
            ns_opts = stateful_opts(self, args.protect) if holds_data else child_opts(self)
            ns = k8s.core.v1.Namespace(
                f"{name}-ns-{key}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns_name, labels=namespace_labels(pod_security)),
                opts=ns_opts,
            )
            return ns.metadata.name

        system_ns: pulumi.Input[str] = args.system_namespace
        if args.create_system_namespace:
            system_ns = namespace("system", args.system_namespace)
        operator_ns: pulumi.Input[str] = args.cnpg_operator_namespace
        if args.install_cnpg_operator:
            operator_ns = namespace("cnpg", args.cnpg_operator_namespace)
        database_ns = namespace("postgres", args.database_namespace, holds_data=True)
        object_ns = namespace("object-store", args.object_store_namespace, holds_data=True)
        registry_ns = namespace("registry", args.registry_namespace, holds_data=True)
        storage_ns = namespace("nfs", args.storage_namespace, pod_security="baseline")

        postgres = InClusterPostgres(
            f"{name}-postgres",
            InClusterPostgresArgs(
                namespace=database_ns,
                operator_namespace=operator_ns,
                operator_chart_version=args.cnpg_chart_version,
                operator_chart_repository=args.cnpg_chart_repository,
                install_operator=args.install_cnpg_operator,
                postgres_image=args.postgres_image,
                high_availability=args.database_high_availability,
                size_gib=args.database_size_gib,
                storage_class=args.storage_class,
                cpu=args.database_cpu,
                memory=args.database_memory,
                protect=args.protect,
            ),
            opts=child_opts(self),
        )
        store = ObjectStore(
            f"{name}-object-store",
            ObjectStoreArgs(
                namespace=object_ns,
                image=args.object_store_image,
                buckets=args.buckets,
                artifacts_bucket=args.artifacts_bucket,
                size_gib=args.object_store_size_gib,
                storage_class=args.storage_class,
                tls_secret_name=args.object_store_tls_secret_name,
                protect=args.protect,
            ),
            opts=child_opts(self),
        )
        registry = ImageRegistry(
            f"{name}-registry",
            ImageRegistryArgs(
                namespace=registry_ns,
                image=args.registry_image,
                size_gib=args.registry_size_gib,
                storage_class=args.storage_class,
                external_host=args.registry_external_host,
                protect=args.protect,
            ),
            opts=child_opts(self),
        )
        nfs = NfsProvisioner(
            f"{name}-nfs",
            NfsProvisionerArgs(
                namespace=storage_ns,
                server=args.nfs_server,
                path=args.nfs_path,
                chart_version=args.nfs_chart_version,
                chart_repository=args.nfs_chart_repository,
                image=args.nfs_image,
                provisioner_name=args.storage_provisioner_name,
                mount_options=args.nfs_mount_options,
            ),
            opts=child_opts(self),
        )
        audit = AuditPolicy(
            f"{name}-audit",
            AuditPolicyArgs(namespace=system_ns, retention_days=args.audit_retention_days),
            opts=child_opts(self),
        )
        # The object store's Secrets live in its namespace; the tracking server reads a copy in its own.
        s3_secret = k8s.core.v1.Secret(
            f"{name}-mlflow-s3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=S3_SECRET_NAME,
                namespace=system_ns,
                labels={"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/name": "mlflow"},
            ),
            type="Opaque",
            string_data={ACCESS_KEY_ID_KEY: store.access_key_id, SECRET_ACCESS_KEY_KEY: store.secret_access_key},
            opts=child_opts(self),
        )

        self.tracking_database_uri: pulumi.Output[str] = postgres.connection_uri
        self.tracking_artifacts_uri: str = store.artifacts_uri
        self.s3_endpoint_url: pulumi.Output[str] = store.endpoint
        self.s3_credentials_secret_name: pulumi.Output[str] = s3_secret.metadata.name
        self.s3_credentials_secret_namespace: pulumi.Output[str] = pulumi.Output.from_input(system_ns)
        self.s3_access_key_id_key: str = ACCESS_KEY_ID_KEY
        self.s3_secret_access_key_key: str = SECRET_ACCESS_KEY_KEY
        self.s3_access_key_id: str = store.access_key_id
        self.s3_secret_access_key: pulumi.Output[str] = store.secret_access_key
        self.bucket_names: list[str] = store.bucket_names
        self.storage_provisioner: pulumi.Output[str] = nfs.provisioner_name
        self.storage_parameters: dict[str, str] = nfs.storage_parameters
        self.registry_host: pulumi.Output[str] = registry.host
        self.registry_credentials_secret_name: pulumi.Output[str] = registry.credentials_secret_name
        self.audit_policy_yaml: str = audit.policy_yaml
        self.audit_api_server_flags: list[str] = audit.api_server_flags
        self.namespaces: dict[str, pulumi.Input[str]] = {
            "cnpg": operator_ns,
            "nfs": storage_ns,
            "object_store": object_ns,
            "postgres": database_ns,
            "registry": registry_ns,
            "system": system_ns,
        }
        self.register_outputs(
            {
                "audit_policy_yaml": self.audit_policy_yaml,
                "registry_credentials_secret_name": self.registry_credentials_secret_name,
                "s3_access_key_id": self.s3_access_key_id,
                "s3_access_key_id_key": self.s3_access_key_id_key,
                "s3_secret_access_key": self.s3_secret_access_key,
                "s3_secret_access_key_key": self.s3_secret_access_key_key,
                "tracking_database_uri": self.tracking_database_uri,
                "tracking_artifacts_uri": self.tracking_artifacts_uri,
                "s3_endpoint_url": self.s3_endpoint_url,
                "s3_credentials_secret_name": self.s3_credentials_secret_name,
                "s3_credentials_secret_namespace": self.s3_credentials_secret_namespace,
                "bucket_names": self.bucket_names,
                "storage_provisioner": self.storage_provisioner,
                "storage_parameters": self.storage_parameters,
                "registry_host": self.registry_host,
                "audit_api_server_flags": self.audit_api_server_flags,
                "namespaces": self.namespaces,
            }
        )
