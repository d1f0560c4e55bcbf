"""The platform layer, identical on every target: spec + Bindings -> PlatformArgs."""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.k8s.bucket_mounts import BucketMountsArgs, BucketVolumeArgs
from mlstack.components.k8s.ci_access import CiAccessArgs
from mlstack.components.k8s.gpu_dashboard import GpuDashboardArgs
from mlstack.components.k8s.gpu_support import GpuSupportArgs
from mlstack.components.k8s.gpu_telemetry import GpuTelemetryArgs
from mlstack.components.k8s.platform import VERIFY_USER, Platform, PlatformArgs
from mlstack.components.k8s.scratch_storage import ScratchStorageArgs
from mlstack.components.k8s.shared_storage import SharedStorageArgs
from mlstack.components.k8s.team import TeamArgs
from mlstack.components.k8s.tracking_access import TrackingAccessArgs
from mlstack.components.k8s.tracking_server import TrackingServerArgs
from mlstack.components.k8s.verify_job import GpuPoolCheckArgs, VerifyJobArgs
from mlstack.engine.plan import dashboard
from mlstack.engine.plan.workloads import flavors, nccl_check, team_quota_fields, workloads_args
from mlstack.targets.bindings import Bindings, Identities, cluster_provider
from mlstack.spec import Spec
from mlstack.spec import mounts
from mlstack.spec import scratch as scratch_spec
from mlstack.spec.quotas import accelerator_pools


#: What ``CHECK gpu-metrics`` says where the cloud collects GPU metrics itself (no exporter of mlstack's runs).
NO_EXPORTER = ("the cloud collects GPU metrics itself (its managed DCGM collection, no exporter of mlstack's to read "
               "on the node): query them in the cloud's managed Prometheus (docs/telemetry.md)")


def mlflow_image(spec: Spec, catalog: Catalog, versions: dict[str, str]) -> str:
    """The spec's image, or the official MLflow image's `-full` variant (the server needs mlflow[auth],
    psycopg 3, boto3 and google-cloud-storage for basic auth, Postgres, S3 and GCS): the catalogue's pin when
    the spec keeps the catalogue's MLflow version, else the same variant of the spec's version."""
    if spec.tracking.image:
        return spec.tracking.image
    pin = catalog.versions.images["mlflow"]
    return pin.ref if versions["mlflow"] == catalog.versions.mlflow else f"{pin.repository}:v{versions['mlflow']}-full"


def identities(spec: Spec) -> Identities:
    """The platform's identities (the contract's names): the one definition the target binds and the platform
    layer creates. The spec does not choose them today; this is where it would."""
    return Identities()


def device_plugin_image(catalog: Catalog, version: str) -> str:
    """The device plugin chart's own image, ``v<chart version>``: the catalogue's pin at the catalogue's version."""
    pin = catalog.versions.images["nvidia-device-plugin"]
    return pin.ref if version == catalog.versions.charts["nvidia-device-plugin"].version else f"{pin.repository}:v{version}"


#: The GPU operator chart's image values (components/k8s/gpu_support.py OPERATOR_IMAGE_VALUES) and the catalogue
#: image each is set from: the validator is the operator's image, GPU feature discovery the device plugin's (as in
#: the chart's own values at the pinned version). Not its DCGM exporter: the platform runs its own on every
#: target (GpuTelemetry), and two exporters on one GPU would compete for DCGM's profiling metrics.
GPU_OPERATOR_IMAGES = {
    "operator": "gpu-operator", "validator": "gpu-operator", "driver": "gpu-operator-driver",
    "driver.manager": "gpu-operator-driver-manager", "toolkit": "gpu-operator-toolkit",
    "devicePlugin": "gpu-operator-device-plugin", "gfd": "gpu-operator-device-plugin",
    "migManager": "gpu-operator-mig-manager",
}


def gpu_operator_args(spec: Spec, catalog: Catalog) -> GpuSupportArgs:
    """The GPU operator at the catalogue's chart, with the operator's and every deployed operand's image set from
    the catalogue (so the plan names each and a lock pins it), the driver's for the spec's node OS."""
    chart, images = catalog.versions.charts["gpu-operator"], catalog.versions.images
    return GpuSupportArgs(
        chart_version=chart.version, chart=chart.chart, repository=chart.repo, gpu_operator=True,
        install_driver=True,  # on-prem nodes may lack a driver: the spec's gpu_operator installs one
        operator_images={path: images[key].ref for path, key in GPU_OPERATOR_IMAGES.items()},
        driver_os=spec.cluster.gpu_node_os, nfd_image=images["gpu-operator-nfd"].ref,
        extra_values={"dcgmExporter": {"enabled": False}},  # the platform's own exporter runs (telemetry_args)
    )


def gpu_accelerators(spec: Spec, catalog: Catalog) -> list[str]:
    """The NVIDIA accelerators of the spec's pools, sorted."""
    return sorted(
        {p.accelerator for p in spec.node_pools.values() if p.accelerator and catalog.accelerators[p.accelerator].kind == "gpu"}
    )


def telemetry_args(catalog: Catalog) -> GpuTelemetryArgs:
    """The DCGM exporter at the catalogue's pinned chart, with the chart's own image set from its pin."""
    chart = catalog.versions.charts["dcgm-exporter"]
    return GpuTelemetryArgs(chart_version=chart.version, chart_repository=chart.repo,
                            image=catalog.versions.images["dcgm-exporter"].ref)


def gpu_pool_checks(spec: Spec, catalog: Catalog) -> dict[str, GpuPoolCheckArgs]:
    """The verification's GPU check of every GPU pool: on the nodes and with the tolerations of the pool's Kueue
    flavor (one definition of where a pool's pods land), asking for one node's devices."""
    placement = flavors(spec, catalog)
    return {
        name: GpuPoolCheckArgs(node_labels=placement[name].node_labels, tolerations=tuple(placement[name].tolerations),
                               resource=cap.resource, devices=cap.per_node)
        for name, cap in accelerator_pools(spec, catalog).items()
        if cap.kind == "gpu"
    }


def platform_args(
    spec: Spec, catalog: Catalog, versions: dict[str, str], bindings: Bindings, stamp: Mapping[str, str] | None = None
) -> PlatformArgs:
    """Everything on the cluster. Only ``bindings`` differs between targets; its ``identities`` name the
    ServiceAccounts created here, the ones the target bound."""
    ids = bindings.identities
    gpus = gpu_accelerators(spec, catalog)
    shared = spec.storage.shared
    assert shared is not None  # the spec rules require it
    image = mlflow_image(spec, catalog, versions)
    gpu = None
    if gpus and bindings.gpu_device_plugin and spec.cluster.gpu_operator:
        gpu = gpu_operator_args(spec, catalog)
    elif gpus and bindings.gpu_device_plugin:
        chart = catalog.versions.charts["nvidia-device-plugin"]
        gpu = GpuSupportArgs(chart_version=versions["gpu_device_plugin"], chart=chart.chart, repository=chart.repo,
                             image=device_plugin_image(catalog, versions["gpu_device_plugin"]))
    workloads = workloads_args(spec, catalog, bindings.node_fabric)
    nccl, nccl_skip = nccl_check(spec, catalog, bindings.node_fabric)
    queues = workloads.queues if workloads else None
    return PlatformArgs(
        teams={
            name: TeamArgs(
                group=team.group,
                users=tuple(team.members) if bindings.team_members_as_users else (),
                # With Kueue the ResourceQuota is the ceiling Kueue's quotas reach: nominal + borrowing limit.
                **team_quota_fields(spec, catalog, name, queues),  # type: ignore[arg-type]
                egress_cidrs=tuple(team.egress_cidrs),
                protect=spec.protected,
                environment=dict(stamp or {}),
            )
            for name, team in sorted(spec.teams.items())
        },
        gpu=gpu,
        workloads=workloads,
        storage=SharedStorageArgs(
            provisioner=bindings.storage_provisioner,
            parameters=bindings.storage_parameters,
            size_gib=shared.size_gib,
            protect=spec.protected,
        ),
        telemetry=telemetry_args(catalog) if gpus and bindings.gpu_telemetry else None,
        dashboard=GpuDashboardArgs(dashboard_json=dashboard.render()) if gpus else None,
        scratch=ScratchStorageArgs(size_gib=scratch_spec.size_gib(spec) or 0, protect=spec.protected, **bindings.scratch_source)
        if bindings.scratch_source is not None
        else None,
        bucket_mounts=bucket_mounts_args(spec, bindings),
        tracking=TrackingServerArgs(
            image=image,
            database_uri=bindings.database_uri,
            # From MLflow 3.6 the auth tables keep their own alembic version table: one database serves both.
            auth_database_uri=bindings.database_uri,
            artifacts_uri=bindings.artifacts_uri,
            replicas=spec.tracking.replicas,
            namespace=ids.mlflow_namespace,
            service_account=ids.mlflow_service_account,
            service_account_annotations=bindings.mlflow_annotations,
            env=bindings.mlflow_env,
            secret_env=bindings.mlflow_secret_env,
            python_hooks=bindings.mlflow_python_hooks,
            job_execution=spec.tracking.job_execution,
            access=tracking_access(spec, bindings),
            allowed_hosts=(spec.tracking.access.host,) if spec.tracking.access and spec.tracking.access.host else (),
            # A team's MLflow user is named as the team (Platform); a raised rotation replaces its password.
            password_rotations=password_rotations(spec),
            admin_password_rotation=spec.tracking.password_rotation.admin,
            # The job runner's processes need about 1.4 GiB more (TrackingServerArgs.memory_limit).
            **({"memory": "2Gi", "memory_limit": "3Gi"} if spec.tracking.job_execution else {}),
        ),
        verify=VerifyJobArgs(
            image=image, gpu_pools=gpu_pool_checks(spec, catalog), environment=dict(stamp or {}), nccl=nccl,
            **({"nccl_skip_reason": nccl_skip} if nccl_skip else {}),
            # The Platform points the GPU Jobs at its exporter; where the cloud runs its own, they say so.
            **({} if bindings.gpu_telemetry else {"gpu_metrics_skip_reason": NO_EXPORTER}),
        ),
        ci=CiAccessArgs(
            namespaces={team: team for team in spec.ci.teams} if spec.ci.teams else {},
            namespace=ids.ci_namespace,
            service_account_name=ids.ci_service_account,
            service_account_annotations=bindings.ci_annotations,
            groups=tuple(bindings.ci_groups),
            users=tuple(bindings.ci_users),
            issue_token=bindings.ci_issue_token,
        )
        if spec.ci and spec.ci.trusted
        else None,
    )


def bucket_mounts_args(spec: Spec, bindings: Bindings) -> BucketMountsArgs | None:
    """Every team's claim of every bucket mount, with the volume source and identity the target bound."""
    scopes = mounts.scopes(spec)
    if not scopes:
        return None
    return BucketMountsArgs(
        volumes=[BucketVolumeArgs(claim=s.mount, namespace=s.team, read_only=s.read_only,
                                  **bindings.bucket_volumes[f"{s.mount}/{s.team}"]) for s in scopes],
        identities={team: bindings.data_identities.get(team, {}) for team in sorted({s.team for s in scopes})},
        protect=spec.protected,
    )


def password_rotations(spec: Spec) -> dict[str, int]:
    """MLflow user -> its password's rotation counter, where raised: each team's, and the verification Job's user."""
    rotations = {n: t.mlflow_password_rotation for n, t in sorted(spec.teams.items()) if t.mlflow_password_rotation}
    if spec.tracking.password_rotation.verify:
        rotations[VERIFY_USER] = spec.tracking.password_rotation.verify
    return rotations


def provision(
    spec: Spec, catalog: Catalog, versions: dict[str, str], bindings: Bindings, stamp: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Registers the platform layer with an explicit Kubernetes provider; returns its stack outputs. ``stamp``: the
    environment's ``MLSTACK_*`` values, written into each team namespace's ``mlstack-environment`` ConfigMap."""
    provider = bindings.provider or cluster_provider(
        spec.prefix, kubeconfig=bindings.kubeconfig, context=bindings.kube_context, depends_on=bindings.depends_on
    )
    platform = Platform(
        f"{spec.prefix}-platform",
        platform_args(spec, catalog, versions, bindings, stamp),
        opts=pulumi.ResourceOptions(providers=[provider], depends_on=bindings.depends_on or None),
    )
    return {
        "tracking_uri": platform.tracking_uri,
        "mlflow_admin_secret": platform.admin_secret_name,
        "team_namespaces": platform.team_namespaces,
        "storage_class": platform.storage_class_name,
        **({"scratch_storage_class": platform.scratch.storage_class_name} if platform.scratch else {}),
        "verify_job": platform.verify_job_name,
        "verify_namespace": platform.verify_namespace,
        "verify_gpu_jobs": platform.verify_gpu_jobs,
        "ci_service_account": platform.ci_service_account,
    }


LEGACY_CLASS = "kubernetes.io/ingress.class"


def tracking_access(spec: Spec, bindings: Bindings) -> TrackingAccessArgs | None:
    """``tracking.access`` with the target's internal annotations and ingress class (None: in-cluster only)."""
    access = spec.tracking.access
    if access is None:
        return None
    target = bindings.mlflow_access
    lb, ingress = access.mode == "internal-load-balancer", access.mode == "ingress"
    annotations = dict(target.load_balancer_annotations) if lb else {
        # A class the spec names replaces one the target selects by the legacy annotation (GKE's).
        k: v for k, v in target.ingress_annotations.items() if not (access.ingress_class and k == LEGACY_CLASS)
    } if ingress else {}
    if ingress and target.ingress_source_annotation:
        annotations[target.ingress_source_annotation] = ",".join(access.source_cidrs)
    # Behind the target's own Ingress or Gateway the pods see its proxies (GKE's proxy-only subnet), not the laptops.
    own = not access.ingress_class if ingress else (access.gateway_class or target.gateway_class) == target.gateway_class
    proxies = tuple(c for c in target.proxy_cidrs if c not in access.source_cidrs) if not lb and own else ()
    gateway = access.mode == "gateway"
    return TrackingAccessArgs(
        mode=access.mode, source_cidrs=(*access.source_cidrs, *proxies), host=access.host, tls_secret=access.tls_secret,
        ingress_class=(access.ingress_class or target.ingress_class) if ingress else None, annotations=annotations,
        gateway_class=(access.gateway_class or target.gateway_class) if gateway else None,
        backend_policy=target.backend_policy if gateway and own else None,
    )
