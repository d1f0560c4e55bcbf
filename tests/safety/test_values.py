"""Values a schema cannot judge are spec errors before the engine: networks, zones, sizes, quotas, pools, names."""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest import mock

import pytest

from mlstack.cli import main
from mlstack.spec import SpecError, load_spec
from stack_text import with_sections

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    dst = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", dst, ignore=shutil.ignore_patterns("*.lock.json"))
    monkeypatch.chdir(tmp_path)
    return dst


def edit(stacks: Path, env: str, old: str, new: str) -> None:
    path = stacks / f"{env}.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def add(stacks: Path, env: str, extra: str) -> None:
    """Merges the top-level YAML ``extra`` into ``<env>.yaml`` (into sections it already has)."""
    path = stacks / f"{env}.yaml"
    path.write_text(with_sections(path.read_text(), extra))


def problems(stacks: Path, env: str) -> list[str]:
    """The problems of planning ``env``, asserting the engine never registered a resource."""
    from mlstack.engine.review.planning import plan_env

    with mock.patch("mlstack.engine.plan.recorder.record") as record, pytest.raises(SpecError) as e:
        plan_env(env, stacks)
    assert record.call_count == 0
    return [f"{p.path}: {p.message}" for p in e.value.problems]


AWS_NET = "target:\n  cloud: aws\n  region: us-west-2\n"


@pytest.mark.parametrize(("cidr", "message"), [
    ("10.0.0.1/16", "network.cidr: 10.0.0.1/16 has host bits set: the network is 10.0.0.0/16. Write 10.0.0.0/16"),
    ("999.0.0.0/16", "network.cidr: '999.0.0.0/16' is not an IPv4 network"),
    ("10.0.0.0/8", "network.cidr: a /8 network; on aws it must be /16 to /24 (e.g. 10.0.0.0/16)"),
    ("10.0.0.0/28", "network.cidr: a /28 network; on aws it must be /16 to /24"),
])
def test_aws_network_cidr(stacks, cidr, message):
    edit(stacks, "staging", AWS_NET, AWS_NET + f"network: {{cidr: {cidr}}}\n")
    assert message in "\n".join(problems(stacks, "staging"))


@pytest.mark.parametrize(("cidr", "what"), [
    ("10.4.0.0/16", "pods range 10.4.0.0/14"),
    ("10.8.0.0/16", "services range 10.8.0.0/20"),
    ("10.20.0.0/16", "private services access range 10.20.0.0/16"),
    ("172.16.0.0/16", "control plane range 172.16.0.0/28"),
    ("10.0.0.0/8", ""),  # the node subnet is its first /20, 10.0.0.0/20
])
def test_gcp_network_must_not_overlap_the_clusters_own_ranges(stacks, cidr, what):
    edit(stacks, "gcp-staging", "node_pools:", f"network: {{cidr: {cidr}}}\nnode_pools:")
    if cidr == "10.0.0.0/8":  # only its first /20 is the node subnet: clear of the reserved ranges
        assert load_spec("gcp-staging", stacks).network.cidr == cidr
        return
    found = problems(stacks, "gcp-staging")
    assert any(p.startswith("network.cidr: the node subnet ") and f"overlaps the cluster's {what}" in p for p in found), found


def test_allowed_and_egress_cidrs_are_networks(stacks):
    add(stacks, "staging", "cluster: {endpoint: public, allowed_cidrs: [203.0.113.7/24]}\n")
    edit(stacks, "staging", "  research:\n", "  research:\n    egress_cidrs: [10.1.2.3/8]\n")
    assert problems(stacks, "staging") == [
        "cluster.allowed_cidrs.0: 203.0.113.7/24 has host bits set: the network is 203.0.113.0/24. Write 203.0.113.0/24",
        "teams.research.egress_cidrs.0: 10.1.2.3/8 has host bits set: the network is 10.0.0.0/8. Write 10.0.0.0/8",
    ]


def test_availability_zones_the_region_lacks(stacks):
    edit(stacks, "staging", "region: us-west-2", "region: us-west-1")
    edit(stacks, "staging", AWS_NET.replace("us-west-2", "us-west-1"),
         AWS_NET.replace("us-west-2", "us-west-1") + "network: {availability_zones: 3}\n")
    assert problems(stacks, "staging") == [
        "network.availability_zones: us-west-1 offers an account 2 availability zones, not 3 (catalogue of "
        f"{__import__('mlstack.catalog', fromlist=['x']).load_catalog().as_of}). Set availability_zones: 2 or less"]
    edit(stacks, "staging", "region: us-west-1", "region: us-east-1")
    edit(stacks, "staging", "availability_zones: 3", "availability_zones: 6")
    assert load_spec("staging", stacks).network.availability_zones == 6


BIG = "1" + "0" * 24


@pytest.mark.parametrize(("field", "old", "new", "limit"), [
    ("storage.shared.size_gib", None, f"storage: {{shared: {{size_gib: {BIG}}}}}", "1048576"),
    ("registry.untagged_expiry_days", "protect: false", f"protect: false\nregistry: {{untagged_expiry_days: {BIG}}}", "3650"),
    ("teams.research.cpu_quota", "  research:\n", f"  research:\n    cpu_quota: {BIG}\n", "100000"),
    ("teams.research.memory_quota_gib", "  research:\n", f"  research:\n    memory_quota_gib: {BIG}\n", "1048576"),
    ("node_pools.system.min", "min: 2, max: 4", f"min: {BIG}", "1000"),
])
def test_sizes_that_would_overflow_the_cost_estimate(stacks, capsys, field, old, new, limit):
    if old is None:
        add(stacks, "staging", new)
    else:
        edit(stacks, "staging", old, new)
    found = problems(stacks, "staging")
    assert any(p.startswith(f"{field}: must be <= {limit}") for p in found), found
    assert main(["--stacks-dir", str(stacks), "cost", "--env", "staging"]) == 2
    assert "internal error" not in capsys.readouterr().err


def test_tpu_quota_above_what_the_slices_provide(stacks):
    edit(stacks, "gcp-staging", "tpu_quota: 16", "tpu_quota: 17")  # one 4x4 v5e slice = 16 chips
    assert problems(stacks, "gcp-staging") == [
        "teams.research.tpu_quota: 17 TPU chips is more than the TPU pools can ever provide (16 chips at their max "
        "slices). Lower tpu_quota or raise a TPU pool's max"]
    edit(stacks, "gcp-staging", "    max: 1\n    spot: true\nteams", "    max: 2\n    spot: true\nteams")
    assert load_spec("gcp-staging", stacks).teams["research"].tpu_quota == 17


def test_an_environment_without_node_pools(stacks):
    text = (stacks / "staging.yaml").read_text()
    start, end = text.index("\nnode_pools:") + 1, text.index("\nteams:") + 1  # the top-level sections
    (stacks / "staging.yaml").write_text(text[:start] + text[end:])
    found = problems(stacks, "staging")
    assert any(p.startswith("node_pools: an environment needs at least one node pool: without nodes nothing runs")
               for p in found), found


def test_two_environments_with_the_same_cloud_identifiers(stacks, capsys):
    # acme-ml + prod-eu and acme-ml-prod + eu both make acme-ml-prod-eu-...
    (stacks / "prod-eu.yaml").write_text((stacks / "staging.yaml").read_text())
    (stacks / "eu.yaml").write_text((stacks / "staging.yaml").read_text() + "project: acme-ml-prod\n")
    found = problems(stacks, "eu")
    assert found == ["project: eu and prod-eu.yaml both name their resources acme-ml-prod-eu-... on aws (project + env): "
                     "they would create the same buckets, roles and clusters. Change project or rename one environment"]
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "prod-eu"]) == 2
    assert "prod-eu and eu.yaml both name their resources acme-ml-prod-eu-..." in capsys.readouterr().err
