"""CLI: check, cost, parity and diff on the example stacks; diff --base against a throwaway git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--stacks-dir", str(STACKS), *args]) if "--stacks-dir" not in args else main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_example_stacks_pass_every_mandatory_rule(capsys):
    code, out, _ = run(capsys, "check", "--env", "prod", "--format", "json", "--fail-on", "mandatory")
    data = json.loads(out)
    assert code == 0 and data["protected"] is True and data["counts"]["mandatory_violations"] == 0
    assert len(data["rules"]) >= 30


def test_check_table_and_advisory_gate(capsys):
    code, out, err = run(capsys, "check", "--env", "staging", "--fail-on", "advisory")
    assert out.startswith("Policy check of staging (not protected: rules are advisory)")
    assert "FAIL   MLS-AWS-017  advisory" in out
    assert code == 3 and "gate failed: --fail-on advisory" in err


def test_unknown_waiver_is_a_spec_error(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    with (stacks / "staging.yaml").open("a") as f:
        f.write("waivers:\n  MLS-NOPE-001: because\n")
    code, _, err = run(capsys, "--stacks-dir", str(stacks), "check", "--env", "staging")
    assert code == 2
    assert "staging.yaml" in err and "waivers.MLS-NOPE-001: unknown policy rule 'MLS-NOPE-001'. Known rules: MLS-AWS-001" in err


def test_cost_states_the_price_table(capsys):
    code, out, _ = run(capsys, "cost", "--env", "staging")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Cost of staging (aws us-west-2), USD, 730 h/month"
    assert lines[1].startswith("Prices as of 2026-11-29: ")
    # staging's A100 pool is a Karpenter NodePool priced as its first capacity type (a Capacity Block: on-demand).
    assert any(line.split()[:4] == ["a100", "p4de.24xlarge", "on-demand", "0-1"] for line in lines)


def test_diff_between_environments_shows_only_real_differences(capsys):
    code, out, _ = run(capsys, "diff", "--env", "staging", "--env", "prod", "--format", "json")
    data = json.loads(out)
    (entry,) = data["envs"]
    assert code == 0 and entry["env"] == "staging..prod"
    paths = {(c["name"], p["path"]) for c in entry["changes"] for p in c["properties"]}
    assert ("acme-ml-<env>-system", "instanceTypes") in paths
    assert all("staging" not in c["urn"] for c in entry["changes"])
    assert not any(p.endswith(("bucket", "kmsKeyId")) for _, p in paths), "mock ids leaked into the comparison"


def test_diff_needs_a_base_or_two_envs(capsys):
    code, _, err = run(capsys, "diff", "--env", "staging")
    assert code == 2 and "give --base REF" in err


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(STACKS, tmp_path / "stacks", ignore=shutil.ignore_patterns("prod.yaml", "*.lock.json"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "stacks")
    _git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_diff_against_git_ref(repo, capsys):
    staging = repo / "stacks" / "staging.yaml"
    staging.write_text(staging.read_text().replace("min: 0\n    max: 1", "min: 0\n    max: 3"))
    shutil.copy(STACKS / "prod.yaml", repo / "stacks" / "prod.yaml")  # new environment, not at the ref
    code, out, err = run(capsys, "--stacks-dir", str(repo / "stacks"), "diff", "--base", "HEAD", "--format", "markdown",
                         "--fail-on", "delete")
    assert code == 0, err
    assert "| prod (new) |" in out
    # staging's a100 is a Karpenter NodePool: its recorded max and its limits (3 x p4de.24xlarge) update in place.
    assert "    metadata.annotations.mlstack.io/max-nodes: 1 -> 3" in out
    assert "    spec.limits.nvidia.com/gpu: 8 -> 24" in out
    # Three nodes of the multi-node a100 pool, and research's queue (8 GPUs + 100% borrowing) holds two: the NCCL
    # check comes on (its runtime, Role, RoleBinding and ConfigMap: 4 creates), and the suspended verification
    # Job and its script ConfigMap, whose contents change, are replaced; the a100 pool's GPU Job mounts that
    # ConfigMap by name, so it is at risk (an update: the cascade, docs/review.md), beside the NodePool's update;
    # the GPU dashboard (component and ConfigMap) depends on what is replaced, so it is at risk too.
    assert "| staging | 4 | 4 | 2 | 0 |" in out
    assert subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout.count("\n") == 2


def test_diff_bad_ref(repo, capsys):
    code, _, err = run(capsys, "--stacks-dir", str(repo / "stacks"), "diff", "--base", "nope", "--env", "staging")
    assert code == 2 and "--base nope: no such commit" in err


def test_cost_gcp_staging_exact_figures(capsys):
    code, out, _ = run(capsys, "cost", "--env", "gcp-staging", "--format", "json")
    data = json.loads(out)
    # Managed Lustre has no verified price in the catalogue: listed, counted as 0, never guessed.
    assert code == 0 and data["fixed_price_fallback"] is None
    assert data["missing_prices"] == ["acme-ml-gcp-staging-scratch: Managed Lustre zonal instance 9000 GiB, 1000 MB/s/TiB = 9000 MB/s"]
    assert data["scratch"] == [{"name": "acme-ml-gcp-staging-scratch", "what": "Managed Lustre zonal instance 9000 GiB, 1000 MB/s/TiB = 9000 MB/s",
                                "size_gib": 9000, "throughput_mb_s": 9000, "monthly": 0.0, "priced": False}]
    pools = {p["name"]: (p["machine"], p["spot"], p["min_nodes"], p["max_nodes"], p["monthly_min"], p["monthly_max"])
             for p in data["pools"]}
    assert pools == {
        # A ComputeClass priced as its first priority, the reservation: at the on-demand rate (40.5504 x 730 h).
        "a100": ("a2-ultragpu-8g", False, 0, 1, 0.0, 29601.79),
        "system": ("n2-standard-4", False, 2, 4, 283.53, 567.06),
        "v5e": ("ct5lp-hightpu-4t", True, 0, 4, 0.0, 5606.40),
    }
    fixed = {f["what"]: f["monthly"] for f in data["fixed"]}
    assert fixed == {
        "GKE cluster management fee": 73.0,
        "Cloud NAT gateway (hourly, data processed extra)": 32.12,
        "Cloud SQL db-custom-2-7680": 98.62,
        "Cloud SQL storage 50 GiB": 8.5,
        # the shared volume is carved out of the Filestore instance (NFS subdir provisioner): its capacity is billed
        "Filestore BASIC_HDD 1024 GiB (provisioned)": 204.8,
        "Managed Lustre zonal instance 9000 GiB, 1000 MB/s/TiB = 9000 MB/s": 0.0,
    }
    assert data["total"] == {"complete": False, "hourly_min": 0.9597, "hourly_max": 49.5785,
                             "monthly_min": 700.57, "monthly_max": 36192.29}


def test_bad_format_names_the_choices(capsys):
    code, _, err = run(capsys, "diff", "--env", "staging", "--env", "prod", "--format", "html")
    assert code == 2 and "'html' is not one of: text, markdown, json" in err and "Value error" not in err
    code, _, err = run(capsys, "cost", "--env", "staging", "--format", "yaml")
    assert code == 2 and "'yaml' is not one of: table, json" in err


def test_waiver_for_another_cloud_is_reported_unused(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    with (stacks / "staging.yaml").open("a") as f:
        f.write("waivers:\n  MLS-GCP-003: logs go elsewhere\n")
    code, out, err = run(capsys, "--stacks-dir", str(stacks), "check", "--env", "staging")
    assert code == 0
    assert "           not applicable (waiver unused): logs go elsewhere" in out
    assert not any(line.startswith("  WAIVED") for line in out.splitlines())
    assert ", 0 waived, " in out and "(1 with an unused waiver)" in out
    assert "warning:" in err and "waivers.MLS-GCP-003 is unused: the rule is about gcp" in err


def test_diff_fails_mandatory_gate_on_deleting_protected_data(tmp_path, capsys):
    shutil.copytree(STACKS, tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "stacks")
    _git(tmp_path, "commit", "-q", "-m", "base")
    base = tmp_path / "stacks" / "base.yaml"
    base.write_text(base.read_text().replace("    datasets: {versioning: true}\n", ""))
    code, out, err = run(capsys, "--stacks-dir", str(tmp_path / "stacks"), "diff", "--base", "HEAD", "--env", "prod",
                         "--fail-on", "mandatory")
    assert code == 3  # EXIT_GATE: the report is complete, a gate failed
    assert "BLOCKING: deletes a protected resource" in out
    assert "gate failed: --fail-on mandatory: prod deletes or replaces" in err
