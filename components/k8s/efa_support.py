"""The AWS EFA Kubernetes device plugin: advertises ``vpc.amazonaws.com/efa`` on nodes with EFA interfaces.

Installed once per cluster when a pool has EFA (``multi_node``). Its DaemonSet runs only on mlstack's EFA pools
(node label ``mlstack.io/efa: "true"``, set on those pools) and tolerates the accelerator taints. The namespace
is Pod Security "privileged": the plugin mounts the kubelet's device-plugin socket directory (a hostPath) and
the EFA devices, which "restricted" and "baseline" forbid. Nothing else runs there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:EfaSupport"
EFA_LABEL = "mlstack.io/efa"
EFA_RESOURCE = "vpc.amazonaws.com/efa"


@dataclass(frozen=True, kw_only=True)
class EfaSupportArgs:
    """The EFA device plugin.

    Attributes:
        chart_version: the chart version (catalogue pin, e.g. "v0.5.30"). Required.
        repository: the chart repository; default ``https://aws.github.io/eks-charts``.
        namespace: the release's namespace, created here; "aws-efa".
        taint_keys: taints of accelerator nodes the plugin tolerates; ``nvidia.com/gpu`` and
            ``aws.amazon.com/neuron``.
        cpu_request, memory_request, memory_limit: the plugin's resources; "10m", "20Mi", "64Mi".
        image: the plugin's image, ``<repository>:<tag>`` (catalogue pin: the chart's own default, in EKS's ECR
            account), set as the chart's ``image`` value so that a plan names it and a lock pins it by digest;
            None leaves the chart's default.
        extra_values: further chart values merged over mlstack's at the top level; none.
    """

    chart_version: str
    repository: str = "https://aws.github.io/eks-charts"
    namespace: str = "aws-efa"
    taint_keys: tuple[str, ...] = ("nvidia.com/gpu", "aws.amazon.com/neuron")
    cpu_request: str = "10m"
    memory_request: str = "20Mi"
    memory_limit: str = "64Mi"
    image: str | None = None
    extra_values: Mapping[str, Any] = field(default_factory=dict)


def efa_values(args: EfaSupportArgs) -> dict[str, Any]:
    """Chart values: only on EFA pools, tolerate accelerator taints, requests and a memory limit."""
    values: dict[str, Any] = {
        "nodeSelector": {EFA_LABEL: "true"},
        "tolerations": [{"key": k, "operator": "Exists", "effect": "NoSchedule"} for k in args.taint_keys]
        + [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
        "resources": {
            "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
            "limits": {"memory": args.memory_limit},
        },
    }
    if args.image:
        repository, _, tag = args.image.rpartition(":")
        values["image"] = {"repository": repository, "tag": tag}
    values.update(args.extra_values)
    return values


class EfaSupport(pulumi.ComponentResource):
    """The EFA device plugin Helm release in its own (privileged) namespace.

    Attributes:
        namespace: the namespace's name. chart_version: the pinned chart version.
    """

    def __init__(self, name: str, args: EfaSupportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        chart = "aws-efa-k8s-device-plugin"
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={**MLSTACK_LABELS(chart, "efa-support"), "pod-security.kubernetes.io/enforce": "privileged"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=chart,
                chart=chart,
                version=args.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.repository),
                namespace=ns.metadata.name,
                values=efa_values(args),
                atomic=True,
                cleanup_on_fail=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.chart_version = args.chart_version
        self.register_outputs({"namespace": self.namespace, "chart_version": self.chart_version})
