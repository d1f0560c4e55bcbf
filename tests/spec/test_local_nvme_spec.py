"""``node_pools.<pool>.local_nvme``: the default from the catalogue, and bad input rejected with file:line:col,
the field path and a fix before anything is registered."""

from __future__ import annotations

import pytest

from spec.test_capacity_spec import GCP, ONPREM, aws, problem
from spec.test_malformed import write


def test_raid0_on_a_machine_without_local_nvme(tmp_path):
    text = aws("").replace("system: {machine: m6i.xlarge, min: 2, max: 4}", "system: {machine: m6i.xlarge, min: 2, max: 4, local_nvme: raid0}")
    msg = problem(tmp_path, text, "node_pools.system.local_nvme", "local_nvme: raid0")
    assert msg.startswith("m6i.xlarge has no local NVMe in the catalogue, so there is nothing to stripe. Remove local_nvme, "
                          "or use a machine type that has it (g4dn.12xlarge, ")


def test_onprem_names_the_alternative(tmp_path):
    pool = "{accelerator: nvidia-a100-80gb, selector: {mlstack.io/accelerator: nvidia-a100-80gb}, local_nvme: raid0}"
    msg = problem(tmp_path, ONPREM.replace("POOL", pool), "node_pools.gpu.local_nvme", "local_nvme: raid0")
    assert msg == ("onprem pools describe existing nodes, whose disks mlstack does not configure. Remove it; stripe and mount "
                   "the nodes' NVMe disks yourself (e.g. mdadm RAID0 under the kubelet's root dir) and use emptyDir or a "
                   "local PersistentVolume")


def test_a_compute_class_pool_refuses_it(tmp_path):
    text = GCP.replace("POOL", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2, capacity: [spot, on-demand], local_nvme: raid0}")
    msg = problem(tmp_path, text, "node_pools.gpu.local_nvme", "local_nvme: raid0")
    assert msg.startswith("a pool with a capacity list is a ComputeClass, whose node pools GKE creates and configures")


@pytest.mark.parametrize("value", ["RAID0", "raid10", "yes-please"])
def test_only_raid0_or_unused(tmp_path, value):
    msg = problem(tmp_path, aws(f"local_nvme: {value}"), "node_pools.gpu.local_nvme", f"local_nvme: {value}")
    assert "'raid0' or 'unused'" in msg


@pytest.mark.parametrize(
    ("cloud", "pool", "expected"),
    [
        ("aws", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2}", (8, 3800)),  # p5.48xlarge
        ("aws", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2, local_nvme: unused}", None),
        ("gcp", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2, spot: true}", (16, 375)),  # a3-highgpu-8g
        ("gcp", "{accelerator: nvidia-t4, gpus_per_node: 4, max: 2}", None),  # n1-standard-32: Local SSD only when asked for
    ],
)
def test_the_default_comes_from_the_catalogue(tmp_path, cloud, pool, expected):
    from mlstack.catalog import load_catalog
    from mlstack.spec import load_spec_file
    from mlstack.spec.local_nvme import disks

    base = aws("").replace("gpu: {accelerator: nvidia-h100, gpus_per_node: 8, min: 0, max: 2, }", "gpu: POOL") if cloud == "aws" else GCP
    spec = load_spec_file(write(tmp_path, base.replace("POOL", pool)))
    got = disks(spec, load_catalog(), "gpu")
    assert ((got.disks, got.disk_gb) if got else None) == expected
    assert disks(spec, load_catalog(), "system") is None
