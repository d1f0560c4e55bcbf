"""Node health on every target: the EKS node monitoring agent with node auto repair on accelerator node groups and
Karpenter's node repair (AWS), GKE auto-repair (GCP), nothing on premise (the cluster's own). Exact inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.engine.review.parity import parity
from mlstack.engine.review.planning import plan_env

STACKS = Path(__file__).resolve().parents[2] / "stacks"
ADDON = "aws:eks/addon:Addon"


@pytest.fixture(scope="module")
def plans():
    return {env: plan_env(env, STACKS) for env in ("staging", "prod", "gcp-staging", "onprem")}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_monitoring_agent_add_on(plans, env):
    addon = plans[env].one(ADDON, f"acme-ml-{env}-node-monitoring")
    inputs = {k: v for k, v in addon.inputs.items() if k != "tags"}
    # No addonVersion: EKS's default for the cluster's minor, as for the other add-ons (the lock records it).
    assert inputs == {"addonName": "eks-node-monitoring-agent", "clusterName": f"acme-ml-{env}",
                      "resolveConflictsOnCreate": "OVERWRITE", "resolveConflictsOnUpdate": "OVERWRITE"}
    assert addon.inputs["tags"]["Name"] == f"acme-ml-{env}-node-monitoring"


def test_accelerator_node_groups_repair_themselves(plans):
    groups = {r.name: r.inputs.get("nodeRepairConfig") for r in plans["prod"].of_type("aws:eks/nodeGroup:NodeGroup")}
    assert groups == {"acme-ml-prod-a100": {"enabled": True}, "acme-ml-prod-system": None}


def test_karpenter_repairs_the_nodes_it_launches(plans):
    release = plans["staging"].one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-karpenter")
    assert release.inputs["values"]["settings"]["featureGates"] == {"nodeRepair": True}


def test_gke_node_pools_auto_repair(plans):
    pools = plans["gcp-staging"].of_type("gcp:container/nodePool:NodePool")
    assert pools and {r.name: r.inputs["management"]["autoRepair"] for r in pools} == {r.name: True for r in pools}


def test_parity_reports_node_health_and_provisioning(plans):
    rows = parity(list(plans.values())).rows
    assert {e: c.text() for e, c in rows["node health"].items()} == {
        "staging": "native: EKS node monitoring agent + node auto repair on accelerator pools",
        "prod": "native: EKS node monitoring agent + node auto repair on accelerator pools",
        "gcp-staging": "native: GKE node auto-repair on every node pool",
        "onprem": "missing",
    }
    assert rows["node provisioning"]["gcp-staging"].text() == (
        "native: GKE ComputeClasses mlstack-a100 (capacity fallbacks, node auto-provisioning); cluster autoscaler on the "
        "other node pools")  # tests/engine/test_plan_compute_class.py
