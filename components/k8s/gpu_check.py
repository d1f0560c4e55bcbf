"""The verification's GPU check, one Job per GPU pool: ``CHECK gpu[<pool>]``.

Each GPU pool gets its own suspended Job (``mlstack-verify-gpu-<pool>``) beside the main verification Job:
one pod on that pool's nodes (the pool's node labels, as its Kueue flavor selects them, and a toleration for
its taint) that asks for every device of one node and runs the script's :data:`.verify_script.POOL_CHECKS`
(``nvidia-smi`` must list exactly that many GPUs: the driver, the device plugin and the node's devices all
work). ``mlstack verify`` starts a run of every such Job with the main one and waits for all.

The pod needs nothing else: no MLflow credentials, no shared volume, no API token; it mounts only the
script's ConfigMap and a ``/tmp``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi_kubernetes as k8s

from . import hardening as h
from .verify_script import POOL_CHECKS

#: The GPU Job of a pool is ``<main Job>-gpu-<pool>``.
JOB_INFIX = "-gpu-"


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


def pool_pod(pool: str, check: GpuPoolCheckArgs, *, image: str, script_config_map: k8s.core.v1.ConfigMap,
             cpu: str, memory: str) -> k8s.core.v1.PodSpecArgs:
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
                env=[k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in env.items()],
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
