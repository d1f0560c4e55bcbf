"""JobSet, the controller for groups of Jobs run as one unit: the building block of multi-node training.

A JobSet runs replicated Jobs (e.g. one Job per node of a 2-node torchrun) with a headless Service for stable
pod host names, and restarts or fails them together. Kueue admits a JobSet as one workload (all its pods or
none). Kubeflow Trainer builds its TrainJobs on JobSets. One pinned Helm release in its own "restricted"
namespace, the controller image pinned in the values (the chart's default tag in its repository is a branch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from . import hardening as h
from . import require_provider
from .operator_release import ChartRef, image_values, install_operator

TOKEN = "mlstack:k8s:JobSet"


@dataclass(frozen=True, kw_only=True)
class JobSetArgs:
    """The JobSet controller.

    Attributes:
        chart_version: the chart's version (catalogue pin, e.g. "0.12.0"). Required.
        image: the controller image ``repository:tag`` (catalogue pin). Required.
        repository: the chart repository; default ``oci://registry.k8s.io/jobset/charts``.
        namespace: the release's namespace, created here; "jobset-system".
        cpu_request, memory_request, cpu_limit, memory_limit: the controller's resources; "500m", "128Mi",
            "2", "4Gi" (the chart's own figures, stated here so that they are reviewed).
        extra_values: further chart values merged over mlstack's at the top level; none.
    """

    chart_version: str
    image: str
    repository: str = "oci://registry.k8s.io/jobset/charts"
    namespace: str = "jobset-system"
    cpu_request: str = "500m"
    memory_request: str = "128Mi"
    cpu_limit: str = "2"
    memory_limit: str = "4Gi"
    extra_values: Mapping[str, Any] = field(default_factory=dict)


def jobset_values(args: JobSetArgs) -> dict[str, Any]:
    """The chart values: pinned image, resources, restricted security contexts; no cert-manager, no Prometheus."""
    values: dict[str, Any] = {
        "image": image_values(args.image),
        "controller": {
            "resources": {
                "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
                "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
            },
            "securityContext": h.restricted_container(pod_level=False),
            "podSecurityContext": h.restricted_pod(),
        },
        "certManager": {"enable": False},
        "prometheus": {"enable": False},
    }
    values.update(args.extra_values)
    return values


class JobSet(pulumi.ComponentResource):
    """The JobSet controller's Helm release in its own namespace.

    Attributes:
        namespace: the namespace's name. release: the Helm release (depend on it for JobSet's CRD).
        release_name: the Helm release's name. chart_version: the pinned chart version.
    """

    def __init__(self, name: str, args: JobSetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns, release = install_operator(
            self,
            name,
            chart=ChartRef(chart="jobset", repository=args.repository, version=args.chart_version),
            namespace=args.namespace,
            component="jobset-controller",
            values=jobset_values(args),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release = release
        self.release_name: pulumi.Output[str | None] = release.name
        self.chart_version = args.chart_version
        self.register_outputs(
            {"namespace": self.namespace, "release_name": self.release_name, "chart_version": self.chart_version}
        )
