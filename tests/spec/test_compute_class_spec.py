"""Bad input for a GCP pool's capacity fields (ComputeClasses): each is rejected with file:line:col, the field path
and a fix, before any resource is registered (``errors_of`` asserts nothing was recorded)."""

from __future__ import annotations

import pytest

from spec.test_capacity_spec import GCP, aws, problem
from spec.test_malformed import write

H100 = "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2, EXTRA}"


def gcp(extra: str) -> str:
    return GCP.replace("POOL", H100.replace("EXTRA", extra))


@pytest.mark.parametrize(
    ("extra", "path", "needle", "message"),
    [
        ("capacity: [reserved, spot]", "node_pools.gpu.reservation", "gpu: {",
         "required with capacity type reserved: the reservation to consume, e.g. reservation: {id: a100-80gb-reservation}"),
        ("capacity: [reserved], reservation: {id: H100_Res}", "node_pools.gpu.reservation.id", "id: H100_Res",
         "expected a reservation id such as a100-80gb-reservation, got 'H100_Res'"),
        ("capacity: [reserved], reservation: {id: h100-res, capacity_block: true}", "node_pools.gpu.reservation.capacity_block",
         "capacity_block: true", "only for aws (EC2 Capacity Blocks). Remove it"),
        ("capacity: [spot, on-demand], min: 1", "node_pools.gpu.min", "min: 1",
         "a pool with a capacity list is a provisioning class (mlstack-gpu) whose nodes the autoscaler creates on demand and "
         "removes when empty: it has no floor. Set min: 0, or remove capacity (a node pool keeps min nodes)"),
        ("capacity: [spot, spot]", "node_pools.gpu.capacity", "capacity: [spot, spot]",
         "lists spot more than once; each capacity type appears once, in the order to try"),
        ("spot: true, capacity: [spot, on-demand]", "node_pools.gpu.spot", "spot: true",
         "spot: true is shorthand for capacity: [spot]; give one of them"),
        ("capacity: [spot], zones: [us-central1-a]", "node_pools.gpu.capacity", "capacity: [spot]",
         "a multi-node pool is one node pool in one zone with COMPACT placement, which a provisioning class does not "
         "give its nodes. Remove capacity, or set multi_node: false"),
        ("capacity: [reserved], reservation: {id: h100-res, project: Acme}", "node_pools.gpu.reservation.project", "project: Acme",
         "expected text matching ^[a-z][-a-z0-9]{4,28}[a-z0-9]$, got 'Acme'"),
    ],
)
def test_gcp_capacity_fields(tmp_path, extra, path, needle, message):
    assert message in problem(tmp_path, gcp(extra), path, needle)


def test_flex_start_needs_the_catalogue_flag(tmp_path):
    text = GCP.replace("POOL", "{accelerator: nvidia-t4, max: 2, capacity: [spot, flex-start]}")
    msg = problem(tmp_path, text, "node_pools.gpu.capacity", "capacity: [spot, flex-start]")
    assert msg == "n1-standard-8 cannot be obtained with flex-start (catalogue: flex_start false). Remove flex-start from capacity"


def test_a_cpu_pool_takes_no_capacity_list(tmp_path):
    text = gcp("capacity: [spot]").replace("system: {machine: n2-standard-4, min: 2, max: 4}",
                                           "system: {machine: n2-standard-4, min: 2, max: 4, capacity: [spot, on-demand]}")
    msg = problem(tmp_path, text, "node_pools.system.capacity", "capacity: [spot, on-demand]")
    assert msg == "on gcp a capacity list is for gpu pools; CPU pools keep one node pool. Remove capacity (use spot: true for Spot)"


def test_every_pool_needs_a_catalogue_size_with_a_class(tmp_path):
    text = gcp("capacity: [spot, on-demand]").replace("machine: n2-standard-4", "machine: n2-highmem-64")
    msg = problem(tmp_path, text, "node_pools.system.machine", "machine: n2-highmem-64")
    assert msg == ("the catalogue has no size for n2-highmem-64, which the cluster's node auto-provisioning limits (needed by "
                   "the provisioning classes mlstack-gpu) are computed from. Use a machine type `mlstack catalog` lists")
    # Without a class the same machine is fine (nothing is computed from its size).
    from mlstack.spec import load_spec_file

    spec = load_spec_file(write(tmp_path, gcp("spot: true").replace("machine: n2-standard-4", "machine: n2-highmem-64")))
    assert spec.node_pools["system"].machine == "n2-highmem-64"


def test_a_valid_compute_class_spec_loads(tmp_path):
    from mlstack.spec import load_spec_file

    extra = "capacity: [reserved, spot, flex-start, on-demand], reservation: {id: h100-res, project: acme-shared-1234}"
    spec = load_spec_file(write(tmp_path, gcp(extra)))
    pool = spec.node_pools["gpu"]
    assert (pool.capacity, pool.reservation.id, pool.reservation.project) == (
        ["reserved", "spot", "flex-start", "on-demand"], "h100-res", "acme-shared-1234")


def test_a_shared_reservation_is_refused_on_aws(tmp_path):
    text = aws("capacity: [reserved], reservation: {id: cr-0123456789abcdef0, project: acme-shared-1234}")
    assert problem(tmp_path, text, "node_pools.gpu.reservation.project", "project: acme-shared-1234") == (
        "only for gcp (shared reservations). Remove it")
