"""Node provisioning from the spec on GCP: gcp-staging's A100 pool is a ComputeClass (a shared reservation, then
Spot, then DWS flex-start, then on-demand) whose node pools GKE's node auto-provisioning creates. Exact inputs of
the recorded objects, the class against the strict CRD schema, pods that select it (Kueue flavor, training
runtime, verify Job), and what cost, policy and parity make of it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from crd_schemas import crd_violations
from golden import check_golden

from mlstack.cli.render import plan_json
from mlstack.engine.review.planning import plan_env

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
NODE_POOL = "gcp:container/nodePool:NodePool"
CLUSTER = "gcp:container/cluster:Cluster"
FLAVOR = "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor"
SELECTOR = {"cloud.google.com/compute-class": "mlstack-a100", "mlstack.io/pool": "a100"}


@pytest.fixture(scope="module")
def gcp(example_plan):
    return example_plan("gcp-staging")


def _gpu(**extra):
    return {"machineType": "a2-ultragpu-8g", "gpu": {"count": 8, "driverVersion": "default", "type": "nvidia-a100-80gb"},
            "storage": {"bootDiskSize": 200, "bootDiskType": "pd-balanced"}, **extra}


def test_golden_plan_and_determinism(gcp):
    check_golden("plan/gcp-staging.json", plan_json(gcp))
    assert plan_json(plan_env("gcp-staging", STACKS)) == plan_json(gcp)  # a second plan, byte for byte


def test_the_gpu_pool_is_a_compute_class_in_the_pools_order(gcp):
    (cc,) = gcp.of_type(CLASS)
    assert (cc.name, cc.provider) == ("acme-ml-gcp-staging-a100-class", "acme-ml-gcp-staging-k8s")
    assert cc.inputs["metadata"] == {
        "annotations": {"mlstack.io/max-nodes": "1"},
        "labels": {"app.kubernetes.io/managed-by": "mlstack", "mlstack.io/pool": "a100"},
        "name": "mlstack-a100",
    }
    spec = cc.inputs["spec"]
    assert spec["priorities"] == [
        _gpu(reservations={"affinity": "Specific", "specific": [{"name": "a100-80gb-reservation", "project": "acme-shared-1234"}]}),
        _gpu(spot=True),
        _gpu(flexStart={"enabled": True}),
        _gpu(),  # on-demand
    ]
    assert spec["nodePoolAutoCreation"] == {"enabled": True}
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp"  # pods wait rather than land on another shape
    assert spec["activeMigration"] == {"optimizeRulePriority": False}  # running jobs are never moved back
    assert spec["autoscalingPolicy"] == {"consolidationDelayMinutes": 10}
    assert spec["description"] == "mlstack pool a100: reservation, spot, flex-start, on-demand"
    assert spec["nodePoolConfig"] == {
        "autoRepair": True, "autoUpgrade": True,
        "nodeLabels": {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/pool": "a100"},
        "serviceAccount": "acme-ml-gcp-staging-clus-nodes@acme-ml-staging-1234.iam.gserviceaccount.com",
    }
    assert "priorityDefaults" not in spec  # no zones named: the cluster's


def test_the_class_pool_has_no_gke_node_pool_and_the_others_keep_theirs(gcp):
    # GKE creates (and deletes) the class's node pools itself; the system pool and the TPU slice stay mlstack's.
    assert [r.name for r in gcp.of_type(NODE_POOL)] == ["acme-ml-gcp-staging-system-pool", "acme-ml-gcp-staging-v5e-slice-0"]
    assert [r.name for r in gcp.of_type("mlstack:gcp:NodePool")] == ["acme-ml-gcp-staging-system"]
    assert [r.name for r in gcp.of_type("mlstack:gcp:ComputeClass")] == ["acme-ml-gcp-staging-a100-class"]


def test_node_auto_provisioning_limits_cover_every_pool_at_its_max(gcp):
    cluster = gcp.one(CLUSTER, "acme-ml-gcp-staging-cluster-gke")
    auto = cluster.inputs["clusterAutoscaling"]
    # system 4 x n2-standard-4 (4 vCPU, 16 GiB) + a100 1 x a2-ultragpu-8g (96, 1360 GiB, 8 GPUs)
    # + v5e 1 slice of 4 x ct5lp-hightpu-4t (112, 192 GiB): 560 vCPU, 2192 GiB = 2353.7 GB.
    assert auto["resourceLimits"] == [
        {"maximum": 560, "minimum": 0, "resourceType": "cpu"},
        {"maximum": 2354, "minimum": 0, "resourceType": "memory"},
        {"maximum": 8, "minimum": 0, "resourceType": "nvidia-a100-80gb"},
    ]
    assert auto["enabled"] is True
    assert auto["autoProvisioningDefaults"] == {
        "management": {"autoRepair": True, "autoUpgrade": True},
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": "acme-ml-gcp-staging-clus-nodes@acme-ml-staging-1234.iam.gserviceaccount.com",
        "shieldedInstanceConfig": {"enableIntegrityMonitoring": True, "enableSecureBoot": True},
    }


def test_pods_select_the_class_through_the_flavor_and_the_runtime(gcp):
    flavor = gcp.one(FLAVOR, "acme-ml-gcp-staging-platform-workloads-queues-flavor-a100")
    assert flavor.inputs["spec"]["nodeLabels"] == SELECTOR
    runtime = gcp.one("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
                      "acme-ml-gcp-staging-platform-workloads-trainer-torch-pool-a100")
    assert json.dumps(SELECTOR, sort_keys=True) in json.dumps(runtime.inputs, sort_keys=True)
    # The verification Job's GPU check lands on the class's nodes too.
    checks = [r for r in gcp.resources if r.type == "kubernetes:batch/v1:Job" and json.dumps(SELECTOR, sort_keys=True) in json.dumps(r.inputs, sort_keys=True)]
    assert checks, "the GPU check of pool a100 selects the class"


def test_aws_flavors_keep_the_pool_label_alone(example_plan):
    staging = example_plan("staging")
    flavor = staging.one(FLAVOR, "acme-ml-staging-platform-workloads-queues-flavor-a100")
    assert flavor.inputs["spec"]["nodeLabels"] == {"mlstack.io/pool": "a100"}


def test_the_class_matches_the_strict_crd_schema(gcp):
    assert crd_violations(gcp.resources) == []


def test_cost_prices_the_class_at_its_first_priority(gcp):
    from mlstack.engine.review.cost import estimate

    pools = {p.name: p for p in estimate(gcp).pools}
    a100 = pools["a100"]
    assert (a100.machine, a100.spot, a100.min_nodes, a100.max_nodes) == ("a2-ultragpu-8g", False, 0, 1)
    assert a100.note == "ComputeClass, priced as its first priority (reservation); a reservation bills the on-demand rate whether used or not"
    assert a100.hourly_max > 0


def test_policy_and_parity(gcp, example_plan):
    from mlstack.engine.review.parity import parity
    from mlstack.engine.review.policy import check_plan

    (result,) = [r for r in check_plan(gcp, protected=False).results if r.rule.id == "MLS-GCP-021"]
    assert (result.status, result.level, result.findings) == ("pass", "advisory", [])
    rows = parity([gcp, example_plan("onprem")]).rows
    assert rows["node provisioning"]["gcp-staging"].text() == (
        "native: GKE ComputeClasses mlstack-a100 (capacity fallbacks, node auto-provisioning); cluster autoscaler on the other node pools")
    assert rows["reservations"]["gcp-staging"].text() == (
        "native: Compute Engine reservations (Specific affinity) through ComputeClasses (acme-shared-1234/a100-80gb-reservation)")
    assert rows["accelerators"]["gcp-staging"].text() == "native: nvidia-a100-80gb, tpu-v5e"
    assert rows["reservations"]["onprem"].text() == "missing"


def test_without_a_class_node_auto_provisioning_stays_off(tmp_path):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    path = stacks / "gcp-staging.yaml"
    text = path.read_text()
    text = text.replace("    capacity: [reserved, spot, flex-start, on-demand]\n    reservation: {id: a100-80gb-reservation, project: acme-shared-1234}\n",
                        "    spot: true\n")
    path.write_text(text)
    plan = plan_env("gcp-staging", stacks)
    assert plan.of_type(CLASS) == []
    assert "clusterAutoscaling" not in plan.one(CLUSTER, "acme-ml-gcp-staging-cluster-gke").inputs
    assert {r.name for r in plan.of_type("mlstack:gcp:NodePool")} == {"acme-ml-gcp-staging-a100", "acme-ml-gcp-staging-system"}
    flavor = plan.one(FLAVOR, "acme-ml-gcp-staging-platform-workloads-queues-flavor-a100")
    assert flavor.inputs["spec"]["nodeLabels"] == {"mlstack.io/pool": "a100"}
