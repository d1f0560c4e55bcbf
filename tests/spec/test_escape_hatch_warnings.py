"""The machine-type escape hatch's warnings, from one source (``mlstack.spec.notices``), in every command that
reports on a spec: validate and plan (tests/spec/test_direct_machine.py), the JSON plan, check, cost (which says
why the pool is unpriced), diff (text, JSON, the pull-request comment) against environments and against git."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]
UNCHECKED = ("p5.4xlarge is not in the catalogue (its family p5 carries nvidia-h100): mlstack could not check that "
             "it exists in the region with 1 x nvidia-h100, its vCPUs and memory, its price (cost shows it as unknown) "
             "or its fast networking (multi_node stays off unless the catalogue lists it)")
OVERLAY = "extends: staging.yaml\nnode_pools:\n  h100:\n    accelerator: nvidia-h100\n    machine: p5.4xlarge\n    gpus_per_node: 1\n    max: 2\n"


@pytest.fixture
def stacks(tmp_path):
    folder = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", folder)
    (folder / "direct.yaml").write_text(OVERLAY)
    return folder


def _warning(stacks: Path) -> dict:
    return {"file": str(stacks / "direct.yaml"), "line": 5, "column": 5, "path": "node_pools.h100.machine", "message": UNCHECKED}


def _line(stacks: Path) -> str:
    w = _warning(stacks)
    return f"warning: {w['file']}:{w['line']}:{w['column']}: {w['path']}: {UNCHECKED}\n"


def _why(stacks: Path) -> str:
    # staging (which direct extends) provisions its pools with Karpenter: the pool is a NodePool, whose note says so.
    return (f"Karpenter NodePool, priced as its first capacity type (on-demand); no price in the table: p5.4xlarge is named by the spec (node_pools.h100.machine, {stacks / 'direct.yaml'}:5), "
            "not listed in the catalogue")


def _run(stacks: Path, capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--stacks-dir", str(stacks), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_locates_it_where_the_overlay_holds_it(stacks, capsys):
    code, out, err = _run(stacks, capsys, "validate", "--env", "direct", "--format", "json")
    assert code == 0 and json.loads(out)["warnings"] == [_warning(stacks)] and err == ""


def test_the_json_plan_carries_a_warnings_array(stacks, capsys):
    code, out, err = _run(stacks, capsys, "plan", "--env", "direct", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["warnings"] == [_warning(stacks)] and err == _line(stacks)
    (h100,) = [p for p in doc["cost"]["pools"] if p["name"] == "h100"]
    assert h100["note"] == _why(stacks)
    # Every JSON plan has the array, empty where mlstack checked everything.
    code, out, err = _run(stacks, capsys, "plan", "--env", "staging", "--format", "json")
    assert json.loads(out)["warnings"] == [] and err == ""


def test_check_prints_it_and_its_json_carries_it(stacks, capsys):
    code, out, err = _run(stacks, capsys, "check", "--env", "direct", "--as-of", "2026-12-02")
    assert code == 0 and err == _line(stacks) and out.startswith("Policy check of direct")
    code, out, err = _run(stacks, capsys, "check", "--env", "direct", "--as-of", "2026-12-02", "--format", "json")
    assert json.loads(out)["warnings"] == [_warning(stacks)]
    code, out, err = _run(stacks, capsys, "check", "--env", "staging", "--as-of", "2026-12-02", "--format", "json")
    assert json.loads(out)["warnings"] == [] and err == ""


def test_cost_says_why_the_pool_is_unpriced(stacks, capsys):
    code, out, err = _run(stacks, capsys, "cost", "--env", "direct")
    assert code == 0 and err == _line(stacks)
    (row,) = [line for line in out.splitlines() if line.startswith("  h100 ")]
    assert row.endswith(f"  ({_why(stacks)})")
    assert f"  warnings (what mlstack could not check):\n    - {_line(stacks).removeprefix('warning: ')}" in out
    assert "    - node pool h100: p5.4xlarge in us-west-2 (on-demand)\n" in out
    code, out, err = _run(stacks, capsys, "cost", "--env", "direct", "--format", "json")
    report = json.loads(out)
    assert report["warnings"] == [_warning(stacks)] and report["total"]["complete"] is False
    (h100,) = [p for p in report["pools"] if p["name"] == "h100"]
    assert (h100["machine"], h100["node_hourly"], h100["note"]) == ("p5.4xlarge", None, _why(stacks))


def test_diff_between_environments_reports_it_in_text_json_and_the_comment(stacks, capsys):
    code, out, err = _run(stacks, capsys, "diff", "--env", "staging", "--env", "direct")
    assert code == 0 and err == _line(stacks)
    assert f"\n  {_line(stacks)}" in out
    code, out, err = _run(stacks, capsys, "diff", "--env", "staging", "--env", "direct", "--format", "json")
    (entry,) = json.loads(out)["envs"]
    assert entry["env"] == "staging..direct" and entry["warnings"] == [_warning(stacks)]
    code, out, err = _run(stacks, capsys, "diff", "--env", "staging", "--env", "direct", "--format", "markdown")
    assert f"<br>Node pool `h100` is unpriced: {_why(stacks)}\n" in out
    assert (f"**Warnings** (what mlstack could not check):\n- ⚠️ `node_pools.h100.machine` ({stacks / 'direct.yaml'}:5): "
            f"{UNCHECKED}\n") in out
    # An environment mlstack checked through has none.
    code, out, err = _run(stacks, capsys, "diff", "--env", "staging", "--env", "prod", "--format", "json")
    assert json.loads(out)["envs"][0]["warnings"] == [] and "Warnings" not in out


def test_diff_against_git_reports_the_changes_warnings(tmp_path, capsys):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", repo / "stacks")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "stacks", "--allow-empty")
    git("add", "stacks")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "stacks")
    (repo / "stacks" / "direct.yaml").write_text(OVERLAY)
    stacks = repo / "stacks"
    code, out, err = _run(stacks, capsys, "diff", "--base", "HEAD", "--env", "direct", "--format", "json")
    (entry,) = json.loads(out)["envs"]
    assert code == 0 and entry["new_env"] is True and entry["warnings"] == [_warning(stacks)] and err == _line(stacks)
