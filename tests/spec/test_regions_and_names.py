"""Plainly wrong values fail validate: a region the cloud does not have (the catalogue's dated list, with the
closest name), names the cloud would refuse (its rule named), and every problem of an overlay blamed on the
overlay's own file and line, whatever the kind of field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlstack.catalog import load_catalog
from mlstack.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def stacks(tmp_path):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    return tmp_path / "stacks"


def _problems(stacks: Path, env: str, capsys) -> list[dict]:
    assert main(["--stacks-dir", str(stacks), "validate", "--env", env, "--format", "json"]) == 2
    return json.loads(capsys.readouterr().out)["problems"]


def _case(stacks: Path, base: str, text: str, name: str = "case") -> Path:
    path = stacks / f"{name}.yaml"
    path.write_text(f"extends: {base}.yaml\n{text}")
    return path


def test_every_region_is_dated_and_sourced_and_the_catalogue_uses_only_listed_regions():
    cat = load_catalog()
    assert len(cat.regions["aws"]) == 38 and len(cat.regions["gcp"]) == 44
    assert cat.regions["aws"]["us-west-2"].name == "US West (Oregon)"
    assert cat.regions["gcp"]["us-central1"].name == "Council Bluffs, Iowa"
    for cloud, regions in cat.regions.items():
        for code, region in regions.items():
            assert region.checked == "2026-12-02" and region.source.startswith("https://"), (cloud, code)
    # Every other fact about a region names one the list has.
    assert set(cat.availability_zones["aws"]) <= set(cat.regions["aws"])
    tpu_regions = {r for t in cat.tpus.values() for r in t.regions}
    assert tpu_regions <= set(cat.regions["gcp"])


def test_mlstack_catalog_regions_lists_every_region_with_its_date(capsys):
    assert main(["catalog", "regions", "--cloud", "gcp", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    names = {r["region"]: r for r in rows if r["fact"] == "name"}
    assert len(names) == 44
    assert names["africa-south1"] == {"cloud": "gcp", "region": "africa-south1", "fact": "name", "value": "Johannesburg",
                                      "checked": "2026-12-02", "source": "https://cloud.google.com/compute/docs/regions-zones"}


def test_region_facts_are_part_of_the_freshness_check():
    import datetime as dt

    from mlstack.catalog.support import dated_facts, stale_facts

    facts = {f.path: f for f in dated_facts(load_catalog())}
    assert facts["regions.gcp.europe-north2"].source == "https://cloud.google.com/compute/docs/regions-zones"
    stale = stale_facts(load_catalog(), dt.date(2027, 4, 2))  # 2026-12-02 + 121 days
    assert any(s.startswith("regions.aws.us-east-1: checked 2026-12-02, 121 days ago") for s in stale)


@pytest.mark.parametrize(("base", "region", "close", "place", "count"), [
    ("staging", "us-west-3", "us-west-2", "US West (Oregon)", 38),
    ("staging", "eu-centrl-1", "eu-central-1", "Europe (Frankfurt)", 38),
    ("gcp-staging", "europe-west5", "europe-west9", "Paris", 44),
])
def test_an_unknown_region_is_a_spec_error_with_the_closest_name(stacks, capsys, base, region, close, place, count):
    cloud = "aws" if base == "staging" else "gcp"
    case = _case(stacks, base, f"target: {{region: {region}}}\n")
    problems = [p for p in _problems(stacks, "case", capsys) if p["path"] == "target.region"]
    assert problems[0] == {
        "file": str(case), "line": 2, "column": 10, "path": "target.region",
        "message": f"{cloud} has no region {region!r} (the catalogue lists {count} {cloud} regions, checked 2026-12-02: "
                   f"mlstack/catalog/data/regions.yaml). Did you mean {close!r} ({place})? Set one of them, e.g. "
                   f"region: {close}",
    }


def test_every_listed_region_validates(stacks, capsys):
    for region in ("me-central-1", "us-gov-west-1", "cn-northwest-1", "ap-southeast-7"):
        _case(stacks, "staging", f"target: {{region: {region}}}\nnetwork: {{availability_zones: 2}}\n")
        assert main(["--stacks-dir", str(stacks), "validate", "--env", "case"]) == 0, region
    capsys.readouterr()


RDS = ("RDS DB instance identifiers have 1 to 63 letters, digits or hyphens, start with a letter, and neither end "
       "with a hyphen nor contain two consecutive hyphens (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/"
       "API_CreateDBInstance.html)")
GKE = ("GKE cluster names have at most 40 lowercase letters, digits and hyphens, start with a letter and do not end "
       "with a hyphen (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters)")


@pytest.mark.parametrize(("base", "name", "text", "path", "message"), [
    ("staging", "case", "project: acme--ml\n", "project",
     f"aws would refuse the database identifier 'acme--ml-case-tracking-db': {RDS}. Change project or env (the file name)"),
    ("gcp-staging", "platform-staging-eu", "project: acme-machine-learning\n", "project",
     f"gcp would refuse the cluster name 'acme-machine-learning-platform-staging-eu': {GKE}. Change project or env "
     "(the file name)"),
    ("staging", "case", "project: sthree-ml\n", "storage.buckets.artifacts",
     "aws would refuse the bucket name 'sthree-ml-case-artifacts': S3 bucket names must not start with xn--, sthree- "
     "or amzn-s3-demo- (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). Change "
     "storage.buckets.artifacts"),
    ("gcp-staging", "case", "storage:\n  buckets:\n    google-data: {}\n", "storage.buckets.google-data",
     "gcp would refuse the bucket name 'acme-ml-case-google-data': Cloud Storage bucket names must not start with goog "
     "or contain google (or a close misspelling such as g00gle) (https://cloud.google.com/storage/docs/buckets#naming). "
     "Change storage.buckets.google-data"),
    ("staging", "case", "tags: {\"aws:owner\": ml}\n", "tags.aws:owner",
     "aws would refuse the tag key 'aws:owner': AWS tag keys have 1 to 128 letters, digits, spaces and _ . : / = + - @, "
     "and the aws: prefix is reserved (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html). "
     "Change tags.aws:owner"),
    ("staging", "case", "tags: {owner: \"ml#platform\"}\n", "tags.owner",
     "aws would refuse the tag value 'ml#platform': AWS tag values have at most 256 letters, digits, spaces and "
     "_ . : / = + - @ (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html). Change tags.owner"),
    ("gcp-staging", "case", "tags: {owner: \"ML Platform\"}\n", "tags.owner",
     "gcp would refuse the tag value 'ML Platform': GCP label values have at most 63 lowercase letters, digits, _ and -"
     " (https://cloud.google.com/resource-manager/docs/labels-overview#requirements). Change tags.owner"),
])
def test_names_the_cloud_would_refuse(stacks, capsys, base, name, text, path, message):
    case = _case(stacks, base, text, name)
    problems = _problems(stacks, name, capsys)
    found = [p for p in problems if p["path"] == path]
    assert [p["message"] for p in found] == [message]
    assert found[0]["file"] == str(case) or path == "storage.buckets.artifacts"  # that key is written in base.yaml


def test_the_same_tags_pass_on_aws_and_are_refused_on_gcp_without_a_silent_rewrite(stacks, capsys):
    _case(stacks, "staging", "tags: {Team: \"ML Platform\"}\n", "aws-case")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "aws-case"]) == 0
    _case(stacks, "gcp-staging", "tags: {Team: \"ML Platform\"}\n", "gcp-case")
    capsys.readouterr()
    paths = [(p["path"], p["message"].split(":")[0]) for p in _problems(stacks, "gcp-case", capsys)]
    assert paths == [("tags.Team", "gcp would refuse the tag key 'Team'"), ("tags.Team", "gcp would refuse the tag value 'ML Platform'")]


# Overlay blame: each kind of field, set wrongly in an overlay (of an overlay), is reported at the overlay's line.
BLAME = [
    ("a string", "target:\n  region: us-west-3\n", "target.region", 4),
    ("a literal", "cluster:\n  endpoint: open\n", "cluster.endpoint", 4),
    ("a whole number", "tracking:\n  replicas: 0\n", "tracking.replicas", 4),
    ("true or false", "network:\n  single_nat_gateway: 3\n", "network.single_nat_gateway", 4),
    ("a list item", "cluster:\n  endpoint: public\n  allowed_cidrs:\n    - 10.0.0.0/8\n    - 10.0.0.1/8\n", "cluster.allowed_cidrs.1", 7),
    ("an unknown key in a map entry", "node_pools:\n  system:\n    colour: red\n", "node_pools.system.colour", 5),
    ("a map key", "storage:\n  buckets:\n    cluster: {}\n", "storage.buckets.cluster", 5),
    ("a map of strings' value", "tags:\n  owner: \"ml#platform\"\n", "tags.owner", 4),
    ("a field of a map entry", "teams:\n  research:\n    gpu_quota: 5000\n", "teams.research.gpu_quota", 5),
    ("a cross-field rule", "tracking:\n  artifacts_bucket: models\n", "tracking.artifacts_bucket", 4),
    ("a flow mapping", "node_pools: {system: {min: 3, max: 2}}\n", "node_pools.system.max", 3),
    ("a waiver", "waivers:\n  MLS-NOPE-001: because\n", "waivers.MLS-NOPE-001", 4),
    ("a pool's label", "node_pools:\n  system:\n    labels: {mlstack.io/pool: x}\n", "node_pools.system.labels.mlstack.io/pool", 5),
]


@pytest.mark.parametrize(("kind", "text", "path", "line"), BLAME, ids=[b[0] for b in BLAME])
def test_a_problem_in_an_overlay_is_blamed_on_the_overlay_line(stacks, capsys, kind, text, path, line):
    (stacks / "mid.yaml").write_text("extends: staging.yaml\n# an overlay between\n")
    case = _case(stacks, "mid", "# the overlay that holds the value\n" + text)
    found = [p for p in _problems(stacks, "case", capsys) if p["path"] == path]
    assert [(p["file"], p["line"]) for p in found] == [(str(case), line)], kind


def test_a_value_the_base_holds_is_blamed_on_the_base(stacks, capsys):
    """The overlay shrinks the GPU pool to one L4; the quota that no longer fits is written in base.yaml, so that
    is where the problem points (the value's own line and column)."""
    _case(stacks, "staging", "node_pools:\n  a100: {accelerator: nvidia-l4, gpus_per_node: 1}\n")
    found = [p for p in _problems(stacks, "case", capsys) if p["path"] == "teams.research.gpu_quota"]
    base = (stacks / "base.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(base, 1) if "research: {group: research, gpu_quota: 8}" in text)
    assert [(p["file"], p["line"]) for p in found] == [(str(stacks / "base.yaml"), line)]
