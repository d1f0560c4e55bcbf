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

from ..contract import ACCELERATOR_LABEL, GPU_DRIVER_OS_TAG
from . import require_provider
from .hardening import MLSTACK_LABELS, pinned_image
from .operator_release import image_values

TOKEN = "mlstack:k8s:GpuSupport"
GPU_TAINT_KEY = "nvidia.com/gpu"
#: The GPU operator chart's values that name an image as ``{repository, image, version}`` (chart v26.7.0,
#: deployments/gpu-operator/values.yaml): the operator's own Deployment and each operand mlstack's values let it
#: deploy (validator, driver and its manager, toolkit, device plugin, GPU feature discovery, DCGM exporter, MIG
#: manager). The sandbox operands (vGPU, VFIO, Kata, CC manager) run only with ``sandboxWorkloads.enabled``, and
#: standalone DCGM, the node status exporter, GDS and GDRCopy are off in the chart: none is deployed.
OPERATOR_IMAGE_VALUES = ("operator", "validator", "driver", "driver.manager", "toolkit", "devicePlugin", "gfd",
                         "dcgmExporter", "migManager")

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
        image: the device plugin's image, ``repository:tag`` (the bare plugin only): set, it is in the plan and a
            lock pins it by digest; None (the default) leaves the chart's own (``v<chart version>``).
        operator_images: with ``gpu_operator``, the image of each of :data:`OPERATOR_IMAGE_VALUES` to set, as
            ``registry/path/image:tag``, keyed by its value path (``"driver.manager"``): set, each is in the plan
            and a lock pins it by digest. Default none (the chart's own). The driver's is its version tag without
            the OS (``nvcr.io/nvidia/driver:595.91.07``): the operator appends the node's OS itself.
        driver_os: the GPU nodes' OS as the operator names it (``ubuntu24.04``, ``rhel9``): the driver image the
            operator pulls is ``<driver tag>-<driver_os>``. Required with an ``operator_images`` driver that is
            installed (``install_driver``), so that the plan names that per-OS image.
        nfd_image: with ``gpu_operator``, the image of the Node Feature Discovery subchart the operator chart
            installs (its ``node-feature-discovery.image``), ``repository:tag``. Default None (the chart's own).
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
    image: str | None = None
    operator_images: Mapping[str, str] = field(default_factory=dict)
    driver_os: str | None = None
    nfd_image: str | None = None


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
    if args.image:
        values["image"] = image_values(args.image)
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
    for path, image in args.operator_images.items():
        if path not in OPERATOR_IMAGE_VALUES:
            raise ValueError(f"GPU operator image {path!r}: not one of {', '.join(OPERATOR_IMAGE_VALUES)}")
        if path == "driver" and not args.install_driver:
            continue  # no driver DaemonSet: its image is not deployed, so not named (nor locked)
        target = values
        for key in path.split("."):
            target = target.setdefault(key, {})
        target.update(operator_image_values(image, args.driver_os if path == "driver" else None, path))
    if args.nfd_image:
        values["node-feature-discovery"] = {"image": image_values(args.nfd_image)}
    values.update(args.extra_values)
    return values


def operator_image_values(image: str, os_tag: str | None = None, what: str = "operand") -> dict[str, str]:
    """``{repository, image, version}`` of ``registry/path/image:tag``, the shape the GPU operator chart takes.

    ``os_tag`` (the driver's only) is recorded beside them under ``GPU_DRIVER_OS_TAG`` (components/contract.py):
    the operator appends ``-<OS>`` to the driver's tag unless the version holds a digest (``resolveDriverTag``,
    NVIDIA/gpu-operator controllers/object_controls.go at v26.7.0, 10ee5b3), so the plan names
    ``<tag>-<OS>``, the image the nodes pull, and a lock pins that digest.

    Raises:
        ValueError: the image is not pinned, has no repository path, or the driver has no OS.
    """
    repository, tag = pinned_image(image, f"GPU operator {what} image")
    registry, _, name = repository.rpartition("/")
    if not registry:
        raise ValueError(f"GPU operator {what} image {image!r} must be 'registry/path/image:tag'")
    values = {"repository": registry, "image": name, "version": tag}
    if what == "driver":
        if not os_tag:
            raise ValueError("GPU operator driver image needs driver_os: the operator appends the nodes' OS to its tag")
        values[GPU_DRIVER_OS_TAG] = os_tag
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
