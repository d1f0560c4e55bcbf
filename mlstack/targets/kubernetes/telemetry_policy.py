"""Telemetry rules every target shares: no metrics endpoint (the DCGM exporter, node exporters, Prometheus)
is reachable from outside the cluster. They read Services and the exporter's Helm values, no cloud's types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.policy import Finding, Rule, as_list, finding, get

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
#: Ports metrics endpoints listen on by convention: Prometheus, node exporter, DCGM exporter, kube-state-metrics.
METRICS_PORTS = (9090, 9100, 9400, 8080)
EXPOSED = ("LoadBalancer", "NodePort")
EXPORTER_CHARTS = ("dcgm-exporter", "prometheus", "kube-prometheus-stack", "prometheus-node-exporter")


def _metrics_private(plan: Plan) -> Iterator[Finding]:
    for r in plan.of_type(RELEASE):
        kind = get(r.inputs, "values.service.type")
        if str(r.inputs.get("chart", "")) in EXPORTER_CHARTS and kind in EXPOSED:
            yield finding(r, f"chart {r.inputs.get('chart')} serves metrics on a {kind} service: keep it ClusterIP")
    for r in plan.of_type(SERVICE):
        kind = get(r.inputs, "spec.type")
        if kind not in EXPOSED:
            continue
        for port in as_list(get(r.inputs, "spec.ports")):
            if "metrics" in str(get(port, "name") or "") or get(port, "port") in METRICS_PORTS:
                yield finding(r, f"metrics port {get(port, 'port')} is exposed by a {kind} service")


RULES = [
    Rule("MLS-K8S-009", "No metrics endpoint is exposed outside the cluster",
         "GPU and node metrics reveal workloads and hosts; the managed collector scrapes them from inside.",
         ("Checkov/Trivy ids not checked",), (SERVICE, RELEASE), _metrics_private),
]
