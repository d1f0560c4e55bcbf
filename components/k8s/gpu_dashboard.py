"""GpuDashboard: the platform's GPU dashboard, a Grafana dashboard definition in a ConfigMap.

The definition (Grafana's dashboard JSON model) is rendered by the engine from ``templates/dashboards/gpu.json.j2``
and reads only DCGM exporter series (``DCGM_FI_DEV_*``), so the same dashboard works against Amazon Managed
Prometheus, Google Cloud Managed Service for Prometheus and an in-cluster Prometheus. The ConfigMap carries the
``grafana_dashboard: "1"`` label that Grafana's dashboard sidecar (the grafana Helm chart's ``sidecar.dashboards``)
loads; without a Grafana in the cluster, import the JSON from the ConfigMap's ``gpu.json`` key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..contract import SYSTEM_NAMESPACE
from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:GpuDashboard"
NAME = "mlstack-gpu-dashboard"
#: The label Grafana's dashboard sidecar selects ConfigMaps by (its default ``sidecar.dashboards.label``).
SIDECAR_LABEL = "grafana_dashboard"
KEY = "gpu.json"


@dataclass(frozen=True, kw_only=True)
class GpuDashboardArgs:
    """Arguments of :class:`GpuDashboard`.

    Attributes:
        dashboard_json: the rendered dashboard definition (JSON text).
        namespace: where the ConfigMap lives; default ``mlstack-system`` (the platform's own namespace).
    """

    dashboard_json: str
    namespace: str = SYSTEM_NAMESPACE

    def __post_init__(self) -> None:
        if not self.dashboard_json.lstrip().startswith("{"):
            raise ValueError("dashboard_json must be a Grafana dashboard JSON object")


class GpuDashboard(pulumi.ComponentResource):
    """The ConfigMap. Pass the cluster's Kubernetes provider. Outputs: config_map_name."""

    def __init__(self, name: str, args: GpuDashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        cm = k8s.core.v1.ConfigMap(
            f"{name}-cm",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAME, namespace=args.namespace, labels={**MLSTACK_LABELS(NAME, "gpu-telemetry"), SIDECAR_LABEL: "1"}
            ),
            data={KEY: args.dashboard_json},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name: pulumi.Output[str] = cm.metadata.name
        self.register_outputs({"config_map_name": self.config_map_name})
