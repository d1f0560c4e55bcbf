"""GPU telemetry in the example plans: the DCGM exporter on GPU nodes (aws, onprem), Amazon Managed Prometheus and
its scraper (aws), GKE's managed DCGM collection (gcp), metrics-server on EKS, and the GPU dashboard ConfigMap
rendered from its template (golden) on every target; exact inputs, every Kubernetes object valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden import check_golden
from k8s_checks import manifests, validate_manifests

from mlstack.engine.plan.dashboard import PANELS, render
from mlstack.engine.review.parity import capability
from mlstack.engine.review.planning import plan_env

STACKS = Path(__file__).resolve().parents[2] / "stacks"
CM = "kubernetes:core/v1:ConfigMap"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def plans():
    return {env: plan_env(env, STACKS) for env in ("staging", "gcp-staging", "onprem")}


def test_golden_dashboard():
    check_golden("dashboards/gpu.json", render())


def test_the_dashboard_reads_only_dcgm_series_by_node():
    board = json.loads(render())
    assert (board["uid"], board["schemaVersion"], [v["name"] for v in board["templating"]["list"]]) == ("mlstack-gpu", 39, ["datasource", "node"])
    exprs = [p["targets"][0]["expr"] for p in board["panels"]]
    assert [p["title"] for p in board["panels"]] == [p.title for p in PANELS]
    assert all("DCGM_FI_" in e and 'Hostname=~"$node"' in e for e in exprs)
    assert [p["gridPos"] for p in board["panels"][:3]] == [{"h": 8, "w": 12, "x": 0, "y": 0}, {"h": 8, "w": 12, "x": 12, "y": 0},
                                                          {"h": 8, "w": 12, "x": 0, "y": 8}]


def test_dashboard_config_map_on_every_target(plans):
    for env, p in plans.items():
        cm = p.one(CM, f"{p.project}-{env}-platform-dashboard-cm")
        meta = cm.inputs["metadata"]
        assert (meta["name"], meta["namespace"], meta["labels"]["grafana_dashboard"]) == ("mlstack-gpu-dashboard", "mlstack-system", "1")
        assert cm.inputs["data"] == {"gpu.json": render()}
        assert validate_manifests(manifests([cm]), "1.36") == []


def test_dcgm_exporter_on_gpu_nodes_where_the_cloud_does_not_collect(plans):
    for env in ("staging", "onprem"):
        p = plans[env]
        rel = p.one(RELEASE, f"{p.project}-{env}-platform-telemetry-release")
        i = rel.inputs
        assert (i["chart"], i["version"], i["namespace"]) == ("dcgm-exporter", "4.8.2", "gpu-telemetry")
        assert i["values"]["service"] == {"enable": True, "type": "ClusterIP", "port": 9400}
        assert i["values"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "mlstack.io/accelerator", "operator": "Exists"}]}]}
    gcp = plans["gcp-staging"]
    assert not [r for r in gcp.of_type(RELEASE) if r.inputs.get("chart") == "dcgm-exporter"]
    gke = gcp.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke")
    assert gke.inputs["monitoringConfig"]["enableComponents"][-1] == "DCGM"
    assert gke.inputs["monitoringConfig"]["managedPrometheus"] == {"enabled": True}


def test_managed_prometheus_and_metrics_server_on_eks(plans):
    p = plans["staging"]
    ws = p.one("aws:amp/workspace:Workspace", "acme-ml-staging-metrics")
    key = p.one("aws:kms/key:Key", "acme-ml-staging-metrics-key")
    assert ws.input_deps["kmsKeyArn"] == [key.urn]
    scraper = p.one("aws:amp/scraper:Scraper", "acme-ml-staging-metrics-scraper")
    cluster = p.one("aws:eks/cluster:Cluster", "acme-ml-staging-cluster")
    assert cluster.urn in scraper.input_deps["source"]
    config = json.loads(scraper.inputs["scrapeConfiguration"])
    assert config["scrape_configs"][0]["kubernetes_sd_configs"] == [{"role": "pod", "namespaces": {"names": ["gpu-telemetry"]}}]
    entry = p.one("aws:eks/accessEntry:AccessEntry", "acme-ml-staging-metrics-scraper")
    assert (entry.inputs["userName"], entry.inputs["type"]) == ("aps-collector-user", "STANDARD")
    addon = p.one("aws:eks/addon:Addon", "acme-ml-staging-metrics-server")
    assert (addon.inputs["addonName"], addon.inputs["resolveConflictsOnCreate"]) == ("metrics-server", "OVERWRITE")
    assert "addon/metrics-server" in p.outputs["platform_versions"]  # locked like every add-on (mlstack up --locked)
    assert p.outputs["prometheus_endpoint"].startswith("https://aps-workspaces.us-west-2.amazonaws.com/workspaces/")


def test_gpu_metrics_parity(plans):
    assert [capability(plans[e], "GPU metrics").status for e in ("staging", "gcp-staging", "onprem")] == ["native", "native", "emulated"]


def test_no_metrics_endpoint_is_public_in_the_examples(plans):
    from mlstack.engine.review.policy import check_plan

    for env, p in plans.items():
        result = next(r for r in check_plan(p, protected=True).results if r.rule.id == "MLS-K8S-009")
        assert result.status == "pass", (env, [f.message for f in result.findings])
