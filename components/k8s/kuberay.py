"""The KubeRay operator (RayCluster, RayJob, RayService), opt-in.

One pinned Helm release in its own "restricted" namespace (the Ray documentation's advice: not ``default``, so
the operator's service account is apart from workloads). Kueue manages RayJobs and RayClusters when this is
installed (the platform adds Ray's frameworks to Kueue's configuration), so a RayJob in a team namespace is
queued and admitted against the team's quota like any job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from . import hardening as h
from . import require_provider
from .operator_release import ChartRef, image_values, install_operator

TOKEN = "mlstack:k8s:KubeRay"


@dataclass(frozen=True, kw_only=True)
class KubeRayArgs:
    """The KubeRay operator.

    Attributes:
        chart_version: the chart's version (catalogue pin, e.g. "1.7.0"). Required.
        image: the operator image ``repository:tag`` (catalogue pin). Required: the chart's default is
            ``nightly``.
        repository: the chart repository; default ``https://ray-project.github.io/kuberay-helm/``.
        namespace: the release's namespace, created here; "ray-system".
        cpu_request, memory_request, cpu_limit, memory_limit: the operator's resources; "100m", "512Mi",
            "1", "512Mi" (the chart sets only a 100m CPU limit, which throttles a busy operator).
        extra_values: further chart values merged over mlstack's at the top level; none.
    """

    chart_version: str
    image: str
    repository: str = "https://ray-project.github.io/kuberay-helm/"
    namespace: str = "ray-system"
    cpu_request: str = "100m"
    memory_request: str = "512Mi"
    cpu_limit: str = "1"
    memory_limit: str = "512Mi"
    extra_values: Mapping[str, Any] = field(default_factory=dict)


def kuberay_values(args: KubeRayArgs) -> dict[str, Any]:
    """The chart values: pinned image, resources, restricted security contexts, leader election."""
    values: dict[str, Any] = {
        "image": image_values(args.image),
        "resources": {
            "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
            "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
        },
        "podSecurityContext": h.restricted_pod(),
        "securityContext": h.restricted_container(),
        "leaderElectionEnabled": True,
    }
    values.update(args.extra_values)
    return values


class KubeRay(pulumi.ComponentResource):
    """The KubeRay operator's Helm release in its own namespace.

    Attributes:
        namespace: the namespace's name. release: the Helm release. release_name: its name.
        chart_version: the pinned chart version.
    """

    def __init__(self, name: str, args: KubeRayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns, release = install_operator(
            self,
            name,
            chart=ChartRef(chart="kuberay-operator", repository=args.repository, version=args.chart_version),
            namespace=args.namespace,
            component="ray-operator",
            values=kuberay_values(args),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release = release
        self.release_name: pulumi.Output[str | None] = release.name
        self.chart_version = args.chart_version
        self.register_outputs(
            {"namespace": self.namespace, "release_name": self.release_name, "chart_version": self.chart_version}
        )
