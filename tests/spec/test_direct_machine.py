"""The escape hatch where the catalogue is short: an accelerator pool names its machine type (and GPU count)
directly. mlstack checks what it can, plans it, and says what it could not check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.catalog import CatalogError, load_catalog
from mlstack.catalog.pool_machine import PoolMachine, family, pool_machine
from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]
UNCHECKED = ("p5.4xlarge is not in the catalogue (its family p5 carries nvidia-h100): mlstack could not check that "
             "it exists in the region with 1 x nvidia-h100, its vCPUs and memory, its price (cost shows it as unknown) "
             "or its fast networking (multi_node stays off unless the catalogue lists it)")
POOL = "node_pools:\n  h100:\n    accelerator: nvidia-h100\n    machine: {machine}\n    gpus_per_node: {count}\n    max: 2\n"


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.fixture
def stacks(tmp_path):
    folder = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", folder)
    return folder


def _overlay(stacks: Path, name: str, base: str, body: str) -> Path:
    path = stacks / f"{name}.yaml"
    path.write_text(f"extends: {base}.yaml\n{body}")
    return path


def test_the_docs_quote_the_warning_as_it_is():
    assert f"node_pools.h100.machine: {UNCHECKED}" in (ROOT / "docs" / "machine-types.md").read_text()


def test_families():
    assert [family(m) for m in ("p5.4xlarge", "a3-highgpu-4g", "n1-standard-8", "trn1.2xlarge")] == [
        "p5", "a3-highgpu", "n1-standard", "trn1"]


def test_a_listed_machine_is_the_catalogues_offer(cat):
    offer = cat.machine_for("nvidia-h100", "aws", 8)
    assert pool_machine(cat, "nvidia-h100", "aws", None, None) == PoolMachine(
        offer.machine_type, 8, offer.ami_type, None, listed=True, unchecked="")
    assert pool_machine(cat, "nvidia-h100", "aws", 8, offer.machine_type) == pool_machine(cat, "nvidia-h100", "aws", 8, None)


def test_an_unlisted_machine_of_a_known_family_is_planned_with_what_was_not_checked(cat):
    got = pool_machine(cat, "nvidia-h100", "aws", 1, "p5.4xlarge")
    assert got == PoolMachine("p5.4xlarge", 1, "AL2023_x86_64_NVIDIA", None, listed=False, unchecked=UNCHECKED)
    gcp = pool_machine(cat, "nvidia-h100", "gcp", 4, "a3-highgpu-4g")
    assert (gcp.machine_type, gcp.count, gcp.gcp_accelerator_type, gcp.ami_type, gcp.listed) == (
        "a3-highgpu-4g", 4, "nvidia-h100-80gb", None, False)
    unknown = pool_machine(cat, "nvidia-h100", "aws", 8, "p6-b200.48xlarge")
    assert unknown.unchecked.startswith("p6-b200.48xlarge is not in the catalogue (the catalogue knows no p6-b200 "
                                        "machines): mlstack could not check")


@pytest.mark.parametrize(("accelerator", "count", "machine", "message"), [
    ("nvidia-a100-80gb", 8, "p4d.24xlarge", "p4d.24xlarge carries 8 x nvidia-a100-40gb (the catalogue lists it), not nvidia-a100-80gb"),
    ("nvidia-h100", 4, "p5.48xlarge", "p5.48xlarge carries 8 x nvidia-h100 (the catalogue lists it), not 4. Set gpus_per_node: 8, "
                                      "or remove gpus_per_node"),
    ("nvidia-h100", None, "p5.4xlarge", "p5.4xlarge is not in the catalogue, so mlstack cannot know how many nvidia-h100 it "
                                        "carries: set gpus_per_node"),
    ("nvidia-h100", 1, "m6i.xlarge", "m6i.xlarge is a CPU machine type (the catalogue lists it without accelerators). Name a "
                                     "machine that carries nvidia-h100 (`mlstack catalog accelerators --cloud aws`), or remove "
                                     "accelerator for a CPU pool"),
    ("nvidia-h100", 2, "g5.2xlarge", "g5 machines carry nvidia-a10g in the catalogue, not nvidia-h100; nvidia-h100 is on p5 "
                                     "machines. Name one of those, or another accelerator"),
    ("nvidia-a10g", 1, "a2-highgpu-1g", "nvidia-a10g is not offered on gcp in the catalogue (it is on aws), so mlstack does "
                                        "not know the node image or accelerator type its nodes need"),
])
def test_what_contradicts_the_catalogue_is_refused(cat, accelerator, count, machine, message):
    cloud = "gcp" if machine.startswith("a2-") else "aws"
    with pytest.raises(CatalogError) as exc:
        pool_machine(cat, accelerator, cloud, count, machine)
    assert str(exc.value) == message


def test_validate_accepts_it_and_warns_with_the_line(stacks, capsys):
    path = _overlay(stacks, "direct", "staging", POOL.format(machine="p5.4xlarge", count=1))
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct"]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: valid (aws, 3 node pools, protect off)\n"
    assert err == f"warning: {path}:5:5: node_pools.h100.machine: {UNCHECKED}\n"
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct", "--format", "json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True and report["warnings"] == [
        {"file": str(path), "line": 5, "column": 5, "path": "node_pools.h100.machine", "message": UNCHECKED}]


@pytest.mark.parametrize(("machine", "count", "line", "message"), [
    ("P5.4XL", 1, "5:5", "node_pools.h100.machine: 'P5.4XL' is not a aws machine type name (e.g. m6i.xlarge)"),
    ("p5.4xlarge", 17, "6:5", "node_pools.h100.gpus_per_node: must be <= 16, got 17"),
    ("g5.2xlarge", 2, "5:5", "node_pools.h100.machine: g5 machines carry nvidia-a10g in the catalogue, not nvidia-h100"),
])
def test_malformed_forms_are_located(stacks, capsys, machine, count, line, message):
    path = _overlay(stacks, "direct", "staging", POOL.format(machine=machine, count=count))
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: {message}" in err


def test_a_gpu_count_the_catalogue_lacks_points_at_the_escape_hatch(stacks, capsys):
    path = _overlay(stacks, "direct", "staging", "node_pools:\n  h100: {accelerator: nvidia-h100, gpus_per_node: 1}\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct"]) == 2
    assert (f"{path}:3:36: node_pools.h100.gpus_per_node: nvidia-h100 on aws is offered with 8 per node, not 1 (or name "
            "a machine type the catalogue does not list: machine: <type>)") in capsys.readouterr().err


def test_multi_node_on_an_unlisted_machine_is_refused(stacks, capsys):
    _overlay(stacks, "direct", "staging", POOL.format(machine="p5.4xlarge", count=1) + "    multi_node: true\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct"]) == 2
    assert "node_pools.h100.multi_node: p5.4xlarge has no EFA (catalogue interconnect.aws; a machine the catalogue " \
           "does not list counts as none)" in capsys.readouterr().err


def test_a_tpu_pool_still_takes_its_machine_from_the_topology(stacks, capsys):
    _overlay(stacks, "direct", "gcp-staging", "node_pools:\n  v5e: {machine: ct5lp-hightpu-8t}\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "direct"]) == 2
    assert ("node_pools.v5e.machine: TPU pools take their machine type from the topology (the catalogue). Remove "
            "machine") in capsys.readouterr().err


def test_the_plan_uses_it_and_warns(stacks, capsys):
    from mlstack.engine.review.planning import plan_env

    # prod's Cluster Autoscaler: the pool is a managed node group (staging's Karpenter would make it a NodePool).
    path = _overlay(stacks, "direct", "prod", POOL.format(machine="p5.4xlarge", count=1))
    plan = plan_env("direct", stacks)
    (group,) = [r.inputs for r in plan.of_type("aws:eks/nodeGroup:NodeGroup") if r.name == "acme-ml-direct-h100"]
    assert (group["instanceTypes"], group["amiType"], group["scalingConfig"]["maxSize"]) == (
        ["p5.4xlarge"], "AL2023_x86_64_NVIDIA", 2)
    assert group["labels"]["mlstack.io/accelerator"] == "nvidia-h100"
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in group["taints"]
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "direct"]) == 0
    assert capsys.readouterr().err == f"warning: {path}:5:5: node_pools.h100.machine: {UNCHECKED}\n"


def test_gcp_plans_the_guest_accelerator_of_the_family(stacks):
    from mlstack.engine.review.planning import plan_env

    # gcp-staging's a100 is a ComputeClass, whose node auto-provisioning limits need every pool's size (a spec rule,
    # tests/spec/test_compute_class_spec.py): here it is a node pool again.
    body = POOL.format(machine="a3-highgpu-4g", count=4) + "  a100: {capacity: [], reservation: null, spot: true}\n"
    _overlay(stacks, "gdirect", "gcp-staging", body)
    plan = plan_env("gdirect", stacks)
    (pool,) = [r.inputs for r in plan.of_type("gcp:container/nodePool:NodePool") if r.name == "acme-ml-gdirect-h100-pool"]
    assert pool["nodeConfig"]["machineType"] == "a3-highgpu-4g"
    assert [(g["type"], g["count"]) for g in pool["nodeConfig"]["guestAccelerators"]] == [("nvidia-h100-80gb", 4)]
    assert "placementPolicy" not in pool


def test_parity_sees_the_pool_by_its_accelerator(stacks):
    from mlstack.engine.review.parity import capability
    from mlstack.engine.review.planning import plan_env

    _overlay(stacks, "direct", "staging", POOL.format(machine="p5.4xlarge", count=1))
    cell = capability(plan_env("direct", stacks), "accelerators")
    assert (cell.status, cell.detail) == ("native", "nvidia-a100-80gb, nvidia-h100")


def test_cost_shows_it_as_unknown(stacks):
    from mlstack.engine.review.cost import estimate
    from mlstack.engine.review.planning import plan_env

    _overlay(stacks, "direct", "prod", POOL.format(machine="p5.4xlarge", count=1))
    report = estimate(plan_env("direct", stacks))
    (pool,) = [p for p in report.pools if p.name == "h100"]
    assert (pool.machine, pool.node_hourly) == ("p5.4xlarge", None)
    assert report.complete is False
    assert "node pool h100: p5.4xlarge in us-west-2 (on-demand)" in report.missing
