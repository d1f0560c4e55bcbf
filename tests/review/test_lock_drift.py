"""Lock drift in reviews: `mlstack diff --base REF` shows what the lock at REF and the working tree's pin
differently, `diff --env A --env B` what two environments' locks do, in text, JSON and the PR comment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.spec import load_spec
from tests.lifecycle.fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_cli": "3.272.0"}
IMAGE = "ghcr.io/mlflow/mlflow:v3.17.2-full"
OLD, NEW = "sha256:" + "1" * 64, "sha256:" + "2" * 64
CHART = {"chart": "nvidia-device-plugin", "repo": "https://nvidia.github.io/k8s-device-plugin", "version": "0.20.0", "digest": None}
PLATFORM = {"addon/vpc-cni": "v1.20.4-eksbuild.1", "control_plane": "eks.7", "node_pool/a100": "1.36.2-20261110"}


def _lock(stacks: Path, env: str, digest: str = OLD, platform: dict | None = None, tools: dict | None = None) -> dict:
    lock = lk.build_lock(load_spec(env, stacks), {}, tools or TOOLS, images={IMAGE: digest}, charts={"gpu": CHART},
                         platform=PLATFORM if platform is None else platform)
    lk.write_lock(lk.lock_path(env, stacks), lock)
    return lock


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    stacks = copy_stacks(tmp_path)
    _lock(stacks, "staging")
    _git(stacks.parent, "init", "-q")
    _git(stacks.parent, "add", "stacks")
    _git(stacks.parent, "commit", "-q", "-m", "base")
    return stacks


def _diff(capsys, stacks: Path, *args: str) -> tuple[int, str]:
    code = main(["--stacks-dir", str(stacks), "diff", *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out


def test_drift_between_two_locks_names_every_entry_that_differs(tmp_path):
    stacks = copy_stacks(tmp_path)
    a = _lock(stacks, "staging")
    b = {**a, "images": {IMAGE: NEW}, "platform": {**PLATFORM, "node_pool/a100": "1.36.3-20261201"},
         "charts": {"gpu": {**CHART, "version": "0.20.1"}}, "tools": {**TOOLS, "pulumi_cli": "3.280.0"},
         "versions": {**a["versions"], "mlflow": "3.18.0"}}
    assert lk.lock_drift("a", a, "b", a) == {}
    assert lk.lock_drift("a", a, "b", b) == {
        "chart gpu": {"a": "0.20.0", "b": "0.20.1"},
        f"image {IMAGE}": {"a": OLD, "b": NEW},
        "mlflow": {"a": a["versions"]["mlflow"], "b": "3.18.0"},
        "platform node_pool/a100": {"a": "1.36.2-20261110", "b": "1.36.3-20261201"},
        "tool pulumi_cli": {"a": "3.272.0", "b": "3.280.0"},
    }
    assert "mlflow" not in lk.lock_drift("a", a, "b", b, with_versions=False)
    assert lk.lock_drift("a", a, "b", None) == {"lock": {"a": lk.lock_digest(a), "b": "no lock"}}
    assert lk.lock_drift("a", None, "b", None) == {}
    older = {k: v for k, v in a.items() if k != "platform"} | {"lock_version": 2}  # read as upgraded: no platform
    assert lk.lock_drift("old", older, "new", a) == {f"platform {k}": {"old": "not locked", "new": v} for k, v in PLATFORM.items()}
    oci = {**a, "charts": {"gpu": {**CHART, "repo": "oci://ghcr.io/nvidia", "digest": NEW}}}
    assert lk.lock_drift("a", a, "b", oci)["chart gpu"] == {"a": "0.20.0", "b": f"0.20.0@{NEW}"}


def test_diff_base_shows_the_lock_drift_of_the_change(repo, capsys):
    _lock(repo, "staging", NEW, {**PLATFORM, "control_plane": "eks.9"})
    code, out = _diff(capsys, repo, "--base", "HEAD", "--env", "staging", "--format", "json")
    (entry,) = json.loads(out)["envs"]
    assert code == 0 and entry["counts"]["create"] == 0  # the spec did not change: the lock did
    assert entry["version_drift"] == {
        f"image {IMAGE}": {"HEAD": OLD, "working tree": NEW},
        "platform control_plane": {"HEAD": "eks.7", "working tree": "eks.9"},
    }
    assert _diff(capsys, repo, "--base", "HEAD", "--env", "staging")[1].splitlines()[1:4] == [
        "  version drift:",
        f"       image {IMAGE}: {OLD} (HEAD) vs {NEW} (working tree)",
        "       platform control_plane: eks.7 (HEAD) vs eks.9 (working tree)",
    ]
    comment = _diff(capsys, repo, "--base", "HEAD", "--env", "staging", "--format", "markdown")[1]
    assert ("**Version and lock drift**\n\n| entry | HEAD | working tree |\n|---|---|---|\n"
            f"| image {IMAGE} | {OLD} | {NEW} |\n| platform control_plane | eks.7 | eks.9 |\n") in comment


def test_diff_base_without_lock_changes_shows_no_drift(repo, capsys):
    (entry,) = json.loads(_diff(capsys, repo, "--base", "HEAD", "--env", "staging", "--format", "json")[1])["envs"]
    assert "version_drift" not in entry


def test_a_lock_the_change_adds_or_removes_is_one_entry(repo, capsys):
    lock = json.loads((repo / "staging.lock.json").read_text())
    (repo / "staging.lock.json").unlink()
    (entry,) = json.loads(_diff(capsys, repo, "--base", "HEAD", "--env", "staging", "--format", "json")[1])["envs"]
    assert entry["version_drift"] == {"lock": {"HEAD": lk.lock_digest(lock), "working tree": "no lock"}}


def test_a_bad_lock_at_the_ref_is_named_there(repo, capsys):
    (repo / "staging.lock.json").write_text("{oops")
    _git(repo.parent, "commit", "-qam", "break")
    _lock(repo, "staging")
    code = main(["--stacks-dir", str(repo), "diff", "--base", "HEAD", "--env", "staging"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: HEAD:stacks/staging.lock.json is not valid JSON (")


def test_diff_between_environments_shows_their_lock_drift(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    _lock(stacks, "staging")
    _lock(stacks, "prod", NEW, {**PLATFORM, "node_pool/a100": "1.36.2-20261124"}, {**TOOLS, "pulumi_cli": "3.280.0"})
    code, out = _diff(capsys, stacks, "--env", "staging", "--env", "prod", "--format", "json")
    (entry,) = json.loads(out)["envs"]
    lock_entries = {k: v for k, v in entry["version_drift"].items() if " " in k}
    assert code == 0 and lock_entries == {
        f"image {IMAGE}": {"staging": OLD, "prod": NEW},
        "platform node_pool/a100": {"staging": "1.36.2-20261110", "prod": "1.36.2-20261124"},
        "tool pulumi_cli": {"staging": "3.272.0", "prod": "3.280.0"},
    }
    comment = _diff(capsys, stacks, "--env", "staging", "--env", "prod", "--format", "markdown")[1]
    assert "| platform node_pool/a100 | 1.36.2-20261110 | 1.36.2-20261124 |\n" in comment
