"""GPU telemetry: the DCGM exporter (pinned chart, GPU nodes only, ClusterIP), GKE's PodMonitoring, and Amazon
Managed Service for Prometheus (encrypted workspace, agentless scraper in the private subnets, read-only RBAC)."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
from k8s_checks import manifests, validate_manifests

from mlstack.components.aws.managed_prometheus import ManagedPrometheus, ManagedPrometheusArgs
from mlstack.components.k8s.gpu_telemetry import GpuTelemetry, GpuTelemetryArgs


def test_exporter_release_runs_on_gpu_nodes_behind_cluster_ip(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        GpuTelemetry("acme-gpu-telemetry", GpuTelemetryArgs(chart_version="4.8.2", pod_monitoring=True), opts=pulumi.ResourceOptions(providers=[provider]))

    plan = record_plan(program)
    ns = plan.one("kubernetes:core/v1:Namespace", "acme-gpu-telemetry-ns")
    assert ns.inputs["metadata"]["name"] == "gpu-telemetry"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    release = plan.one("kubernetes:helm.sh/v3:Release", "acme-gpu-telemetry-release")
    i = release.inputs
    assert (i["chart"], i["version"], i["repositoryOpts"]) == (
        "dcgm-exporter", "4.8.2", {"repo": "https://nvidia.github.io/dcgm-exporter/helm-charts"}
    )
    values = i["values"]
    assert values["service"] == {"enable": True, "type": "ClusterIP", "port": 9400}
    assert values["serviceMonitor"] == {"enabled": False}
    assert values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "mlstack.io/accelerator", "operator": "Exists"}]}]
    monitoring = plan.one("kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "acme-gpu-telemetry-scrape")
    assert monitoring.inputs["metadata"]["namespace"] == "gpu-telemetry"
    assert monitoring.inputs["spec"] == {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}},
        "endpoints": [{"port": "metrics", "interval": "30s"}],
    }
    assert monitoring.depends_on == [release.urn]


def test_a_node_local_service_reaches_only_the_exporter_on_the_callers_node(record_plan):
    from mlstack.components.k8s.gpu_telemetry import node_metrics_check
    from mlstack.components.k8s.verify_job import GpuMetricsCheckArgs

    args = GpuTelemetryArgs(chart_version="4.8.2")

    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        GpuTelemetry("t", args, opts=pulumi.ResourceOptions(providers=[provider]))

    plan = record_plan(program)
    service = plan.one("kubernetes:core/v1:Service", "t-node-service")
    assert service.parent == plan.one("mlstack:k8s:GpuTelemetry", "t").urn
    assert (service.inputs["metadata"]["name"], service.inputs["metadata"]["namespace"]) == ("dcgm-exporter-node", "gpu-telemetry")
    assert service.inputs["spec"] == {
        # Local: kube-proxy sends a pod's connection only to an exporter on the pod's own node.
        "type": "ClusterIP", "internalTrafficPolicy": "Local",
        "selector": {"app.kubernetes.io/name": "dcgm-exporter"},
        "ports": [{"name": "metrics", "port": 9400, "targetPort": 9400, "protocol": "TCP"}],
    }
    assert validate_manifests(manifests([service]), "1.35") == []
    assert node_metrics_check(args) == GpuMetricsCheckArgs(
        url="http://dcgm-exporter-node.gpu-telemetry.svc.cluster.local:9400/metrics", metric="DCGM_FI_DEV_GPU_UTIL",
        namespace="gpu-telemetry", pod_labels={"app.kubernetes.io/name": "dcgm-exporter"}, port=9400, timeout_seconds=180)


def test_no_pod_monitoring_unless_asked(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        GpuTelemetry("t", GpuTelemetryArgs(chart_version="4.8.2"), opts=pulumi.ResourceOptions(providers=[provider]))

    assert record_plan(program).of_type("kubernetes:monitoring.googleapis.com/v1:PodMonitoring") == []


def test_managed_prometheus_scrapes_privately_with_read_only_rbac(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        ManagedPrometheus(
            "acme-ml-staging-metrics",
            ManagedPrometheusArgs(
                cluster_name="acme-ml-staging",
                cluster_arn="arn:aws:eks:us-west-2:123456789012:cluster/acme-ml-staging",
                subnet_ids=["subnet-0aaa", "subnet-0bbb"],
                security_group_ids=["sg-0ccc"],
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    plan = record_plan(program, region="us-west-2")
    ws = plan.one("aws:amp/workspace:Workspace", "acme-ml-staging-metrics")
    assert ws.inputs["kmsKeyArn"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    scraper = plan.one("aws:amp/scraper:Scraper", "acme-ml-staging-metrics-scraper")
    assert scraper.inputs["source"] == {
        "eks": {
            "clusterArn": "arn:aws:eks:us-west-2:123456789012:cluster/acme-ml-staging",
            "subnetIds": ["subnet-0aaa", "subnet-0bbb"],
            "securityGroupIds": ["sg-0ccc"],
        }
    }
    assert scraper.inputs["destination"]["amp"]["workspaceArn"].startswith("arn:aws:aps:us-west-2:123456789012:workspace/ws-")
    config = json.loads(scraper.inputs["scrapeConfiguration"])
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "dcgm-exporter"
    assert job["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["gpu-telemetry"]}}]
    assert {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"} in job["relabel_configs"]
    entry = plan.one("aws:eks/accessEntry:AccessEntry", "acme-ml-staging-metrics-scraper")
    assert (entry.inputs["userName"], entry.inputs["type"]) == ("aps-collector-user", "STANDARD")
    role = plan.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "acme-ml-staging-metrics-collector")
    verbs = {v for rule in role.inputs["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "acme-ml-staging-metrics-collector")
    assert binding.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "aps-collector-user"}]
    assert validate_manifests(manifests(plan.resources), "1.35") == []
