"""GCP GPU/CPU node pools and TPU slice pools under recording mocks: the node pool inputs exactly."""

from __future__ import annotations

import pytest

from mlstack.errors import EngineError

P = "acme-ml-1234"
R = "us-central1"
SA = f"acme-nodes@{P}.iam.gserviceaccount.com"
SHIELDED = {"enableIntegrityMonitoring": True, "enableSecureBoot": True}


def _gpu(**kw):
    from mlstack.components.gcp.node_pool import NodePoolArgs

    base = dict(
        project_id=P, location=R, cluster="acme-gke", service_account_email=SA, pool_name="a100",
        machine_type="a2-ultragpu-8g", accelerator_type="nvidia-a100-80gb", accelerator_count=8,
        min_node_count=0, max_node_count=4, spot=True, node_locations=("us-central1-a", "us-central1-c"),
        labels={"env": "test"},
    )
    base.update(kw)
    return NodePoolArgs(**base)


def test_gpu_pool(record_plan):
    from mlstack.components.gcp.node_pool import NodePool

    plan = record_plan(lambda: NodePool("acme-a100", _gpu()), region=R, gcp_project=P)
    comp = plan.one("mlstack:gcp:NodePool", "acme-a100")
    pool = plan.one("gcp:container/nodePool:NodePool", "acme-a100-pool")
    assert pool.parent == comp.urn
    i = pool.inputs
    # Regional pool: totals over all zones, not GKE's per-zone limits; ANY zone with capacity for GPUs.
    assert i["autoscaling"] == {"locationPolicy": "ANY", "totalMaxNodeCount": 4, "totalMinNodeCount": 0}
    assert i["initialNodeCount"] == 0
    assert i["management"] == {"autoRepair": True, "autoUpgrade": True}
    assert i["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    assert i["cluster"] == "acme-gke" and i["project"] == P and i["location"] == R
    nc = i["nodeConfig"]
    assert nc["machineType"] == "a2-ultragpu-8g"
    assert nc["guestAccelerators"] == [
        {"count": 8, "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"}, "type": "nvidia-a100-80gb"}
    ]
    assert nc["taints"] == [{"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "present"}]
    assert nc["labels"] == {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/pool": "a100"}
    assert nc["spot"] is True
    assert nc["shieldedInstanceConfig"] == SHIELDED
    assert nc["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert nc["serviceAccount"] == SA
    assert nc["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert nc["resourceLabels"] == {"env": "test"}
    assert (nc["diskSizeGb"], nc["diskType"]) == (100, "pd-balanced")
    assert pool.ignore_changes == ["initialNodeCount"]


def test_gpu_pool_latest_driver_and_portable_label(record_plan):
    from mlstack.components.gcp.node_pool import NodePool, NodeTaint

    args = _gpu(
        gpu_driver_version="LATEST", accelerator_type="nvidia-l4", accelerator_count=1, machine_type="g2-standard-8",
        accelerator_name="nvidia-l4", taints=(NodeTaint(key="mlstack.io/team", value="research"),), spot=False,
    )
    plan = record_plan(lambda: NodePool("acme-l4", args), region=R, gcp_project=P)
    nc = plan.one("gcp:container/nodePool:NodePool", "acme-l4-pool").inputs["nodeConfig"]
    assert nc["guestAccelerators"] == [{"count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}, "type": "nvidia-l4"}]
    assert nc["taints"] == [
        {"effect": "NO_SCHEDULE", "key": "nvidia.com/gpu", "value": "present"},
        {"effect": "NO_SCHEDULE", "key": "mlstack.io/team", "value": "research"},
    ]
    assert nc["spot"] is False


def test_cpu_pool_has_no_accelerator_or_taint(record_plan):
    from mlstack.components.gcp.node_pool import NodePool

    args = _gpu(pool_name="system", machine_type="e2-standard-4", accelerator_type=None, accelerator_count=0,
                min_node_count=1, max_node_count=3, spot=False, node_locations=None)
    plan = record_plan(lambda: NodePool("acme-system", args), region=R, gcp_project=P)
    i = plan.one("gcp:container/nodePool:NodePool", "acme-system-pool").inputs
    assert "guestAccelerators" not in i["nodeConfig"]
    assert i["nodeConfig"]["taints"] == []
    # No mlstack.io/accelerator label at all: the device plugin's affinity matches on its existence.
    assert i["nodeConfig"]["labels"] == {"mlstack.io/pool": "system"}
    assert i["autoscaling"] == {"locationPolicy": "BALANCED", "totalMaxNodeCount": 3, "totalMinNodeCount": 1}
    # Zones unknown (the cluster's): 1 per zone reaches the total minimum; the autoscaler trims the rest.
    assert i["initialNodeCount"] == 1
    assert "nodeLocations" not in i


def test_cpu_spot_pool_over_two_zones(record_plan):
    from mlstack.components.gcp.node_pool import NodePool

    args = _gpu(pool_name="batch", machine_type="e2-standard-8", accelerator_type=None, accelerator_count=0,
                min_node_count=3, max_node_count=10, spot=True)
    plan = record_plan(lambda: NodePool("acme-batch", args), region=R, gcp_project=P)
    i = plan.one("gcp:container/nodePool:NodePool", "acme-batch-pool").inputs
    assert i["autoscaling"] == {"locationPolicy": "ANY", "totalMaxNodeCount": 10, "totalMinNodeCount": 3}
    # initialNodeCount is per zone: ceil(3 / 2 zones) = 2.
    assert i["initialNodeCount"] == 2
    assert i["nodeConfig"]["labels"] == {"mlstack.io/pool": "batch"}


def test_cpu_pool_rejects_the_accelerator_label(record_plan):
    from mlstack.components.gcp.node_pool import NodePool

    args = _gpu(pool_name="system", machine_type="e2-standard-4", accelerator_type=None, accelerator_count=0,
                node_labels={"mlstack.io/accelerator": "none"})
    with pytest.raises(EngineError, match="reserved for accelerator pools"):
        record_plan(lambda: NodePool("acme-system", args), region=R, gcp_project=P)


def test_gpu_pool_needs_a_count(record_plan):
    from mlstack.components.gcp.node_pool import NodePool

    with pytest.raises(EngineError, match="accelerator_count must be at least 1"):
        record_plan(lambda: NodePool("acme-a100", _gpu(accelerator_count=0)), region=R, gcp_project=P)


# -- TPU ---------------------------------------------------------------------------------------------------
def _tpu(**kw):
    from mlstack.components.gcp.tpu_node_pool import TpuNodePoolArgs

    base = dict(project_id=P, location=R, cluster="acme-gke", service_account_email=SA, pool_name="v5e",
                zone="us-central1-a", accelerator_name="tpu-v5e")
    base.update(kw)
    return TpuNodePoolArgs(**base)


def _common_tpu_asserts(pool, machine_type, accelerator, zone):
    i = pool.inputs
    nc = i["nodeConfig"]
    assert nc["machineType"] == machine_type
    assert nc["taints"] == [{"effect": "NO_SCHEDULE", "key": "google.com/tpu", "value": "present"}]
    assert nc["labels"]["mlstack.io/accelerator"] == accelerator
    assert nc["shieldedInstanceConfig"] == SHIELDED
    assert nc["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert "guestAccelerators" not in nc
    assert i["nodeLocations"] == [zone]


def test_tpu_v5e_2x4_single_host(record_plan):
    from mlstack.components.gcp.tpu_node_pool import TpuNodePool

    args = _tpu(machine_type="ct5lp-hightpu-8t", tpu_topology="2x4", nodes_per_slice=1, min_slices=0, max_slices=3, spot=True)
    plan = record_plan(lambda: TpuNodePool("acme-v5e", args), region=R, gcp_project=P)
    pools = plan.of_type("gcp:container/nodePool:NodePool")
    assert [p.name for p in pools] == ["acme-v5e-pool"]
    pool = pools[0]
    _common_tpu_asserts(pool, "ct5lp-hightpu-8t", "tpu-v5e", "us-central1-a")
    # One VM is the whole 2x4 slice: the pool autoscales by node = by slice, topology implied by the machine.
    assert pool.inputs["autoscaling"] == {"maxNodeCount": 3, "minNodeCount": 0}
    assert pool.inputs["initialNodeCount"] == 0
    assert "placementPolicy" not in pool.inputs
    assert "nodeCount" not in pool.inputs
    assert pool.inputs["nodeConfig"]["spot"] is True


def test_tpu_v5e_4x4_multi_host(record_plan):
    from mlstack.components.gcp.tpu_node_pool import TpuNodePool

    args = _tpu(machine_type="ct5lp-hightpu-4t", tpu_topology="4x4", nodes_per_slice=4, min_slices=1, max_slices=2)
    plan = record_plan(lambda: TpuNodePool("acme-v5e", args), region=R, gcp_project=P)
    comp = plan.one("mlstack:gcp:TpuNodePool", "acme-v5e")
    pools = plan.of_type("gcp:container/nodePool:NodePool")
    assert [p.name for p in pools] == ["acme-v5e-slice-0", "acme-v5e-slice-1"]
    for pool in pools:
        assert pool.parent == comp.urn
        _common_tpu_asserts(pool, "ct5lp-hightpu-4t", "tpu-v5e", "us-central1-a")
        assert pool.inputs["placementPolicy"] == {"tpuTopology": "4x4", "type": "COMPACT"}
    fixed, scaled = pools
    # Slice 0 is always on: all 4 VMs of the 4x4 slice; slice 1 scales atomically between 0 and 4.
    assert fixed.inputs["nodeCount"] == 4
    assert "autoscaling" not in fixed.inputs
    assert scaled.inputs["autoscaling"] == {"maxNodeCount": 4, "minNodeCount": 0}
    assert scaled.inputs["initialNodeCount"] == 0
    assert "nodeCount" not in scaled.inputs


def test_tpu_v4_2x2x2_multi_host(record_plan):
    from mlstack.components.gcp.tpu_node_pool import TpuNodePool

    args = _tpu(pool_name="v4", accelerator_name="tpu-v4", zone="us-central2-b", machine_type="ct4p-hightpu-4t",
                tpu_topology="2x2x2", nodes_per_slice=2, min_slices=0, max_slices=1)
    plan = record_plan(lambda: TpuNodePool("acme-v4", args), region=R, gcp_project=P)
    pool = plan.one("gcp:container/nodePool:NodePool", "acme-v4-slice-0")
    assert len(plan.of_type("gcp:container/nodePool:NodePool")) == 1
    _common_tpu_asserts(pool, "ct4p-hightpu-4t", "tpu-v4", "us-central2-b")
    assert pool.inputs["placementPolicy"] == {"tpuTopology": "2x2x2", "type": "COMPACT"}
    assert pool.inputs["autoscaling"] == {"maxNodeCount": 2, "minNodeCount": 0}
    assert pool.inputs["nodeConfig"]["labels"] == {"mlstack.io/accelerator": "tpu-v4", "mlstack.io/pool": "v4"}


def test_tpu_rejects_min_above_max(record_plan):
    from mlstack.components.gcp.tpu_node_pool import TpuNodePool

    args = _tpu(machine_type="ct5lp-hightpu-4t", tpu_topology="4x4", nodes_per_slice=4, min_slices=3, max_slices=2)
    with pytest.raises(EngineError, match="min_slices <= max_slices"):
        record_plan(lambda: TpuNodePool("acme-v5e", args), region=R, gcp_project=P)
