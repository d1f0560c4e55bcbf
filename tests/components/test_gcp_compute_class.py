"""GKE ComputeClass per accelerator pool: priorities in the pool's order (reservation, spot, on-demand,
flex-start), no active migration of running pods, auto-created node pools with auto-repair; strict schema."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from crd_schemas import crd_violations

from mlstack.components.gcp.compute_class import ComputeClass, ComputeClassArgs, Reservation


def _plan(record_plan, **overrides):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        args = dict(
            machine_type="a3-highgpu-8g",
            gpu_type="nvidia-h100-80gb",
            gpu_count=8,
            capacity=["reservation", "spot", "on-demand", "flex-start"],
            reservation=Reservation(name="h100-res", project="acme-shared"),
            accelerator="nvidia-h100",
            zones=["us-central1-b", "us-central1-a"],
            disk_size_gib=300,
            service_account="acme-ml-staging-nodes@acme.iam.gserviceaccount.com",
            pool_name="h100",
        )
        args.update(overrides)
        ComputeClass("acme-ml-staging-h100", ComputeClassArgs(**args), opts=pulumi.ResourceOptions(providers=[provider]))

    return record_plan(program, region="us-central1", gcp_project="acme")


def test_priorities_follow_the_pool_order(record_plan):
    plan = _plan(record_plan)
    cc = plan.one("kubernetes:cloud.google.com/v1:ComputeClass", "acme-ml-staging-h100")
    assert cc.provider == "test-k8s"
    assert cc.inputs["metadata"]["name"] == "h100"
    spec = cc.inputs["spec"]
    base = {
        "machineType": "a3-highgpu-8g",
        "gpu": {"type": "nvidia-h100-80gb", "count": 8, "driverVersion": "default"},
        "storage": {"bootDiskType": "pd-balanced", "bootDiskSize": 300},
    }
    assert spec["priorities"] == [
        {**base, "reservations": {"affinity": "Specific", "specific": [{"name": "h100-res", "project": "acme-shared"}]}},
        {**base, "spot": True},
        base,
        {**base, "flexStart": {"enabled": True}},
    ]
    assert spec["nodePoolAutoCreation"] == {"enabled": True}
    assert spec["activeMigration"] == {"optimizeRulePriority": False}
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp"
    assert spec["priorityDefaults"] == {"location": {"zones": ["us-central1-a", "us-central1-b"]}}
    assert spec["nodePoolConfig"] == {
        "autoRepair": True,
        "autoUpgrade": True,
        "nodeLabels": {"mlstack.io/accelerator": "nvidia-h100", "mlstack.io/pool": "h100"},
        "serviceAccount": "acme-ml-staging-nodes@acme.iam.gserviceaccount.com",
    }
    assert crd_violations(plan.resources) == []


def test_spot_then_on_demand_without_reservation(record_plan):
    plan = _plan(record_plan, capacity=["spot", "on-demand"], reservation=None, zones=[])
    spec = plan.one("kubernetes:cloud.google.com/v1:ComputeClass", "acme-ml-staging-h100").inputs["spec"]
    assert [p.get("spot", False) for p in spec["priorities"]] == [True, False]
    assert "priorityDefaults" not in spec
    assert crd_violations(plan.resources) == []


def test_schema_rejects_an_unknown_priority_field(record_plan):
    plan = _plan(record_plan)
    (cc,) = plan.of_type("kubernetes:cloud.google.com/v1:ComputeClass")
    cc.inputs["spec"]["priorities"][0]["preemptible"] = True
    assert any("'preemptible' was unexpected" in e for e in crd_violations([cc]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": []}, "capacity must be distinct and non-empty"),
        ({"capacity": ["spot"], "reservation": Reservation(name="r")}, "'reservation' and reservation go together"),
        ({"capacity": ["reservation"], "reservation": None}, "'reservation' and reservation go together"),
        ({"gpu_count": 0}, "gpu_count must be at least 1"),
    ],
)
def test_args_refuse_bad_combinations(overrides, message):
    args = dict(machine_type="g2-standard-4", gpu_type="nvidia-l4", gpu_count=1, capacity=["on-demand"])
    args.update(overrides)
    with pytest.raises(ValueError, match=message):
        ComputeClassArgs(**args)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: s.pop("whenUnsatisfiable"), "'whenUnsatisfiable' is a required property"),
        (lambda s: s["priorities"][1]["storage"].update(bootDiskType="pd-extreme"), "'pd-extreme' is not one of"),
        (lambda s: s["autoscalingPolicy"].update(consolidationDelayMinutes=0), "0 is less than the minimum of 1"),
        (lambda s: s["activeMigration"].pop("optimizeRulePriority"), "'optimizeRulePriority' is a required property"),
        (lambda s: s["priorities"][0]["reservations"].update(affinity="Any"), "'Any' is not one of"),
    ],
)
def test_schema_follows_the_crd(record_plan, change, error):
    plan = _plan(record_plan)
    (cc,) = plan.of_type("kubernetes:cloud.google.com/v1:ComputeClass")
    change(cc.inputs["spec"])
    assert any(error in e for e in crd_violations([cc])), crd_violations([cc])
