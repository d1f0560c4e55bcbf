"""The catalogue's integrity: broken copies are refused with the bad fact's path, models are strict and frozen,
the load is cached and fast, and the catalogue imports no Pulumi. (Look-ups: test_catalog.py.)

The loader's checks are tested here, through broken copies of the data, and nowhere restated over the shipped
data: the shipped catalogue loading at all is that check.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pydantic
import pytest

from mlstack.catalog import DATA_DIR, CatalogError, load_catalog, parse_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


# -- strictness and broken copies ------------------------------------------------------------------------------


def test_models_are_frozen(cat):
    with pytest.raises(pydantic.ValidationError):
        cat.versions.kubernetes = "1.20"  # type: ignore[misc]


@pytest.fixture
def broken(tmp_path: Path):
    """Copy the data files; ``edit(name, old, new)`` changes one, then ``parse_catalog`` the copy."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)

    def edit(name: str, old: str, new: str) -> str:
        path = data / name
        text = path.read_text()
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new))
        with pytest.raises(CatalogError) as exc:
            parse_catalog(data)
        return str(exc.value)

    return edit


def test_broken_topology_chips_and_node_count(broken, tmp_path):
    old = "4x4: {topology: 4x4, chips: 16, machine_type: ct5lp-hightpu-4t, chips_per_vm: 4, nodes: 4}"
    msg = broken("tpus.yaml", old, old.replace("nodes: 4", "nodes: 3"))
    assert "tpus.tpu-v5e.topologies.4x4: nodes 3 x chips_per_vm 4 != chips 16" in msg
    msg = broken("tpus.yaml", old.replace("nodes: 4", "nodes: 3"), old.replace("chips: 16", "chips: 12").replace("nodes: 4", "nodes: 3"))
    assert "tpus.tpu-v5e.topologies.4x4: chips 12 is not the product of the topology" in msg


def test_broken_latest_tag(broken):
    msg = broken("versions.yaml", 'tag: "3.0.0"', 'tag: "latest"')
    assert "versions.images.registry: tag 'latest' is not a pin" in msg


def test_broken_pulumi_cli_pin(broken):
    msg = broken("versions.yaml", 'pulumi_cli: "3.272.0"', 'pulumi_cli: "latest"')
    assert "versions.pulumi_cli" in msg


def test_broken_missing_price(broken):
    msg = broken("prices.yaml", "      g5.xlarge:\n", "      g5.xlarge-old:\n")
    assert "prices.machines.aws: no price for g5.xlarge" in msg


def test_broken_unknown_key(broken):
    msg = broken("filestore.yaml", "BASIC_SSD: {min_capacity_gib: 2560,", "BASIC_SSD: {min_capcity_gib: 2560,")
    assert "filestore_tiers.BASIC_SSD.min_capcity_gib: Extra inputs are not permitted" in msg


def test_broken_ami_type(broken):
    msg = broken("accelerators.yaml", "g5.xlarge, count: 1, vcpus: 4, memory_gib: 16, ami_type: AL2023_x86_64_NVIDIA",
                 "g5.xlarge, count: 1, vcpus: 4, memory_gib: 16, ami_type: AL2_x86_64_GPU")  # fmt: skip
    assert "accelerators.nvidia-a10g.offers.aws.g5.xlarge: ami_type 'AL2_x86_64_GPU' not one of" in msg


G5 = "{machine_type: g5.xlarge, count: 1, vcpus: 4, memory_gib: 16, ami_type: AL2023_x86_64_NVIDIA}"
G2 = "{machine_type: g2-standard-4, count: 1, vcpus: 4, memory_gib: 16, gcp_accelerator_type: nvidia-l4, flex_start: true}"


@pytest.mark.parametrize(("old", "new", "problem"), [
    (G5, G5.replace("}", ", flex_start: true}"), "offers.aws.g5.xlarge: flex_start is for gcp gpu offers only"),
    (G5, G5.replace(", ami_type: AL2023_x86_64_NVIDIA", ""), "offers.aws.g5.xlarge: aws gpu offers need ami_type"),
    (G2, G2.replace("}", ", ami_type: AL2023_x86_64_NVIDIA}"),
     "offers.gcp.g2-standard-4: ami_type is for aws gpu/tpu/trainium offers only"),
    (G2, G2.replace(", gcp_accelerator_type: nvidia-l4", ""), "offers.gcp.g2-standard-4: gcp gpu offers need gcp_accelerator_type"),
], ids=["flex-start-on-aws", "aws-without-ami", "ami-on-gcp", "gcp-gpu-without-guest-type"])
def test_broken_offer_fields_against_the_clouds_offer_schema(broken, old, new, problem):
    """accelerators.yaml ``offer_fields``: each cloud's offers carry the fields its mapping reads, and no other."""
    assert problem in broken("accelerators.yaml", old, new)


def test_broken_missing_sources(broken):
    msg = broken("filestore.yaml", "sources:\n", "references:\n")
    assert msg == "filestore.yaml: every catalogue file needs `sources:` and `as_of:`"


def test_broken_duplicate_top_level_key(broken, tmp_path):
    extra = tmp_path / "data" / "zz.yaml"
    extra.write_text('as_of: "2026-11-29"\nsources: []\nfilestore_tiers: {}\n')
    with pytest.raises(CatalogError, match=r"^zz.yaml: top-level key 'filestore_tiers' is defined in two files"):
        parse_catalog(tmp_path / "data")


# -- speed and layering ----------------------------------------------------------------------------------------


def test_load_is_cached_and_fast():
    first = load_catalog()
    t0 = time.perf_counter()
    again = load_catalog()
    cached = time.perf_counter() - t0
    assert again is first
    t0 = time.perf_counter()
    parse_catalog(DATA_DIR)
    parse = time.perf_counter() - t0
    assert cached < parse / 10
    assert parse < 0.5  # about 10 ms on the dev machine; generous for a loaded CI runner


def test_catalog_imports_no_pulumi():
    code = "import sys, mlstack.catalog as c; c.load_catalog(); print(sorted(m for m in sys.modules if 'pulumi' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    for path in Path(DATA_DIR).parent.glob("*.py"):
        text = path.read_text()
        assert "import pulumi" not in text and "from pulumi" not in text, path


def test_pulumi_cli_pin_meets_the_minimum_cli():
    """The pipelines install exactly this CLI: it must be one mlstack accepts (refresh/destroy need --client)."""
    from mlstack.engine.deploy.workspace import MIN_PULUMI_CLI

    pin = tuple(int(x) for x in load_catalog().versions.pulumi_cli.split("."))
    assert pin >= MIN_PULUMI_CLI
