from __future__ import annotations

import json

import pytest

from mlstack.engine.deploy import lock as lk
from mlstack.errors import UsageError
from mlstack.spec import load_spec

from .fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_aws": "7.51.0", "pulumi_cli": "3.200.0",
         "pulumi_gcp": "10.2.0", "pulumi_kubernetes": "4.34.0", "pulumi_random": "4.21.0"}


@pytest.fixture
def stacks(tmp_path):
    return copy_stacks(tmp_path)


def test_digest_follows_merged_spec_not_comments(stacks):
    before = lk.spec_digest(load_spec("staging", stacks))
    assert before.startswith("sha256:") and len(before) == 71
    (stacks / "staging.yaml").write_text((stacks / "staging.yaml").read_text() + "# a comment\n")
    assert lk.spec_digest(load_spec("staging", stacks)) == before
    base = stacks / "base.yaml"
    base.write_text(base.read_text().replace("owner: ml-platform", "owner: platform"))
    assert lk.spec_digest(load_spec("staging", stacks)) != before


def test_digest_ignores_schema_hint(stacks):
    s = load_spec("staging", stacks)
    assert "$schema" not in lk.canonical_spec(s)


def test_build_write_read_roundtrip(stacks):
    s = load_spec("staging", stacks)
    outputs = {"cluster_name": ("acme-ml-staging", False), "kubeconfig": ("apiVersion: v1", True)}
    lock = lk.build_lock(s, outputs, TOOLS)
    path = lk.lock_path("staging", stacks)
    lk.write_lock(path, lock)
    text = path.read_text()
    assert text.endswith("}\n") and "kubeconfig" not in text and "apiVersion" not in text
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert text == lk.render_lock(lock)
    got = lk.read_lock(path, "acme-ml", "staging")
    assert got == lock
    assert got["outputs"] == {"cluster_name": "acme-ml-staging"} and got["lock_version"] == 3
    assert set(got["tools"]) == set(TOOLS) and set(got["versions"]) == {"gpu_device_plugin", "kubernetes", "mlflow", "postgres"}
    assert lk.lock_differences(got, s, TOOLS) == []


def test_tool_versions_include_cli():
    tools = lk.tool_versions("3.200.0", lambda d: "1.0")
    assert tools == {"mlstack": "1.0", "pulumi": "1.0", "pulumi_aws": "1.0", "pulumi_cli": "3.200.0",
                     "pulumi_gcp": "1.0", "pulumi_kubernetes": "1.0", "pulumi_random": "1.0"}


def test_differences_listed(stacks):
    s = load_spec("staging", stacks)
    lock = lk.build_lock(s, {}, TOOLS)
    base = stacks / "base.yaml"
    base.write_text(base.read_text().replace('postgres: "16"', 'postgres: "17"'))
    diffs = lk.lock_differences(lock, load_spec("staging", stacks), {**TOOLS, "pulumi_aws": "7.60.0"})
    assert diffs[0].startswith("spec digest: lock sha256:")
    assert diffs[1:] == ["versions.postgres: lock 16, now 17", "tools.pulumi_aws: lock 7.51.0, now 7.60.0"]


def test_missing_lock_is_none(stacks):
    assert lk.read_lock(stacks / "staging.lock.json", "acme-ml", "staging") is None


@pytest.mark.parametrize("content,message", [
    ("{not json", "is not valid JSON"),
    ("[1]", "expected a JSON object"),
    ('{"lock_version": 9}', "lock_version: expected one of 1, 2, 3, got 9"),
    ('{"lock_version": 1, "project": "acme-ml"}', "env: missing \\(required\\)\n  spec_digest: missing"),
])
def test_bad_locks(stacks, content, message):
    path = stacks / "staging.lock.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message) as e:
        lk.read_lock(path, "acme-ml", "staging")
    assert e.value.exit_code == 2


def test_lock_of_another_project(stacks):
    s = load_spec("staging", stacks)
    lock = {**lk.build_lock(s, {}, TOOLS), "project": "other"}
    path = stacks / "staging.lock.json"
    lk.write_lock(path, lock)
    with pytest.raises(UsageError, match="lock of project 'other'"):
        lk.read_lock(path, "acme-ml", "staging")
