"""The AWS target: spec -> AwsEnvironmentArgs, and the Bindings the platform layer gets from it."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.aws.audit import AuditArgs
from mlstack.components.aws.bucket import BucketArgs
from mlstack.components.aws.ci_trust import CiTrustArgs
from mlstack.components.aws.cluster import ClusterArgs
from mlstack.components.aws.container_logs import ContainerLogsArgs
from mlstack.components.aws.container_registry import ContainerRegistryArgs
from mlstack.components.aws.load_balancer_controller import INGRESS_CLASS
from mlstack.components.aws.db_credentials_hook import PYTHON_HOOKS, SECRET_ARN_ENV
from mlstack.components.aws.environment import (
    CI_KUBERNETES_GROUP,
    AwsEnvironment,
    AwsEnvironmentArgs,
)
from mlstack.components.aws.network import NetworkArgs
from mlstack.components.aws.node_pool import NodePoolArgs
from mlstack.components.aws.shared_file_system import SharedFileSystemArgs
from mlstack.components.aws.tracking_database import TrackingDatabaseArgs
from mlstack.components.k8s.efa_support import EFA_LABEL, EFA_RESOURCE, EfaSupport, EfaSupportArgs
from mlstack.components.k8s.neuron_support import NeuronSupport, NeuronSupportArgs
from mlstack.targets.aws import access, mounts, scratch, telemetry
from mlstack.targets.bindings import Bindings, Identities, MlflowAccess, cluster_provider
from mlstack.spec import Spec, local_nvme
from mlstack.spec import scratch as scratch_spec
from mlstack.spec.models import NodePool
from mlstack.catalog.pool_machine import pool_machine
from mlstack.spec.quotas import multi_node
from mlstack.spec.rules_capacity import capacity_order, instance_types
from mlstack.targets.aws import capacity

# MLflow's laptop endpoint (tracking.access), internal only. The Service annotations are the in-tree AWS cloud
# provider's (an internal NLB; kubernetes.io/docs/concepts/services-networking/service, "Internal load
# balancer"); the Ingress ones the AWS Load Balancer Controller's (docs/guide/ingress/annotations.md at v3.5.0):
# an internal ALB with IP targets, an HTTPS:443 listener only (the controller's default is HTTP:80 alone) with a
# TLS 1.3/1.2 policy, its security group open to source_cidrs only (the default is 0.0.0.0/0). The certificate
# is ACM's, found by the Ingress's TLS host (the controller reads no Secret). mlstack installs the controller
# for class alb (targets/aws/access.py). Checked 2026-12-02.
MLFLOW_ACCESS = MlflowAccess(
    load_balancer_annotations={"service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                               "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
    ingress_annotations={"alb.ingress.kubernetes.io/scheme": "internal", "alb.ingress.kubernetes.io/target-type": "ip",
                         "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                         "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                         # MLflow answers 401 on / (basic auth): the target group checks the probes' /health.
                         "alb.ingress.kubernetes.io/healthcheck-path": "/health"},
    ingress_class=INGRESS_CLASS,
    ingress_source_annotation="alb.ingress.kubernetes.io/inbound-cidrs",
)  # fmt: skip

def db_credentials_env(secret_arn: pulumi.Input[str], region: str) -> dict[str, pulumi.Input[str]]:
    """MLflow's environment for the RDS-managed, rotating password (read by the pod's start-up hook).

    The region is set explicitly: IRSA gives the pod credentials but no region, and boto3 refuses to build
    a Secrets Manager client without one (found by the real-services stage, docs/real-services.md).
    """
    return {SECRET_ARN_ENV: secret_arn, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def environment_tags(spec: Spec) -> dict[str, str]:
    """The spec's tags plus the project and environment, on every taggable resource."""
    return dict(sorted({**spec.tags, "mlstack.io/project": spec.project, "mlstack.io/env": spec.env}.items()))


def node_pool_args(
    spec: Spec, pool: NodePool, catalog: Catalog, key: str, release_version: str | None = None,
    sizes: tuple[int, int] | None = None,
) -> NodePoolArgs:
    """One managed node group of pool ``key``: the catalogue picks machine and AMI for an accelerator, a multi-node
    pool gets the machine's EFA interfaces; ``release_version`` is a lock's AMI release; ``sizes`` (min, max)
    default to the pool's own (``capacity.group_sizes``: a Karpenter pool's floor)."""
    lo, hi = sizes or pool.size()
    ami = "AL2023_x86_64_STANDARD"
    if pool.accelerator:
        ami = pool_machine(catalog, pool.accelerator, "aws", pool.gpus_per_node, pool.machine).ami_type or ami
    efa = capacity.efa_interfaces(spec, catalog, key)
    labels = {**pool.labels, EFA_LABEL: "true"} if efa else dict(pool.labels)
    return NodePoolArgs(
        instance_types=instance_types(spec, catalog, key),
        ami_type=ami,
        min_size=lo,
        max_size=hi,
        spot=capacity_order(pool) == ["spot"],
        accelerator=pool.accelerator,
        labels=dict(sorted(labels.items())),
        disk_size_gib=pool.disk_size_gib,
        efa_interfaces=efa,
        # Node health: EKS replaces an accelerator node whose GPU (or Neuron device) the monitoring agent reports
        # unhealthy; a broken GPU otherwise keeps failing every job scheduled onto it.
        auto_repair=pool.accelerator is not None,
        local_nvme_raid0=local_nvme.disks(spec, catalog, key) is not None,
        release_version=release_version,
    )


def environment_args(
    spec: Spec, catalog: Catalog, versions: dict[str, str], identities: Identities = Identities(),
    platform: Mapping[str, str] | None = None,
) -> AwsEnvironmentArgs:
    """The whole AWS environment from the spec; ``platform`` (a lock's) pins add-on and AMI release versions."""
    platform = platform or {}
    net = spec.network
    db = spec.tracking.database
    return AwsEnvironmentArgs(
        tags=environment_tags(spec),
        protect=spec.protected,
        network=NetworkArgs(
            vpc_cidr=net.cidr,
            az_count=net.availability_zones,
            single_nat_gateway=net.single_nat_gateway,
            existing_vpc_id=net.existing_vpc_id,
            existing_private_subnet_ids=tuple(net.existing_private_subnet_ids),
        ),
        cluster=ClusterArgs(
            version=versions["kubernetes"],
            public_access_cidrs=tuple(spec.cluster.allowed_cidrs) if spec.cluster.endpoint == "public" else (),
            log_retention_days=spec.cluster.log_retention_days,
            admin_principal_arns=tuple(spec.cluster.admins),
            deployer_admin=spec.cluster.deployer_admin,
        ),
        node_pools={
            key: node_pool_args(spec, pool, catalog, key, platform.get(f"node_pool/{key}"), sizes)
            for key, pool in sorted(spec.node_pools.items())
            if (sizes := capacity.group_sizes(spec, key)) is not None
        },
        shared_file_system=SharedFileSystemArgs() if spec.storage.shared else None,
        buckets={key: BucketArgs(versioning=b.versioning) for key, b in sorted(spec.storage.buckets.items())},
        scratch_file_system=scratch.file_system_args(spec, catalog),
        scratch_bucket=scratch_spec.bucket(spec),
        registry=ContainerRegistryArgs(
            prefix=spec.prefix, repositories=list(spec.registry.repositories), untagged_expiry_days=spec.registry.untagged_expiry_days
        )
        if spec.registry.repositories
        else None,
        tracking_database=TrackingDatabaseArgs(
            engine_version=versions["postgres"],
            instance_class=catalog.database_sizes[db.size]["aws"],
            allocated_storage_gib=db.storage_gib,
            max_allocated_storage_gib=max(db.storage_gib * 4, 100),
            multi_az=db.high_availability,
            backup_retention_days=db.backup_retention_days,
        ),
        tracking_bucket=spec.tracking.artifacts_bucket,
        mlflow_service_account=(identities.mlflow_namespace, identities.mlflow_service_account),
        ci_trust=CiTrustArgs(
            provider=spec.ci.provider, repository=spec.ci.repository, refs=list(spec.ci.refs), gitlab_url=spec.ci.gitlab_url
        )
        if spec.ci and spec.ci.trusted
        else None,
        audit=AuditArgs(retention_days=spec.audit.retention_days),
        cluster_access=team_access(spec),
        node_monitoring=any(p.accelerator for p in spec.node_pools.values()),
        container_logs=ContainerLogsArgs(retention_days=spec.cluster.log_retention_days) if spec.cluster.container_logs else None,
        s3_mount_driver=bool(spec.storage.bucket_mounts),
        addon_versions={k.removeprefix("addon/"): v for k, v in sorted(platform.items()) if k.startswith("addon/")},
    )


def team_access(spec: Spec) -> dict[str, list[str]]:
    """IAM principal -> the teams' groups it joins (a principal may serve several teams)."""
    access: dict[str, set[str]] = {}
    for team in spec.teams.values():
        for member in team.members:
            access.setdefault(member, set()).add(team.group)
    return {principal: sorted(groups) for principal, groups in sorted(access.items())}


def _registry_host(env: AwsEnvironment) -> pulumi.Output[str] | None:
    """The ECR registry host (the part of a repository URL before the first '/')."""
    urls = [env.registry_urls[k] for k in sorted(env.registry_urls)]
    return urls[0].apply(lambda url: url.split("/", 1)[0]) if urls else None


def provision(
    spec: Spec, catalog: Catalog, versions: dict[str, str], identities: Identities, platform: Mapping[str, str] | None = None
) -> Bindings:
    """Registers the AWS environment and returns what the platform layer binds to (``platform``: a lock's versions)."""
    args = environment_args(spec, catalog, versions, identities, platform)
    env = AwsEnvironment(spec.prefix, args)
    provider = cluster_provider(spec.prefix, kubeconfig=env.kubeconfig, depends_on=[env])
    extras: list[pulumi.Resource] = capacity.provision(spec, catalog, versions, env, provider, environment_tags(spec))
    extras += scratch.csi_driver(spec, catalog, env, provider)
    extras += telemetry.managed_prometheus(spec, catalog, env, provider, environment_tags(spec))
    extras += access.load_balancer_controller(spec, catalog, env, provider, environment_tags(spec))
    data_roles = mounts.team_roles(spec, env, environment_tags(spec))
    if any(p.accelerator and catalog.accelerators[p.accelerator].kind == "trainium" for p in spec.node_pools.values()):
        extras.append(
            NeuronSupport(
                f"{spec.prefix}-neuron",
                NeuronSupportArgs(chart_version=catalog.versions.charts["neuron-helm-chart"].version,
                                  device_plugin_image=catalog.versions.images["neuron-device-plugin"].ref),
                opts=pulumi.ResourceOptions(providers=[provider]),
            )
        )
    if any(multi_node(spec, catalog, key) for key in spec.node_pools):
        chart = catalog.versions.charts["aws-efa-k8s-device-plugin"]
        extras.append(
            EfaSupport(
                f"{spec.prefix}-efa",
                EfaSupportArgs(chart_version=chart.version, repository=chart.repo,
                               image=catalog.versions.images["aws-efa-k8s-device-plugin"].ref),
                opts=pulumi.ResourceOptions(providers=[provider]),
            )
        )
    outputs = {
        "cluster_name": env.cluster_name,
        "kubeconfig": env.kubeconfig,
        "bucket_names": env.bucket_names,
        "registry_urls": env.registry_urls,
        "tracking_artifacts_uri": env.tracking_artifacts_uri,
        "platform_versions": env.platform_versions,
    }
    if env.ci_role_arn is not None:
        outputs["ci_role_arn"] = env.ci_role_arn
    prometheus = [e for e in extras if isinstance(e, telemetry.ManagedPrometheus)]
    if prometheus:
        outputs["prometheus_endpoint"] = prometheus[0].workspace_endpoint
    return Bindings(
        identities=identities,
        # EKS maps a team's IAM principals to its group (access entries), not to RBAC users.
        team_members_as_users=False,
        provider=provider,
        kubeconfig=env.kubeconfig,
        storage_provisioner="efs.csi.aws.com",
        storage_parameters={
            "provisioningMode": "efs-ap",
            "fileSystemId": env.file_system_id,
            "directoryPerms": "770",
            "basePath": "/mlstack",
        },
        artifacts_uri=env.tracking_artifacts_uri,  # type: ignore[arg-type]
        database_uri=env.tracking_database_uri,  # type: ignore[arg-type]
        mlflow_annotations={"eks.amazonaws.com/role-arn": env.mlflow_role_arn},
        mlflow_access=MLFLOW_ACCESS,
        # MLflow reads the rotating RDS-managed password from this secret when it connects, through the hook.
        mlflow_env=db_credentials_env(env.tracking_database_secret_arn, str(spec.target.region))
        if env.tracking_database_secret_arn
        else {},
        mlflow_python_hooks=dict(PYTHON_HOOKS) if env.tracking_database_secret_arn else {},
        ci_groups=[CI_KUBERNETES_GROUP] if spec.ci and spec.ci.trusted else [],
        scratch_source=scratch.volume_source(env),
        bucket_volumes=mounts.volumes(spec, env),
        data_identities=mounts.identities(data_roles),
        # A multi-node pool's training runtime asks for every EFA interface of the node (NCCL uses them all).
        node_fabric={
            key: {EFA_RESOURCE: n}
            for key, n in sorted({**{k: p.efa_interfaces for k, p in args.node_pools.items()}, **capacity.fabric(spec, catalog)}.items())
            if n
        },
        registry_host=_registry_host(env),
        outputs=outputs,
        # Depending on the environment component waits for all its children: nodes must exist before Helm
        # releases and Deployments can become ready.
        depends_on=[env, *extras],
    )


#: EKS-optimised AMI names per node group AMI type: ``<stem>-<kubernetes minor>-v<YYYYMMDD>`` (owner ``amazon``),
#: the names of the images a managed node group's ``release_version`` (``<kubernetes patch>-<YYYYMMDD>``) runs.
#: The standard and nvidia names were read in public Terraform code that looks them up (checked 2026-12-02);
#: neuron and arm64 follow the same scheme (not seen there).
AMI_NAME_STEMS = {
    "AL2023_x86_64_STANDARD": "amazon-eks-node-al2023-x86_64-standard",
    "AL2023_x86_64_NVIDIA": "amazon-eks-node-al2023-x86_64-nvidia",
    "AL2023_x86_64_NEURON": "amazon-eks-node-al2023-x86_64-neuron",
    "AL2023_ARM_64_STANDARD": "amazon-eks-node-al2023-arm64-standard",
}
RELEASE_VERSION = re.compile(r"^\d+\.\d+\.\d+-(\d{8})$")


def locked_problems(spec: Spec, catalog: Catalog, versions: dict[str, str], platform: Mapping[str, str]) -> list[str]:
    """Why EKS cannot deploy the lock's ``platform`` versions now, asked through invokes before any resource is
    registered (``up --locked``; the program stops on a problem, so nothing changes). Empty when it can.

    Checked: the control plane's platform version is the one EKS gives the Kubernetes minor now (EKS lets no
    cluster choose it and upgrades clusters in place), each pool's AMI release still exists, and EKS still offers
    each add-on version (:mod:`.addon_versions`: through boto3, since no data source lists them; without boto3 a
    warning, and a withdrawn version fails at that add-on's own update).
    """
    import pulumi_aws as aws

    from . import addon_versions

    minor, again = versions["kubernetes"], f"run `mlstack up --env {spec.env}` without --locked to lock what EKS offers now"
    problems = []
    wanted = platform.get("control_plane")
    if wanted:
        offered = sorted({v.default_platform_version for v in aws.eks.get_cluster_versions(cluster_versions_onlies=[minor]).cluster_versions
                          if v.cluster_version == minor})
        if wanted not in offered:
            problems.append(f"control_plane: the lock has EKS platform version {wanted}; EKS gives Kubernetes {minor} clusters "
                            f"{', '.join(offered) or 'no platform version (the minor is gone)'} and lets no cluster choose one; {again}")
    for key, pool in sorted(spec.node_pools.items()):
        release = platform.get(f"node_pool/{key}")
        if not release:
            continue
        ami_type, match = node_pool_args(spec, pool, catalog, key).ami_type, RELEASE_VERSION.match(release)
        stem = AMI_NAME_STEMS.get(ami_type)
        if stem is None or match is None:
            problems.append(f"node_pool/{key}: release version {release!r} of AMI type {ami_type} cannot be checked "
                            f"(expected <kubernetes patch>-<YYYYMMDD> of {', '.join(sorted(AMI_NAME_STEMS))}); {again}")
            continue
        name = f"{stem}-{minor}-v{match[1]}"
        found = aws.ec2.get_ami_ids(owners=["amazon"], filters=[aws.ec2.GetAmiIdsFilterArgs(name="name", values=[name])])
        if not found.ids:
            problems.append(f"node_pool/{key}: AMI release {release} ({name}) is no longer published in "
                            f"{spec.target.region}; {again}")
    addons = {k.removeprefix("addon/"): v for k, v in platform.items() if k.startswith("addon/") and v}
    ask = addon_versions.boto3_offered(spec.target.region) if addons else None
    if ask is not None:
        problems += addon_versions.addon_problems(addons, minor, again, ask)
    elif addons:
        pulumi.log.warn(addon_versions.NOT_CHECKED)
    return problems
