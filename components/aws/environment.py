"""AwsEnvironment: the whole AWS side of an mlstack environment, wired from its parts."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

import pulumi
import pulumi_aws as aws

from ..contract import CI_GROUP, MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT, RESERVED_PARTS
from .._base import child_opts, tags_with
from ._util import principal_digest
from .audit import Audit, AuditArgs
from .bucket import Bucket, BucketArgs
from .ci_trust import CiTrust, CiTrustArgs
from .cluster import Cluster, ClusterArgs
from .container_logs import ADDON as CONTAINER_LOGS_ADDON, ContainerLogs, ContainerLogsArgs
from .container_registry import ContainerRegistry, ContainerRegistryArgs
from .eks_addons import NODE_MONITORING_ADDON, EksAddons
from .irsa_role import WorkloadRole, WorkloadRoleArgs
from .mlflow_access import MLFLOW_PREFIX, database_secret_statements, mlflow_statements
from .network import Network, NetworkArgs
from .node_pool import NodePool, NodePoolArgs
from .scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs
from .shared_file_system import SharedFileSystem, SharedFileSystemArgs
from .tracking_database import TrackingDatabase, TrackingDatabaseArgs

TOKEN = "mlstack:aws:Environment"
#: The Kubernetes group the CI role is mapped to; the platform layer binds it to namespaced Roles only.
CI_KUBERNETES_GROUP = CI_GROUP
#: Suffixes of the fixed children; a node pool or bucket key equal to one would clash with it.
RESERVED = RESERVED_PARTS


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


A = TypeVar("A", bound=_Dataclass)


@dataclass(frozen=True, kw_only=True)
class AwsEnvironmentArgs:
    """Arguments of :class:`AwsEnvironment`. Sibling-dependent fields of the children's Args (VPC, subnets,
    cluster name, security groups, OIDC provider, node role, repository and cluster ARNs) are left None or
    empty by the caller and filled in here.

    Attributes:
        tags: tags on every taggable resource (each child's own tags win on a clash).
        protect: protect and retain every stateful resource (cluster, buckets, file system, database,
            repositories, trail bucket, their keys); overrides the children's own ``protect``.
        network: the VPC.
        cluster: the EKS cluster; its ``cluster_name`` defaults to this component's name.
        node_pools: pool name -> node group (component ``<name>-<pool>``, label ``mlstack.io/pool=<pool>``).
        shared_file_system: EFS for ReadWriteMany volumes, with the ``aws-efs-csi-driver`` EKS add-on and its
            IRSA role (``kube-system/efs-csi-controller-sa``); None creates none.
        buckets: bucket key -> bucket (component ``<name>-<key>``).
        scratch_file_system: FSx for Lustre scratch tier (component ``<name>-scratch``) in the first private
            subnet (PERSISTENT_2 is single-AZ), reachable from the nodes' security group; None creates none.
        scratch_bucket: key in ``buckets`` linked into the scratch file system at ``/datasets``; None links none.
        registry: ECR repositories; None creates none. An empty ``prefix`` becomes this component's name.
        tracking_database: RDS PostgreSQL for MLflow; None creates none.
        tracking_bucket: key in ``buckets`` holding MLflow artifacts (under ``mlflow/``); None: no artifacts
            bucket and no MLflow role.
        mlflow_service_account: (namespace, name) of MLflow's service account, trusted by its IRSA role;
            default ``("mlflow", "mlflow")``.
        ci_trust: CI OIDC trust; None creates none. Gets push/pull on the registry and describe on the cluster.
        audit: CloudTrail; None creates none.
        cluster_access: IAM principal ARN -> Kubernetes groups it joins in the cluster (an EKS access entry each,
            no access policy: the groups' RoleBindings decide); e.g. a team's role -> the team's group. None.
        node_monitoring: install the ``eks-node-monitoring-agent`` add-on (node health conditions for node auto
            repair); default False.
        container_logs: ship container logs to CloudWatch Logs (the ``amazon-cloudwatch-observability`` add-on,
            KMS-encrypted groups with a retention, its IRSA role: :class:`ContainerLogs`); None ships none.
        s3_mount_driver: install the ``aws-mountpoint-s3-csi-driver`` add-on (Mountpoint for Amazon S3: bucket
            mounts); it needs no role of its own, the volumes authenticate as the pods' ServiceAccounts. False.
        addon_versions: EKS add-on name (``vpc-cni``, ``aws-efs-csi-driver``) -> the version to install (a lock's,
            e.g. ``v1.20.4-eksbuild.1``). Default empty: each add-on takes EKS's default for the cluster's version.
    """

    network: NetworkArgs
    cluster: ClusterArgs
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False
    node_pools: Mapping[str, NodePoolArgs] = field(default_factory=dict)
    shared_file_system: SharedFileSystemArgs | None = None
    buckets: Mapping[str, BucketArgs] = field(default_factory=dict)
    scratch_file_system: ScratchFileSystemArgs | None = None
    scratch_bucket: str | None = None
    registry: ContainerRegistryArgs | None = None
    tracking_database: TrackingDatabaseArgs | None = None
    tracking_bucket: str | None = None
    mlflow_service_account: tuple[str, str] = (MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT)
    ci_trust: CiTrustArgs | None = None
    audit: AuditArgs | None = None
    cluster_access: Mapping[str, Sequence[str]] = field(default_factory=dict)
    node_monitoring: bool = False
    container_logs: ContainerLogsArgs | None = None
    s3_mount_driver: bool = False
    addon_versions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind, keys in (("node pool", self.node_pools), ("bucket", self.buckets)):
            clash = sorted(RESERVED & set(keys))
            if clash:
                raise ValueError(f"{kind} names {clash} are reserved (they name fixed parts of the environment)")
        clash = sorted(set(self.node_pools) & set(self.buckets))
        if clash:
            raise ValueError(f"names {clash} are used both as node pool and bucket")
        if self.tracking_bucket is not None and self.tracking_bucket not in self.buckets:
            raise ValueError(f"tracking_bucket {self.tracking_bucket!r} is not one of the buckets {sorted(self.buckets)}")
        if self.scratch_bucket is not None and self.scratch_bucket not in self.buckets:
            raise ValueError(f"scratch_bucket {self.scratch_bucket!r} is not one of the buckets {sorted(self.buckets)}")


class AwsEnvironment(pulumi.ComponentResource):
    """Network, EKS cluster, node pools, storage, registry, tracking database, CI trust and audit.

    Outputs (what the Kubernetes platform layer and the stack outputs need):
        kubeconfig (secret), cluster_name, cluster_endpoint, cluster_arn, oidc_provider_arn, vpc_id,
        private_subnet_ids, node_security_group_id (the cluster security group the nodes use), node_pool_names
        (sorted pool names), node_group_names (pool -> node group), file_system_id (or None), bucket_names
        (key -> bucket), bucket_arns and bucket_key_arns (key -> the bucket's ARN, its SSE-KMS key's ARN),
        tracking_artifacts_uri (``s3://<bucket>/mlflow`` or None), mlflow_role_arn (or None),
        tracking_database_uri (no password, or None), tracking_database_secret_arn (the RDS-managed secret
        MLflow reads its password from), registry_urls (repository -> URL), ci_role_arn (or None),
        trail_arn (or None), platform_versions (what the cloud chose and a lock records: ``control_plane`` -> EKS
        platform version, ``addon/<name>`` -> add-on version, ``node_pool/<pool>`` -> AMI release version).
        Attribute ``scratch``: the scratch file system component, or None.
    """

    def __init__(self, name: str, args: AwsEnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        cluster_name = args.cluster.cluster_name or name

        def fill(child: A, **values: Any) -> A:
            """The child's Args with the environment's tags and protection, plus sibling ``values``."""
            merged: dict[str, Any] = {"tags": tags_with(dict(args.tags), **dict(getattr(child, "tags")))}  # noqa: B009 - A is any Args type
            if hasattr(child, "protect"):
                merged["protect"] = args.protect
            return dataclasses.replace(child, **merged, **values)

        network = Network(f"{name}-network", fill(args.network, cluster_name=cluster_name), opts=child_opts(self))
        private = network.private_subnet_ids
        cluster = Cluster(
            f"{name}-cluster",
            fill(args.cluster, cluster_name=cluster_name, subnet_ids=private),
            opts=child_opts(self),
        )
        addons = EksAddons(self, cluster, args.addon_versions, args.tags)
        # The VPC CNI add-on enforces NetworkPolicy only when asked to: the platform layer's default-deny
        # policies depend on it. Adopting the add-on EKS installed (OVERWRITE) keeps its version EKS's default
        # unless a lock names one (``addon_versions``).
        addons.add("vpc-cni", f"{name}-vpc-cni", configuration_values=json.dumps({"enableNetworkPolicy": "true"}))
        node_sg = cluster.cluster_security_group_id
        if args.node_monitoring:
            # Node health: the agent reports GPU (XID, DCGM), Neuron, kernel, network and storage faults as node
            # conditions, which node auto repair acts on. Version: EKS's default for the cluster's minor unless
            # a lock names one, like the other add-ons.
            addons.add(NODE_MONITORING_ADDON, f"{name}-node-monitoring")

        pools: dict[str, NodePool] = {}
        for pool in sorted(args.node_pools):
            pools[pool] = NodePool(
                f"{name}-{pool}",
                fill(
                    args.node_pools[pool],
                    pool_name=pool,
                    cluster_name=cluster.cluster_name,
                    node_role_arn=cluster.node_role_arn,
                    subnet_ids=private,
                    # EFA pools name their interfaces' security groups: keep the cluster's, add the EFA one.
                    **({"vpc_id": network.vpc_id, "node_security_group_ids": [node_sg]} if args.node_pools[pool].efa_interfaces else {}),
                ),
                opts=child_opts(self),
            )

        if args.container_logs is not None:  # Fluent Bit on every node: container logs (MLflow's access log too)
            logs = ContainerLogs(f"{name}-container-logs", fill(args.container_logs, cluster_name=cluster.cluster_name,
                                 oidc_provider_arn=cluster.oidc_provider_arn, oidc_provider_url=cluster.oidc_provider_url),
                                 opts=child_opts(self))  # fmt: skip
            # After its groups: Fluent Bit would otherwise create them itself, unencrypted and kept forever.
            addons.add(CONTAINER_LOGS_ADDON, f"{name}-cloudwatch-observability",
                       depends_on=[logs, *pools.values()], service_account_role_arn=logs.role_arn)
        # Resource metrics (kubectl top, HPA): EKS's metrics-server community add-on (its version locked like
        # every add-on's). Created after the node groups in program order; EKS reports it DEGRADED until nodes join.
        addons.add("metrics-server", f"{name}-metrics-server")

        file_system_id: pulumi.Output[str] | None = None
        if args.shared_file_system is not None:
            fs = SharedFileSystem(
                f"{name}-shared",
                fill(
                    args.shared_file_system,
                    vpc_id=network.vpc_id,
                    subnet_ids=private,
                    nfs_client_security_group_ids=[node_sg],
                ),
                opts=child_opts(self),
            )
            file_system_id = fs.file_system_id
            addons.efs_csi_driver(name)

        buckets = {
            key: Bucket(f"{name}-{key}", fill(args.buckets[key]), opts=child_opts(self)) for key in sorted(args.buckets)
        }

        self.scratch: ScratchFileSystem | None = None
        if args.scratch_file_system is not None:
            linked = buckets[args.scratch_bucket].bucket_name if args.scratch_bucket else None
            self.scratch = ScratchFileSystem(
                f"{name}-scratch",
                fill(
                    args.scratch_file_system,
                    vpc_id=network.vpc_id,
                    subnet_id=private[0],
                    client_security_group_ids=[node_sg],
                    data_repository_path=pulumi.Output.concat("s3://", linked) if linked is not None else None,
                ),
                opts=child_opts(self),
            )

        if args.s3_mount_driver:
            # Pod-level credentials only (``authenticationSource: pod``): no driver role that could read every bucket.
            addons.add("aws-mountpoint-s3-csi-driver", f"{name}-s3-csi")

        registry: ContainerRegistry | None = None
        if args.registry is not None:
            registry = ContainerRegistry(
                f"{name}-registry",
                fill(args.registry, prefix=args.registry.prefix or name),  # prefix: the environment's name
                opts=child_opts(self),
            )

        database_uri: pulumi.Output[str] | None = None
        db: TrackingDatabase | None = None
        if args.tracking_database is not None:
            db = TrackingDatabase(
                f"{name}-tracking-db",
                fill(
                    args.tracking_database,
                    vpc_id=network.vpc_id,
                    subnet_ids=private,
                    client_security_group_ids=[node_sg],
                ),
                opts=child_opts(self),
            )
            database_uri = db.connection_uri

        artifacts_uri: pulumi.Output[str] | None = None
        mlflow_role_arn: pulumi.Output[str] | None = None
        if args.tracking_bucket is not None:
            bucket = buckets[args.tracking_bucket]
            artifacts_uri = pulumi.Output.format("s3://{0}/{1}", bucket.bucket_name, MLFLOW_PREFIX)
            namespace, service_account = args.mlflow_service_account
            mlflow = WorkloadRole(
                f"{name}-mlflow",
                fill(
                    WorkloadRoleArgs(
                        namespace=namespace,
                        service_account=service_account,
                        policy_statements=mlflow_statements(bucket) + database_secret_statements(db),
                    ),
                    oidc_provider_arn=cluster.oidc_provider_arn,
                    oidc_provider_url=cluster.oidc_provider_url,
                ),
                opts=child_opts(self),
            )
            mlflow_role_arn = mlflow.role_arn

        ci_role_arn: pulumi.Output[str] | None = None
        if args.ci_trust is not None:
            repo_arns = [registry.repository_arns[k] for k in sorted(registry.repository_arns)] if registry else []
            ci = CiTrust(
                f"{name}-ci",
                fill(args.ci_trust, ecr_repository_arns=repo_arns, cluster_arn=cluster.cluster_arn),
                opts=child_opts(self),
            )
            ci_role_arn = ci.role_arn
            # Least privilege inside the cluster too: an access entry with a Kubernetes group and no EKS
            # access policy, so the CI role can do only what the platform layer's Roles grant that group.
            aws.eks.AccessEntry(
                f"{name}-ci-access",
                cluster_name=cluster.cluster_name,
                principal_arn=ci.role_arn,
                type="STANDARD",
                kubernetes_groups=[CI_KUBERNETES_GROUP],
                tags=tags_with(dict(args.tags), Name=f"{name}-ci-access"),
                opts=child_opts(self),
            )

        for principal in sorted(args.cluster_access):
            digest = principal_digest(principal)
            aws.eks.AccessEntry(
                f"{name}-access-{digest}",
                cluster_name=cluster.cluster_name,
                principal_arn=principal,
                type="STANDARD",
                kubernetes_groups=sorted(args.cluster_access[principal]),
                tags=tags_with(dict(args.tags), Name=f"{name}-access-{digest}"),
                opts=child_opts(self),
            )

        trail_arn: pulumi.Output[str] | None = None
        if args.audit is not None:
            trail_arn = Audit(f"{name}-audit", fill(args.audit), opts=child_opts(self)).trail_arn

        self.kubeconfig: pulumi.Output[str] = cluster.kubeconfig
        self.cluster_name: pulumi.Output[str] = cluster.cluster_name
        self.cluster_endpoint: pulumi.Output[str] = cluster.endpoint
        self.oidc_provider_arn: pulumi.Output[str] = cluster.oidc_provider_arn
        self.oidc_provider_url: pulumi.Output[str] = cluster.oidc_provider_url
        self.vpc_id: pulumi.Output[str] = network.vpc_id
        self.cluster_arn: pulumi.Output[str] = cluster.cluster_arn
        # What node provisioners outside the environment (Karpenter's EC2NodeClasses) launch nodes into.
        self.private_subnet_ids: list[pulumi.Output[str]] = list(private)
        self.node_security_group_id: pulumi.Output[str] = node_sg
        self.node_pool_names: list[str] = sorted(pools)
        self.node_group_names: dict[str, pulumi.Output[str]] = {k: p.node_group_name for k, p in pools.items()}
        self.file_system_id: pulumi.Output[str] | None = file_system_id
        self.bucket_names: dict[str, pulumi.Output[str]] = {k: b.bucket_name for k, b in buckets.items()}
        self.bucket_arns: dict[str, pulumi.Output[str]] = {k: b.arn for k, b in buckets.items()}
        self.bucket_key_arns: dict[str, pulumi.Output[str]] = {k: b.kms_key_arn for k, b in buckets.items()}
        self.tracking_artifacts_uri: pulumi.Output[str] | None = artifacts_uri
        self.mlflow_role_arn: pulumi.Output[str] | None = mlflow_role_arn
        self.tracking_database_uri: pulumi.Output[str] | None = database_uri
        self.tracking_database_secret_arn: pulumi.Output[str | None] | None = db.master_user_secret_arn if db else None
        self.registry_urls: dict[str, pulumi.Output[str]] = dict(registry.repository_urls) if registry else {}
        self.ci_role_arn: pulumi.Output[str] | None = ci_role_arn
        self.trail_arn: pulumi.Output[str] | None = trail_arn
        self.platform_versions: dict[str, pulumi.Output[str]] = dict(sorted({
            "control_plane": cluster.platform_version, **addons.versions,
            **{f"node_pool/{k}": p.release_version for k, p in pools.items()},
        }.items()))
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "cluster_name": self.cluster_name,
                "cluster_endpoint": self.cluster_endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_provider_url": self.oidc_provider_url,
                "vpc_id": self.vpc_id,
                "cluster_arn": self.cluster_arn,
                "private_subnet_ids": self.private_subnet_ids,
                "node_security_group_id": self.node_security_group_id,
                "node_pool_names": self.node_pool_names,
                "node_group_names": self.node_group_names,
                "file_system_id": file_system_id,
                "bucket_names": self.bucket_names,
                "bucket_arns": self.bucket_arns,
                "bucket_key_arns": self.bucket_key_arns,
                "tracking_artifacts_uri": artifacts_uri,
                "mlflow_role_arn": mlflow_role_arn,
                "tracking_database_uri": database_uri,
                "tracking_database_secret_arn": self.tracking_database_secret_arn,
                "registry_urls": self.registry_urls,
                "ci_role_arn": ci_role_arn,
                "trail_arn": trail_arn,
                "platform_versions": self.platform_versions,
            }
        )

