"""The verification's GPU check, one Job per GPU pool: ``CHECK gpu[<pool>]``.

Each GPU pool gets its own suspended Job (``mlstack-verify-gpu-<pool>``) beside the main verification Job:
one pod on that pool's nodes (the pool's node labels, as its Kueue flavor selects them, and a toleration for
its taint) that asks for every device of one node and runs the script's :data:`.verify_script.POOL_CHECKS`
(``nvidia-smi`` must list exactly that many GPUs: the driver, the device plugin and the node's devices all
work). ``mlstack verify`` starts a run of every such Job with the main one and waits for all.

The same pod then runs ``CHECK gpu-metrics[<pool>]``: a DCGM series (:attr:`GpuMetricsCheckArgs.metric`,
``DCGM_FI_DEV_GPU_UTIL``) must be exported for the pod's own node. It reads the exporter *on its node*: the
telemetry's node-local Service (``internalTrafficPolicy: Local``, so kube-proxy routes the pod only to the
exporter on the same node) and the node's name from the downward API (``spec.nodeName``), which the exporter
writes into each series' ``Hostname`` label (the chart sets its ``NODE_NAME`` the same way). Where the platform
runs no exporter (GKE's managed DCGM collection), the check says it skipped and why.

The pod needs nothing else: no MLflow credentials, no shared volume, no API token; it mounts only the
script's ConfigMap and a ``/tmp``. Its egress is DNS and the exporter's port only (:func:`egress_policy`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi_kubernetes as k8s

from . import hardening as h
from ..contract import POOL_LABEL
from .verify_script import POOL_CHECKS

#: The GPU Job of a pool is ``<main Job>-gpu-<pool>``.
JOB_INFIX = "-gpu-"
#: The NetworkPolicy of the GPU Jobs' pods (egress: DNS, and the node's exporter).
EGRESS_POLICY = "mlstack-verify-gpu-egress"


@dataclass(frozen=True, kw_only=True)
class GpuMetricsCheckArgs:
    """Where the ``gpu-metrics`` check reads its node's DCGM exporter (set by the Platform from its telemetry).

    Attributes:
        url: the exporter's ``/metrics`` through its node-local Service.
        metric: the series that must be exported for the pod's node, e.g. ``DCGM_FI_DEV_GPU_UTIL``.
        namespace: the exporter's namespace (the egress policy's peer).
        pod_labels: labels of the exporter's pods (the egress policy's peer).
        port: the exporter's port (the egress policy's port).
        timeout_seconds: how long the check retries (an exporter on a node that just scaled up may not be
            ready yet); 180.
    """

    url: str
    metric: str
    namespace: str
    pod_labels: Mapping[str, str]
    port: int
    timeout_seconds: int = 180


@dataclass(frozen=True, kw_only=True)
class GpuPoolCheckArgs:
    """Where one GPU pool's check runs and what it asks for.

    Attributes:
        node_labels: labels that select the pool's nodes (its ``mlstack.io/pool`` label; on-prem its selector).
        tolerations: tolerations for the pool's taints, as Kubernetes toleration maps; by default one for
            ``nvidia.com/gpu`` (``Exists``, ``NoSchedule``).
        resource: the extended resource the pool's device plugin advertises; "nvidia.com/gpu".
        devices: devices the pod asks for, and that ``nvidia-smi`` must list: one node's, e.g. 8; 1.
    """

    node_labels: Mapping[str, str]
    tolerations: Sequence[Mapping[str, str]] = ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},)
    resource: str = "nvidia.com/gpu"
    devices: int = 1


def job_name(main_job: str, pool: str) -> str:
    """The name of ``pool``'s GPU Job beside the main Job ``main_job``."""
    return f"{main_job}{JOB_INFIX}{pool}"


def metrics_env(metrics: GpuMetricsCheckArgs | None, skip_reason: str) -> list[k8s.core.v1.EnvVarArgs]:
    """The ``gpu-metrics`` check's settings (the node's name from the downward API), or why it skips."""
    if metrics is None:
        return [k8s.core.v1.EnvVarArgs(name="MLSTACK_GPU_METRICS_SKIP", value=skip_reason)]
    values = {"MLSTACK_GPU_METRICS_URL": metrics.url, "MLSTACK_GPU_METRIC": metrics.metric,
              "MLSTACK_GPU_METRICS_TIMEOUT": str(metrics.timeout_seconds)}
    node = k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path="spec.nodeName"))
    return [*(k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in values.items()),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_NODE_NAME", value_from=node)]


def egress_policy(job_labels: Mapping[str, str], metrics: GpuMetricsCheckArgs | None) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """The GPU Jobs' pods (the verification's labels and a pool label) reach DNS in ``kube-system`` and, with
    ``metrics``, the exporter's pods on its port; nothing else (their checks need no API server, no MLflow)."""

    def peer(namespace: str, pods: Mapping[str, str] | None = None) -> k8s.networking.v1.NetworkPolicyPeerArgs:
        return k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": namespace}),
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(pods)) if pods else None,
        )

    def port(number: int, protocol: str = "TCP") -> k8s.networking.v1.NetworkPolicyPortArgs:
        return k8s.networking.v1.NetworkPolicyPortArgs(port=number, protocol=protocol)

    egress = [k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[peer("kube-system")], ports=[port(53, "UDP"), port(53)])]
    if metrics is not None:
        egress.append(k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[peer(metrics.namespace, metrics.pod_labels)],
                                                                    ports=[port(metrics.port)]))
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels=dict(job_labels),
            match_expressions=[k8s.meta.v1.LabelSelectorRequirementArgs(key=POOL_LABEL, operator="Exists")],
        ),
        policy_types=["Egress"],
        egress=egress,
    )


def pool_pod(pool: str, check: GpuPoolCheckArgs, *, image: str, script_config_map: k8s.core.v1.ConfigMap,
             cpu: str, memory: str, metrics: GpuMetricsCheckArgs | None = None,
             metrics_skip_reason: str = "the platform runs no DCGM exporter") -> k8s.core.v1.PodSpecArgs:
    """The pod of ``pool``'s GPU Job: the script's pool checks on one of the pool's nodes, every device of it."""
    if check.devices < 1:
        raise ValueError(f"GPU check of pool {pool!r}: devices must be at least 1, not {check.devices}")
    tmp, tmp_mount = h.tmp_volume()
    env = {
        "HOME": "/tmp",
        "MLSTACK_CHECKS": ",".join(POOL_CHECKS),
        "MLSTACK_POOL": pool,
        "MLSTACK_EXPECT_GPU": "1",
        "MLSTACK_GPU_DEVICES": str(check.devices),
        "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
    }
    return k8s.core.v1.PodSpecArgs(
        restart_policy="Never",
        automount_service_account_token=False,
        security_context=h.pod_security_context(),
        node_selector=dict(check.node_labels),
        tolerations=[
            k8s.core.v1.TolerationArgs(key=t.get("key"), operator=t.get("operator"), value=t.get("value"), effect=t.get("effect"))
            for t in check.tolerations
        ],
        containers=[
            k8s.core.v1.ContainerArgs(
                name="verify",
                image=image,
                command=["python", "/opt/mlstack/verify.py"],
                env=[*(k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()), *metrics_env(metrics, metrics_skip_reason)],
                resources=h.resources(cpu, memory, extra_limits={check.resource: str(check.devices)}),
                security_context=h.container_security_context(),
                volume_mounts=[tmp_mount, k8s.core.v1.VolumeMountArgs(name="script", mount_path="/opt/mlstack", read_only=True)],
            )
        ],
        volumes=[
            tmp,
            k8s.core.v1.VolumeArgs(
                name="script",
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=script_config_map.metadata.name, default_mode=0o444),
            ),
        ],
    )
