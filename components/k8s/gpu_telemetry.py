"""GpuTelemetry: NVIDIA's DCGM exporter on every GPU node, and (on GKE) its managed-collection scrape config.

The exporter is a DaemonSet that reads GPU utilisation, memory, power, temperature, XID errors and NVLink
counters through DCGM and serves them on port 9400 (``/metrics``). It runs only where mlstack's GPU pools are
(``mlstack.io/accelerator``), tolerating the GPU taint, behind a ClusterIP service: the metrics are never
exposed outside the cluster. Prometheus Operator objects are off (``serviceMonitor``): the scraper is the
cloud's managed Prometheus. On GKE that is managed collection, told what to scrape by a ``PodMonitoring``
object (``monitoring.googleapis.com/v1``), rendered here when ``pod_monitoring`` is on; on EKS an Amazon
Managed Service for Prometheus scraper (:mod:`mlstack.components.aws.managed_prometheus`) discovers the pods.

The namespace is Pod Security "privileged": the exporter mounts the kubelet's pod-resources socket (a
hostPath) to attribute GPUs to pods.

A second ClusterIP Service, ``dcgm-exporter-node``, has ``internalTrafficPolicy: Local``: a pod reaching it is
routed only to the exporter on its own node (none there: the connection is refused, never sent to another
node). The verification's ``gpu-metrics`` check reads it (:func:`node_metrics_check`); the chart's own Service
load-balances over every node's exporter, so a check through it could pass on another node's metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..contract import ACCELERATOR_LABEL
from . import require_provider
from .gpu_check import GpuMetricsCheckArgs
from .hardening import MLSTACK_LABELS
from .operator_release import image_values

TOKEN = "mlstack:k8s:GpuTelemetry"
NAMESPACE = "gpu-telemetry"
APP = "dcgm-exporter"
PORT = 9400
#: The node-local Service (``internalTrafficPolicy: Local``) the verification reads its node's exporter through.
NODE_SERVICE = "dcgm-exporter-node"
#: The chart's pods carry the chart's name.
POD_LABELS = {"app.kubernetes.io/name": APP}
#: The metric `mlstack verify` and the dashboard rely on (GPU utilisation, percent).
UTILISATION_METRIC = "DCGM_FI_DEV_GPU_UTIL"


@dataclass(frozen=True, kw_only=True)
class GpuTelemetryArgs:
    """Arguments of :class:`GpuTelemetry`.

    Attributes:
        chart_version: pinned ``dcgm-exporter`` chart version (from the catalogue).
        chart_repository: its Helm repository.
        image: the exporter's image, ``<repository>:<tag>`` (catalogue pin: the chart's own default at the pinned
            version), set as the chart's ``image`` value so that a plan names it and a lock pins it by digest;
            default None (the chart's default image, which no lock pins).
        namespace: the namespace created for it; default ``gpu-telemetry``.
        accelerator_label: node label key of GPU pools; default ``mlstack.io/accelerator``.
        taint_key: the GPU taint tolerated; default ``nvidia.com/gpu``.
        pod_monitoring: render a GKE managed-collection ``PodMonitoring``; default False.
        scrape_interval: how often metrics are scraped; default ``30s``.
    """

    chart_version: str
    chart_repository: str = "https://nvidia.github.io/dcgm-exporter/helm-charts"
    image: str | None = None
    namespace: str = NAMESPACE
    accelerator_label: str = ACCELERATOR_LABEL
    taint_key: str = "nvidia.com/gpu"
    pod_monitoring: bool = False
    scrape_interval: str = "30s"


def node_metrics_check(args: GpuTelemetryArgs) -> GpuMetricsCheckArgs:
    """Where a pod reads the DCGM exporter of its own node: the node-local Service's ``/metrics``."""
    return GpuMetricsCheckArgs(url=f"http://{NODE_SERVICE}.{args.namespace}.svc.cluster.local:{PORT}/metrics",
                               metric=UTILISATION_METRIC, namespace=args.namespace, pod_labels=POD_LABELS, port=PORT)


class GpuTelemetry(pulumi.ComponentResource):
    """Namespace, DCGM exporter release, optional PodMonitoring. Pass the cluster's Kubernetes provider.

    Outputs: namespace, release_name, node_service_name (the node-local Service).
    """

    def __init__(self, name: str, args: GpuTelemetryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                labels={**MLSTACK_LABELS(APP, "gpu-telemetry"), "pod-security.kubernetes.io/enforce": "privileged"},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name=APP,
                chart=APP,
                version=args.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                namespace=ns.metadata.name,
                values={
                    "serviceMonitor": {"enabled": False},
                    "service": {"enable": True, "type": "ClusterIP", "port": PORT},
                    "tolerations": [{"key": args.taint_key, "operator": "Exists", "effect": "NoSchedule"}],
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {"matchExpressions": [{"key": args.accelerator_label, "operator": "Exists"}]}
                                ]
                            }
                        }
                    },
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                    **({"image": image_values(args.image)} if args.image else {}),
                },
                atomic=True,
                cleanup_on_fail=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        node_service = k8s.core.v1.Service(
            f"{name}-node-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NODE_SERVICE, namespace=ns.metadata.name, labels=MLSTACK_LABELS(APP, "gpu-telemetry")
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                internal_traffic_policy="Local",
                selector=POD_LABELS,
                ports=[k8s.core.v1.ServicePortArgs(name="metrics", port=PORT, target_port=PORT, protocol="TCP")],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.pod_monitoring:
            k8s.apiextensions.CustomResource(
                f"{name}-scrape",
                api_version="monitoring.googleapis.com/v1",
                kind="PodMonitoring",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=APP, namespace=ns.metadata.name, labels=MLSTACK_LABELS(APP, "gpu-telemetry")
                ),
                spec={
                    "selector": {"matchLabels": {"app.kubernetes.io/name": APP}},
                    "endpoints": [{"port": "metrics", "interval": args.scrape_interval}],
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
            )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release_name: pulumi.Output[str] = release.name.apply(lambda n: n or APP)
        self.node_service_name: pulumi.Output[str] = node_service.metadata.name
        self.register_outputs(
            {"namespace": self.namespace, "release_name": self.release_name, "node_service_name": self.node_service_name}
        )
