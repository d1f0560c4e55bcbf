"""GPU support for a cluster: the NVIDIA device plugin (or, on-prem, the NVIDIA GPU operator) as a Helm release.

Installed once per cluster. The device plugin is a DaemonSet that advertises ``nvidia.com/gpu`` on each GPU
node; it tolerates the GPU taint (``nvidia.com/gpu``) and is scheduled only on nodes labelled
``mlstack.io/accelerator`` (mlstack's GPU pools), so no plugin pod lands on CPU nodes.

On clouds the node images carry the NVIDIA driver and container toolkit (EKS GPU AMI, GKE driver
installation), so the device plugin is all that is missing. On-prem nodes may lack the toolkit, so
``gpu_operator=True`` installs the GPU operator instead (toolkit, device plugin, feature discovery; the
driver too when ``install_driver``).

The namespace is labelled Pod Security "privileged": the plugin mounts the kubelet's device-plugin socket
directory (a hostPath) and the operator runs privileged driver/toolkit containers, which "restricted" and
"baseline" forbid. Nothing else runs there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:GpuSupport"
ACCELERATOR_LABEL = "mlstack.io/accelerator"
GPU_TAINT_KEY = "nvidia.com/gpu"

_DEFAULTS = {
    # mode -> (chart, repository, namespace)
    False: ("nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "nvidia-device-plugin"),
    True: ("gpu-operator", "https://helm.ngc.nvidia.com/nvidia", "gpu-operator"),
}


@dataclass(frozen=True, kw_only=True)
class GpuSupportArgs:
    """What to install for GPUs.

    Attributes:
        chart_version: the chart version, pinned by the catalogue (e.g. "0.17.0" for the device plugin,
            "v24.9.0" for the operator). Required: no floating versions.
        gpu_operator: install the NVIDIA GPU operator instead of the bare device plugin (on-prem, where
            nodes may lack the container toolkit). Default False.
        chart: chart name; default "nvidia-device-plugin", or "gpu-operator" with ``gpu_operator``.
        repository: Helm repository URL; default NVIDIA's repository for the chosen chart.
        namespace: namespace of the release, created here; default "nvidia-device-plugin" or "gpu-operator".
        install_driver: with ``gpu_operator``, let it install the NVIDIA driver on the nodes. Default False:
            on-prem GPU nodes usually carry a driver their administrators manage.
        accelerator_label: node label key that marks GPU pools; plugin pods need it to exist.
            Default "mlstack.io/accelerator".
        taint_key: key of the NoSchedule taint on GPU nodes, tolerated by the plugin. Default "nvidia.com/gpu".
        plugin_cpu_request: CPU request of the device plugin container (the operator's device plugin too).
            Default "50m": it only watches the GPUs and answers the kubelet.
        plugin_memory_request: its memory request. Default "64Mi".
        plugin_memory_limit: its memory limit. Default "128Mi". No CPU limit: a throttled plugin answers the
            kubelet late, and the CPU request already reserves its share on every GPU node.
        extra_values: further chart values, merged over mlstack's at the top level (a key given here
            replaces mlstack's whole value of that key). Default none.
    """

    chart_version: str
    gpu_operator: bool = False
    chart: str | None = None
    repository: str | None = None
    namespace: str | None = None
    install_driver: bool = False
    accelerator_label: str = ACCELERATOR_LABEL
    taint_key: str = GPU_TAINT_KEY
    plugin_cpu_request: str = "50m"
    plugin_memory_request: str = "64Mi"
    plugin_memory_limit: str = "128Mi"
    extra_values: Mapping[str, Any] = field(default_factory=dict)


def _gpu_tolerations(taint_key: str) -> list[dict[str, str]]:
    return [
        {"key": taint_key, "operator": "Exists", "effect": "NoSchedule"},
        # Scheduled on nodes that only admit critical add-ons during start-up, too.
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
    ]


def plugin_resources(args: GpuSupportArgs) -> dict[str, dict[str, str]]:
    """Requests and limits of the device plugin container (chart value ``resources``)."""
    return {
        "requests": {"cpu": args.plugin_cpu_request, "memory": args.plugin_memory_request},
        "limits": {"memory": args.plugin_memory_limit},
    }


def device_plugin_values(args: GpuSupportArgs) -> dict[str, Any]:
    """Chart values of the device plugin: tolerate the GPU taint, run only on mlstack GPU pools."""
    values: dict[str, Any] = {
        "tolerations": _gpu_tolerations(args.taint_key),
        # Replaces the chart's default affinity (NFD labels, which mlstack does not install).
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": args.accelerator_label, "operator": "Exists"}]}]
                }
            }
        },
        "priorityClassName": "system-node-critical",
        # The chart's top-level ``resources`` is the plugin container's (empty by default: BestEffort).
        "resources": plugin_resources(args),
    }
    values.update(args.extra_values)
    return values


def gpu_operator_values(args: GpuSupportArgs) -> dict[str, Any]:
    """Chart values of the GPU operator: driver as asked, toolkit on, operands tolerate the GPU taint."""
    values: dict[str, Any] = {
        "driver": {"enabled": args.install_driver},
        "toolkit": {"enabled": True},
        # The operand with a plain ``resources`` key that mirrors the bare plugin; Helm merges this map into
        # the chart's ``devicePlugin`` defaults. The operator's own Deployment has requests and limits in the
        # chart already (``operator.resources``); the driver and toolkit installers' needs vary with the
        # node image, so they keep the chart's.
        "devicePlugin": {"resources": plugin_resources(args)},
        "daemonsets": {
            "tolerations": _gpu_tolerations(args.taint_key),
            "priorityClassName": "system-node-critical",
        },
    }
    values.update(args.extra_values)
    return values


class GpuSupport(pulumi.ComponentResource):
    """The NVIDIA device plugin (or GPU operator) Helm release in its own namespace.

    Attributes:
        namespace: the namespace's name.
        release_name: the Helm release's name.
        chart: the chart installed.
        chart_version: its pinned version.
    """

    def __init__(self, name: str, args: GpuSupportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        chart, repository, namespace = _DEFAULTS[args.gpu_operator]
        chart = args.chart or chart
        repository = args.repository or repository
        namespace = args.namespace or namespace

        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=namespace,
                labels={
                    **MLSTACK_LABELS(chart, "gpu-support"),
                    # hostPath to the kubelet's device-plugin socket: needs "privileged" (module docstring).
                    "pod-security.kubernetes.io/enforce": "privileged",
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        values = gpu_operator_values(args) if args.gpu_operator else device_plugin_values(args)
        release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=chart,
                chart=chart,
                version=args.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repository),
                namespace=ns.metadata.name,
                values=values,
                atomic=True,
                cleanup_on_fail=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release_name: pulumi.Output[str] = release.name.apply(lambda n: n or chart)
        self.chart = chart
        self.chart_version = args.chart_version
        self.register_outputs(
            {
                "chart": self.chart,
                "chart_version": self.chart_version,
                "namespace": self.namespace,
                "release_name": self.release_name,
            }
        )
