"""The whole GCP environment: network, GKE and its pools, storage, registry, tracking DB, identities, audit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

from ..contract import MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT
from .audit import Audit, AuditArgs
from .bucket import Bucket, BucketArgs
from .ci_trust import CiTrust, CiTrustArgs, RegistryRepository
from .cluster import Cluster, ClusterArgs
from .container_registry import ContainerRegistry, ContainerRegistryArgs
from .identity import WorkloadIdentity, WorkloadIdentityArgs
from .network import Network, NetworkArgs
from .node_pool import NodePool, NodePoolArgs
from .scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs
from .shared_file_system import SharedFileSystem, SharedFileSystemArgs
from .tpu_node_pool import TpuNodePool, TpuNodePoolArgs
from .tracking_database import TrackingDatabase, TrackingDatabaseArgs

TOKEN = "mlstack:gcp:Environment"


@dataclass(frozen=True, kw_only=True)
class GcpEnvironmentArgs:
    """Inputs of :class:`GcpEnvironment`: each part's own Args, with the fields that point at a sibling
    (network, cluster name, node service account, bucket, connection) left ``None``: they are filled in here.

    Attributes:
        project_id: the GCP project.
        region: the region of the environment.
        labels: labels merged into every part's labels (a part's own label wins on a clash).
        protect: when True, every stateful part is protected whatever its own ``protect`` says.
        network: the VPC.
        cluster: the GKE cluster.
        node_pools: CPU and GPU pools by the spec's pool name.
        tpu_pools: TPU slice pools by the spec's pool name.
        shared_file_system: the Filestore instance; ``None``: none.
        scratch_file_system: the Managed Lustre scratch tier (``<name>-scratch``; turns on the cluster's Lustre CSI
            driver add-on); ``None``: none.
        buckets: GCS buckets by the spec's bucket name.
        registry: the Artifact Registry repositories; ``None``: none.
        tracking_database: MLflow's Cloud SQL instance; ``None``: none.
        tracking_bucket: the key in ``buckets`` MLflow stores artifacts in (under ``mlflow/``); ``None``: no
            MLflow identity.
        mlflow_namespace: the Kubernetes namespace of MLflow's ServiceAccount. Default ``mlflow``.
        mlflow_service_account: the Kubernetes ServiceAccount MLflow runs as. Default ``mlflow``.
        ci_trust: the CI federation; ``None``: none. Empty ``registry_repositories`` means all of ``registry``.
        audit: the audit log configuration; ``None``: none.
    """

    project_id: str
    region: str
    labels: dict[str, str] = field(default_factory=dict)
    protect: bool = False
    network: NetworkArgs
    cluster: ClusterArgs
    node_pools: dict[str, NodePoolArgs] = field(default_factory=dict)
    tpu_pools: dict[str, TpuNodePoolArgs] = field(default_factory=dict)
    shared_file_system: SharedFileSystemArgs | None = None
    scratch_file_system: ScratchFileSystemArgs | None = None
    buckets: dict[str, BucketArgs] = field(default_factory=dict)
    registry: ContainerRegistryArgs | None = None
    tracking_database: TrackingDatabaseArgs | None = None
    tracking_bucket: str | None = None
    mlflow_namespace: str = MLFLOW_NAMESPACE
    mlflow_service_account: str = MLFLOW_SERVICE_ACCOUNT
    ci_trust: CiTrustArgs | None = None
    audit: AuditArgs | None = None


class GcpEnvironment(pulumi.ComponentResource):
    """Everything one GCP environment provisions below the Kubernetes platform layer.

    Outputs (for the platform layer and the lock file):
        kubeconfig (secret), cluster_name, workload_pool, node_service_account_email (the nodes' service
        account, which the node pools GKE creates for ComputeClasses run as), network_self_link, storage_class_provisioner,
        storage_class_parameters, shared_ip_address, shared_share_name, shared_volume_handle, bucket_names,
        tracking_artifacts_uri, mlflow_annotations, mlflow_gsa_email, tracking_database_uri (secret),
        registry_urls, ci_provider_name, ci_service_account_email, platform_versions (``control_plane`` -> GKE master
        version, ``node_pool/<pool>`` -> node version). Absent parts give ``None`` / empty dicts.
        Attribute ``scratch``: the scratch file system component (its outputs are its own), or None.
    """

    def __init__(self, name: str, args: GcpEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.tracking_bucket is not None and args.tracking_bucket not in args.buckets:
            raise ValueError(f"tracking_bucket {args.tracking_bucket!r} is not one of the buckets {sorted(args.buckets)}")
        child = pulumi.ResourceOptions(parent=self)

        def labels(own: dict[str, str]) -> dict[str, str]:
            return dict(sorted({**args.labels, **own}.items()))

        net = Network(f"{name}-network", replace(args.network, labels=labels(args.network.labels)), child)
        cluster = Cluster(
            f"{name}-cluster",
            replace(
                args.cluster,
                network=net.network_self_link,
                subnetwork=net.subnetwork_self_link,
                pods_range_name=net.pods_range_name,
                services_range_name=net.services_range_name,
                protect=args.protect or args.cluster.protect,
                labels=labels(args.cluster.labels),
                lustre_csi_driver=args.cluster.lustre_csi_driver or args.scratch_file_system is not None,
            ),
            child,
        )
        siblings: dict[str, Any] = {"cluster": cluster.cluster_name, "service_account_email": cluster.node_service_account_email}
        versions: dict[str, pulumi.Output[str]] = {"control_plane": cluster.master_version}
        for key, pool in sorted(args.node_pools.items()):
            versions[f"node_pool/{key}"] = NodePool(f"{name}-{key}", replace(pool, **siblings, labels=labels(pool.labels)), child).version
        for key, tpu in sorted(args.tpu_pools.items()):
            versions[f"node_pool/{key}"] = TpuNodePool(f"{name}-{key}", replace(tpu, **siblings, labels=labels(tpu.labels)), child).version
        #: What GKE runs and a lock records: ``control_plane`` -> master version, ``node_pool/<pool>`` -> node version.
        self.platform_versions: dict[str, pulumi.Output[str]] = dict(sorted(versions.items()))

        self.storage_class_provisioner: str | None = None
        self.storage_class_parameters: pulumi.Output[dict[str, str]] | None = None
        self.shared_ip_address: pulumi.Output[str] | None = None
        self.shared_share_name: str | None = None
        self.shared_volume_handle: pulumi.Output[str] | None = None
        if args.shared_file_system is not None:
            fs = SharedFileSystem(
                f"{name}-shared",
                replace(
                    args.shared_file_system,
                    network=net.network_name,
                    reserved_ip_range=net.private_services_range_name,
                    service_networking_connection=net.private_services_connection,
                    protect=args.protect or args.shared_file_system.protect,
                    labels=labels(args.shared_file_system.labels),
                ),
                child,
            )
            self.storage_class_provisioner = fs.storage_class_provisioner
            self.storage_class_parameters = fs.storage_class_parameters
            self.shared_ip_address = fs.ip_address
            self.shared_share_name = fs.share_name
            self.shared_volume_handle = fs.volume_handle

        self.scratch: ScratchFileSystem | None = None
        if args.scratch_file_system is not None:
            self.scratch = ScratchFileSystem(
                f"{name}-scratch",
                replace(
                    args.scratch_file_system,
                    network=net.network_id,
                    private_services_cidr=args.network.private_services_cidr,
                    service_networking_connection=net.private_services_connection,
                    protect=args.protect or args.scratch_file_system.protect,
                    labels=labels(args.scratch_file_system.labels),
                ),
                child,
            )

        buckets = {
            key: Bucket(f"{name}-{key}", replace(b, protect=args.protect or b.protect, labels=labels(b.labels)), child)
            for key, b in sorted(args.buckets.items())
        }
        self.bucket_names: dict[str, pulumi.Output[str]] = {k: b.bucket_name for k, b in buckets.items()}

        self.registry_urls: dict[str, str] = {}
        registry_repos: tuple[RegistryRepository, ...] = ()
        if args.registry is not None:
            registry = ContainerRegistry(
                f"{name}-registry",
                replace(args.registry, protect=args.protect or args.registry.protect, labels=labels(args.registry.labels)),
                child,
            )
            self.registry_urls = registry.urls
            registry_repos = tuple(
                RegistryRepository(location=args.registry.location, repository_id=r) for r in sorted(registry.urls)
            )

        self.tracking_database_uri: pulumi.Output[str] | None = None
        if args.tracking_database is not None:
            db = TrackingDatabase(
                f"{name}-tracking-db",
                replace(
                    args.tracking_database,
                    private_network=net.network_self_link,
                    allocated_ip_range=net.private_services_range_name,
                    service_networking_connection=net.private_services_connection,
                    protect=args.protect or args.tracking_database.protect,
                    labels=labels(args.tracking_database.labels),
                ),
                child,
            )
            self.tracking_database_uri = db.connection_uri

        self.tracking_artifacts_uri: pulumi.Output[str] | None = None
        self.mlflow_annotations: pulumi.Output[dict[str, str]] | None = None
        self.mlflow_gsa_email: pulumi.Output[str] | None = None
        if args.tracking_bucket is not None:
            bucket_name = buckets[args.tracking_bucket].bucket_name
            identity = WorkloadIdentity(
                f"{name}-mlflow",
                WorkloadIdentityArgs(
                    project_id=args.project_id,
                    namespace=args.mlflow_namespace,
                    service_account_name=args.mlflow_service_account,
                    artifacts_bucket=bucket_name,
                ),
                child,
            )
            self.tracking_artifacts_uri = pulumi.Output.concat("gs://", bucket_name, "/mlflow")
            self.mlflow_annotations = identity.annotations
            self.mlflow_gsa_email = identity.gsa_email

        self.ci_provider_name: pulumi.Output[str] | None = None
        self.ci_service_account_email: pulumi.Output[str] | None = None
        if args.ci_trust is not None:
            ci_args = args.ci_trust
            if not ci_args.registry_repositories:
                ci_args = replace(ci_args, registry_repositories=registry_repos)
            ci = CiTrust(f"{name}-ci", ci_args, child)
            self.ci_provider_name = ci.provider_name
            self.ci_service_account_email = ci.service_account_email

        if args.audit is not None:
            Audit(f"{name}-audit", args.audit, child)

        self.kubeconfig: pulumi.Output[str] = cluster.kubeconfig
        self.cluster_name: pulumi.Output[str] = cluster.cluster_name
        self.workload_pool: str = cluster.workload_pool
        self.node_service_account_email: pulumi.Output[str] = cluster.node_service_account_email
        self.network_self_link: pulumi.Output[str] = net.network_self_link
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "cluster_name": self.cluster_name,
                "workload_pool": self.workload_pool,
                "node_service_account_email": self.node_service_account_email,
                "network_self_link": self.network_self_link,
                "storage_class_provisioner": self.storage_class_provisioner,
                "storage_class_parameters": self.storage_class_parameters,
                "shared_ip_address": self.shared_ip_address,
                "shared_share_name": self.shared_share_name,
                "shared_volume_handle": self.shared_volume_handle,
                "bucket_names": self.bucket_names,
                "tracking_artifacts_uri": self.tracking_artifacts_uri,
                "mlflow_annotations": self.mlflow_annotations,
                "mlflow_gsa_email": self.mlflow_gsa_email,
                "tracking_database_uri": self.tracking_database_uri,
                "registry_urls": self.registry_urls,
                "ci_provider_name": self.ci_provider_name,
                "ci_service_account_email": self.ci_service_account_email,
                "platform_versions": self.platform_versions,
            }
        )
