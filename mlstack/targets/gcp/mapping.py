"""The GCP target: spec -> GcpEnvironmentArgs (GKE, GPU and TPU pools, Filestore, GCS, Artifact Registry,
Cloud SQL, Workload Identity, CI federation, audit), and the Bindings the platform layer gets from it."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.gcp.audit import AuditArgs
from mlstack.components.gcp.bucket import BucketArgs
from mlstack.components.gcp.ci_trust import CiTrustArgs
from mlstack.components.gcp.cluster import ClusterArgs
from mlstack.components.gcp.container_registry import ContainerRegistryArgs
from mlstack.components.gcp.environment import GcpEnvironment, GcpEnvironmentArgs
from mlstack.components.gcp.network import NetworkArgs
from mlstack.components.gcp.node_pool import NodePoolArgs
from mlstack.components.gcp.shared_file_system import SharedFileSystemArgs
from mlstack.components.gcp.tpu_node_pool import TpuNodePoolArgs
from mlstack.components.gcp.tracking_database import TrackingDatabaseArgs
from mlstack.components.onprem.nfs_backend import NfsBackend, NfsBackendArgs
from mlstack.targets.gcp import scratch
from mlstack.targets.bindings import Bindings, Identities, MlflowAccess, cluster_provider
from mlstack.targets.gcp import PROXY_ONLY, RESERVED_RANGES, access
from mlstack.spec import Spec
from mlstack.spec.models import NodePool
from mlstack.catalog.pool_machine import pool_machine
from mlstack.spec.quotas import multi_node


# MLflow's laptop endpoint (tracking.access), internal only: GKE's internal passthrough Network LB for a Service
# (networking.gke.io/load-balancer-type), and the internal Application LB for an Ingress, which GKE selects by
# the kubernetes.io/ingress.class annotation, not spec.ingressClassName (cloud.google.com/kubernetes-engine/docs/
# how-to/internal-load-balance-ingress). Its Envoy proxies run in the region's proxy-only subnet (made by the
# network, targets/gcp/access.py) and reach the pods from there: MLflow's NetworkPolicy admits it. A Gateway is
# the same load balancer through GKE's Gateway controller, class gke-l7-rilb; that controller checks backends on
# "/" unless a HealthCheckPolicy (networking.gke.io/v1) names the path, and MLflow answers 401 there (basic auth).
# cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources. Checked 2026-12-02.
MLFLOW_ACCESS = MlflowAccess(
    load_balancer_annotations={"networking.gke.io/load-balancer-type": "Internal"},
    ingress_annotations={"kubernetes.io/ingress.class": "gce-internal"},
    ingress_class=None,
    proxy_cidrs=(RESERVED_RANGES[PROXY_ONLY],),
    gateway_class=access.GATEWAY_CLASS,
    backend_policy={"apiVersion": "networking.gke.io/v1", "kind": "HealthCheckPolicy", "spec": {"default": {"config": {
        "type": "HTTP", "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": "/health"}}}}},
)  # fmt: skip

def _labels(spec: Spec) -> dict[str, str]:
    """GCP label values allow only lowercase letters, digits, '-' and '_'."""
    raw = {**spec.tags, "mlstack-project": spec.project, "mlstack-env": spec.env}
    return {_clean_label(k): _clean_label(v) for k, v in sorted(raw.items())}


def _clean_label(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text.lower())[:63]


def node_pool_args(spec: Spec, key: str, pool: NodePool, catalog: Catalog, version: str | None = None) -> NodePoolArgs:
    """A CPU or GPU pool; the catalogue picks machine type and guest accelerator for a GPU count; ``version``: a
    lock's node version."""
    lo, hi = pool.size()
    machine, accelerator_type, count = pool.machine or catalog.default_system_machine["gcp"], None, 0
    if pool.accelerator is not None:
        offer = pool_machine(catalog, pool.accelerator, "gcp", pool.gpus_per_node, pool.machine)
        machine, accelerator_type, count = offer.machine_type, offer.gcp_accelerator_type, offer.count
    placed = multi_node(spec, catalog, key)
    return NodePoolArgs(
        project_id=spec.target.project_id or "",
        location=spec.target.region or "",
        pool_name=key,
        machine_type=machine,
        min_node_count=lo,
        max_node_count=hi,
        accelerator_type=accelerator_type,
        accelerator_count=count,
        accelerator_name=pool.accelerator,
        gpu_driver_version=catalog.versions.gke_gpu_driver_version,
        spot=pool.spot,
        disk_size_gib=pool.disk_size_gib,
        node_labels=dict(sorted(pool.labels.items())),
        # A COMPACT placement is one zone: a multi-node pool names exactly one (a spec rule).
        node_locations=tuple(pool.zones) or None,
        compact_placement=placed,
        gvnic=placed and catalog.gcp_networking(machine).gvnic,
        version=version,
    )


def tpu_pool_args(spec: Spec, key: str, pool: NodePool, catalog: Catalog, version: str | None = None) -> TpuNodePoolArgs:
    """A TPU pool: min and max count whole slices; the topology fixes machine type and nodes per slice."""
    generation = pool.accelerator or ""
    slice_ = catalog.tpu_slice(generation, pool.topology or "")
    zones = catalog.tpus[generation].regions[spec.target.region or ""]
    return TpuNodePoolArgs(
        project_id=spec.target.project_id or "",
        location=spec.target.region or "",
        pool_name=key,
        zone=pool.zones[0] if pool.zones else zones[0],
        machine_type=slice_.machine_type,
        tpu_topology=slice_.topology,
        nodes_per_slice=slice_.nodes,
        min_slices=pool.size()[0],
        max_slices=pool.size()[1],
        accelerator_name=generation,
        spot=pool.spot,
        disk_size_gib=pool.disk_size_gib,
        version=version,
    )


def environment_args(
    spec: Spec, catalog: Catalog, versions: dict[str, str], identities: Identities = Identities(),
    platform: Mapping[str, str] | None = None,
) -> GcpEnvironmentArgs:
    """The whole GCP environment from the spec. ``platform`` (a lock's GKE versions) is honoured only without a
    release channel: with one, GKE upgrades the control plane and the nodes itself (the lock records them)."""
    project, region = spec.target.project_id or "", spec.target.region or ""
    db = spec.tracking.database
    shared = spec.storage.shared
    tpus = {k: p for k, p in spec.node_pools.items() if p.accelerator and catalog.accelerators[p.accelerator].kind == "tpu"}
    pinned = spec.cluster.release_channel == "UNSPECIFIED"
    locked = dict(platform or {}) if pinned else {}
    return GcpEnvironmentArgs(
        mlflow_namespace=identities.mlflow_namespace,
        mlflow_service_account=identities.mlflow_service_account,
        project_id=project,
        region=region,
        labels=_labels(spec),
        protect=spec.protected,
        network=NetworkArgs(
            project_id=project, region=region, subnet_cidr=_subnet(spec.network.cidr),
            # the ranges the spec rules keep network.cidr clear of (one definition: the pack's RESERVED_RANGES)
            pods_cidr=RESERVED_RANGES["pods"], services_cidr=RESERVED_RANGES["services"],
            private_services_cidr=RESERVED_RANGES["private services access"],
            proxy_only_cidr=access.proxy_only_cidr(spec),
        ),
        cluster=ClusterArgs(
            project_id=project,
            region=region,
            cluster_name=spec.prefix,
            endpoint=spec.cluster.endpoint,
            authorized_cidrs=tuple(spec.cluster.allowed_cidrs),
            release_channel=None if pinned else spec.cluster.release_channel,  # type: ignore[arg-type]
            kubernetes_version=locked.get("control_plane") or versions["kubernetes"],
            master_ipv4_cidr_block=RESERVED_RANGES["control plane"],
            gateway_api=access.gateway_api(spec),
            # GKE collects the GPUs' DCGM metrics itself: no exporter of mlstack's runs there.
            gpu_metrics=any(p.accelerator and catalog.accelerators[p.accelerator].kind == "gpu" for p in spec.node_pools.values()),
        ),
        node_pools={
            k: node_pool_args(spec, k, p, catalog, locked.get(f"node_pool/{k}"))
            for k, p in sorted(spec.node_pools.items()) if k not in tpus
        },
        tpu_pools={k: tpu_pool_args(spec, k, p, catalog, locked.get(f"node_pool/{k}")) for k, p in sorted(tpus.items())},
        shared_file_system=SharedFileSystemArgs(
            project_id=project, location=filestore_location(spec), tier=shared.tier or "BASIC_HDD", capacity_gib=shared.size_gib
        )
        if shared
        else None,
        buckets={k: BucketArgs(project_id=project, location=region.upper(), versioning=b.versioning) for k, b in sorted(spec.storage.buckets.items())},
        scratch_file_system=scratch.file_system_args(spec, catalog),
        registry=ContainerRegistryArgs(
            project_id=project, location=region, repositories=tuple(spec.registry.repositories),
            delete_untagged_after_days=spec.registry.untagged_expiry_days,
        )
        if spec.registry.repositories
        else None,
        tracking_database=TrackingDatabaseArgs(
            project_id=project,
            region=region,
            database_version=f"POSTGRES_{versions['postgres'].split('.')[0]}",
            tier=catalog.database_sizes[db.size]["gcp"],
            high_availability=db.high_availability,
            disk_size_gib=db.storage_gib,
            backup_retention_count=db.backup_retention_days,
        ),
        tracking_bucket=spec.tracking.artifacts_bucket,
        ci_trust=CiTrustArgs(
            project_id=project, provider=spec.ci.provider, repository=spec.ci.repository, refs=tuple(spec.ci.refs),
            gitlab_url=spec.ci.gitlab_url, pool_id=f"{spec.prefix}-ci"[:32],
        )
        if spec.ci and spec.ci.trusted
        else None,
        audit=AuditArgs(project_id=project, retention_days=spec.audit.retention_days),
    )


def filestore_location(spec: Spec) -> str:
    """Filestore BASIC and ZONAL tiers are zonal: the first zone of the region (a, by GCP's naming)."""
    tier = (spec.storage.shared.tier if spec.storage.shared else None) or "BASIC_HDD"
    return spec.target.region or "" if tier in ("REGIONAL", "ENTERPRISE") else f"{spec.target.region}-a"


def _subnet(cidr: str) -> str:
    """The node subnet: the first /20 of the spec's network CIDR (pods and services take their own ranges)."""
    base, _, bits = cidr.partition("/")
    return f"{base}/{max(int(bits), 20)}"


def provision(
    spec: Spec, catalog: Catalog, versions: dict[str, str], identities: Identities, platform: Mapping[str, str] | None = None
) -> Bindings:
    """Registers the GCP environment and the NFS backend on its Filestore; returns the platform bindings."""
    env = GcpEnvironment(spec.prefix, environment_args(spec, catalog, versions, identities, platform))
    provider = cluster_provider(spec.prefix, kubeconfig=env.kubeconfig, depends_on=[env])
    charts, images = catalog.versions.charts, catalog.versions.images
    nfs = NfsBackend(
        f"{spec.prefix}-shared-nfs",
        NfsBackendArgs(
            server=env.shared_ip_address,  # type: ignore[arg-type]
            path=f"/{env.shared_share_name}",
            chart_version=charts["nfs-subdir-external-provisioner"].version,
            chart_repository=charts["nfs-subdir-external-provisioner"].repo,
            image=images["nfs-subdir-external-provisioner"].ref,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    outputs = {
        "cluster_name": env.cluster_name,
        "kubeconfig": env.kubeconfig,
        "bucket_names": env.bucket_names,
        "registry_urls": env.registry_urls,
        "tracking_artifacts_uri": env.tracking_artifacts_uri,
        "ci_workload_identity_provider": env.ci_provider_name,
        "ci_service_account_email": env.ci_service_account_email,
        "platform_versions": env.platform_versions,
    }
    return Bindings(
        identities=identities,
        # GKE installs its own device plugin with the driver (gpu_driver_installation_config).
        gpu_device_plugin=False,
        gpu_telemetry=False,  # GKE's managed DCGM collection (ClusterArgs.gpu_metrics)
        provider=provider,
        storage_provisioner=nfs.provisioner_name,
        storage_parameters=nfs.storage_parameters,
        artifacts_uri=env.tracking_artifacts_uri,  # type: ignore[arg-type]
        database_uri=env.tracking_database_uri,  # type: ignore[arg-type]
        mlflow_annotations={"iam.gke.io/gcp-service-account": env.mlflow_gsa_email},
        mlflow_access=MLFLOW_ACCESS,
        # GKE names a Google identity by its e-mail; the CI's Roles are bound to that user.
        ci_users=[env.ci_service_account_email] if env.ci_service_account_email is not None else [],
        registry_host=f"{spec.target.region}-docker.pkg.dev",
        scratch_source=scratch.volume_source(env),
        outputs=outputs,
        depends_on=[env, nfs],
    )


def locked_problems(spec: Spec, catalog: Catalog, versions: dict[str, str], platform: Mapping[str, str]) -> list[str]:
    """Why GKE cannot deploy the lock's ``platform`` versions now, asked through the engine-versions invoke before
    any resource is registered (``up --locked``; the program stops on a problem, so nothing changes).

    Only a cluster without a release channel is pinned to its lock's versions (``cluster.release_channel:
    UNSPECIFIED``); with a channel GKE moves them itself and the lock records what ran.
    """
    if spec.cluster.release_channel != "UNSPECIFIED" or not platform:
        return []
    import pulumi_gcp as gcp

    minor = versions["kubernetes"]
    offered = gcp.container.get_engine_versions(location=spec.target.region, project=spec.target.project_id,
                                                version_prefix=f"{minor}.")
    again = f"run `mlstack up --env {spec.env}` without --locked to lock a version GKE offers now"
    problems = []
    master = platform.get("control_plane")
    if master and master not in offered.valid_master_versions:
        problems.append(f"control_plane: GKE no longer offers master version {master} in {spec.target.region} "
                        f"(newest {minor}: {offered.latest_master_version}); {again}")
    for key in sorted(spec.node_pools):
        version = platform.get(f"node_pool/{key}")
        if version and version not in offered.valid_node_versions:
            problems.append(f"node_pool/{key}: GKE no longer offers node version {version} in {spec.target.region} "
                            f"(newest {minor}: {offered.latest_node_version}); {again}")
    return problems
