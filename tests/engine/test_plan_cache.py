"""The plan cache: a hit is the fresh plan byte for byte, every input is in the key, the folder stays bounded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.engine.plan import cache, planner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the example stacks with the cache on (the suite turns it off by default)."""
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    monkeypatch.delenv("MLSTACK_NO_PLAN_CACHE", raising=False)
    yield tmp_path
    cache.configure(None, enabled=False)


@pytest.fixture
def recordings(monkeypatch):
    """Counts the real recordings (cache misses)."""
    calls: list[str] = []
    real = planner._record

    def counting(spec, pins=None, platform=None):
        calls.append(spec.env)
        return real(spec, pins, platform)

    monkeypatch.setattr(planner, "_record", counting)
    return calls


def _plan(capsys, project: Path, *extra: str) -> str:
    code = main(["--stacks-dir", str(project / "stacks"), *extra, "plan", "--env", "onprem", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_a_hit_is_the_fresh_plan_byte_for_byte(capsys, project, recordings):
    first = _plan(capsys, project)
    entries = list((project / ".mlstack" / "cache" / "plans").glob("*.json"))
    assert len(entries) == 1 and recordings == ["onprem"]
    second = _plan(capsys, project)
    assert recordings == ["onprem"], "the second plan was recorded again instead of read"
    fresh = _plan(capsys, project, "--no-plan-cache")
    assert recordings == ["onprem", "onprem"]
    assert first == second == fresh
    assert json.loads(first)["summary"]["resources"] > 50


def test_a_changed_spec_is_a_miss(capsys, project, recordings):
    _plan(capsys, project)
    spec = project / "stacks" / "onprem.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("kube_context: lab", "kube_context: lab2"), encoding="utf-8")
    out = _plan(capsys, project)
    assert recordings == ["onprem", "onprem"]
    assert '"kube_context": "lab2"' in out


def test_code_sdk_and_extra_inputs_are_in_the_key(monkeypatch):
    spec = {"project": "p", "env": "e"}
    base = cache.key(spec)
    assert cache.key(spec) == base
    assert cache.key(spec, {"lock": "sha256:1"}) != base
    monkeypatch.setattr(cache, "_code_digest", lambda: "edited")
    assert cache.key(spec) != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_sdk_versions", lambda: (("pulumi_aws", "0.0.1"),))
    assert cache.key(spec) != base


def test_the_code_digest_covers_the_components_and_the_catalogue():
    cache._code_digest.cache_clear()
    import mlstack.components

    # the digest is over files; a component module and a catalogue file are among them
    comp = Path(mlstack.components.__file__).parent
    assert any(comp.rglob("*.py"))
    assert len(cache._code_digest()) == 64


def test_a_damaged_entry_is_a_miss_and_is_replaced(capsys, project, recordings):
    first = _plan(capsys, project)
    (entry,) = (project / ".mlstack" / "cache" / "plans").glob("*.json")
    entry.write_text('{"format": 1, "key": "', encoding="utf-8")
    assert _plan(capsys, project) == first
    assert recordings == ["onprem", "onprem"]
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] == entry.stem


def test_the_folder_is_bounded(tmp_path, monkeypatch):
    from mlstack.engine.plan.model import Plan

    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    cache.configure(tmp_path, enabled=True)
    try:
        for i in range(4):
            cache.put(f"{i:064d}", Plan(project="p", env=f"e{i}", target={}, resources=[]))
    finally:
        cache.configure(None, enabled=False)
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_a_folder_given_as_a_function_is_found_when_a_plan_first_uses_the_cache(tmp_path):
    from mlstack.engine.plan.model import Plan

    asked: list[int] = []
    cache.configure(lambda: asked.append(1) or tmp_path / "plans", enabled=True)
    try:
        assert asked == []  # configuring finds nothing yet
        assert cache.get("0" * 64) is None
        cache.put("1" * 64, Plan(project="p", env="e", target={}, resources=[]))
        cache.put("2" * 64, Plan(project="p", env="f", target={}, resources=[]))
    finally:
        cache.configure(None, enabled=False)
    assert asked == [1]  # once
    assert sorted(p.name for p in (tmp_path / "plans").glob("*.json")) == ["1" * 64 + ".json", "2" * 64 + ".json"]


def test_off_means_neither_read_nor_written(capsys, project, recordings):
    _plan(capsys, project, "--no-plan-cache")
    _plan(capsys, project, "--no-plan-cache")
    assert recordings == ["onprem", "onprem"]
    assert not (project / ".mlstack" / "cache").exists()
