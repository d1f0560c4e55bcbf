"""Hand-edited locks are refused with the field named, never accepted and never an internal error (issue 11)."""

from __future__ import annotations

import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.errors import UsageError
from mlstack.spec import load_spec
from tests.lifecycle.fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_cli": "3.272.0"}
DIGEST = "sha256:" + "c" * 64


@pytest.fixture
def stacks(tmp_path):
    return copy_stacks(tmp_path)


@pytest.fixture
def good(stacks):
    lock = lk.build_lock(load_spec("staging", stacks), {"cluster_name": ("c", False)}, TOOLS,
                         images={"ghcr.io/mlflow/mlflow:v3.15.2-full": DIGEST},
                         charts={"gpu": {"chart": "nvidia-device-plugin", "repo": "https://nvidia.github.io/k8s-device-plugin",
                                         "version": "0.20.0", "digest": None}})
    return json.loads(lk.render_lock(lock))


def _refused(stacks, data) -> str:
    path = stacks / "staging.lock.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(UsageError) as exc:
        lk.read_lock(path, "acme-ml", "staging")
    assert exc.value.exit_code == 2 and path.read_bytes() == before  # refused, nothing changed
    return str(exc.value)


def test_a_good_lock_round_trips(stacks, good):
    path = stacks / "staging.lock.json"
    path.write_text(json.dumps(good))
    assert lk.read_lock(path, "acme-ml", "staging") == good


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(lock_version=True), "lock_version: expected one of 1, 2, 3, got true"),
    (lambda d: d.update(lock_version="2"), 'lock_version: expected one of 1, 2, 3, got "2"'),
    (lambda d: d.update(lock_version=2.0), "lock_version: expected one of 1, 2, 3, got 2.0"),
    (lambda d: d.update(versions={}), "  versions: expected at least one entry, got an empty object"),
    (lambda d: d.update(spec_digest=12), "  spec_digest: expected a non-empty string, got 12"),
    (lambda d: d.update(spec_digest="sha256:abc"), '  spec_digest: expected sha256:<64 hex digits>, got "sha256:abc"'),
    (lambda d: d.update(spec_digest=["sha256:" + "a" * 64]), "  spec_digest: expected a non-empty string, got a list of 1 item(s)"),
    (lambda d: d["versions"].update(kubernetes=1.35), "  versions.kubernetes: expected a non-empty string, got 1.35"),
    (lambda d: d["versions"].update(mlflow={"v": "3"}), "  versions.mlflow: expected a non-empty string, got an object of 1 item(s)"),
    (lambda d: d.update(versions=["1.35"]), "  versions: expected an object, got a list of 1 item(s)"),
    (lambda d: d["tools"].update(pulumi_cli=3272), "  tools.pulumi_cli: expected a non-empty string, got 3272"),
    (lambda d: d.update(tools=None), "  tools: expected an object, got null"),
    (lambda d: d["images"].update({"ghcr.io/mlflow/mlflow:v3.15.2-full": True}),
     "  images.ghcr.io/mlflow/mlflow:v3.15.2-full: expected a non-empty string, got true"),
    (lambda d: d["charts"]["gpu"].update(version=20), "  charts.gpu.version: expected a non-empty string, got 20"),
    (lambda d: d.update(extra="x"), "  extra: not a lock field, got \"x\""),
    (lambda d: d.pop("spec_digest"), "  spec_digest: missing (required)"),
    (lambda d: d["platform"].update({"nodepool/gpu": "1.36.2-20261110"}),
     '  platform.nodepool/gpu.[key]: expected control_plane, addon/<name> or node_pool/<pool>, got "nodepool/gpu"'),
    (lambda d: d["platform"].update({"addon/vpc-cni": ""}), '  platform.addon/vpc-cni: expected a non-empty string, got ""'),
    (lambda d: d["platform"].update(control_plane=7), "  platform.control_plane: expected a non-empty string, got 7"),
    (lambda d: d.update(platform=["eks.7"]), "  platform: expected an object, got a list of 1 item(s)"),
])
def test_hand_edits_are_refused_with_the_field(stacks, good, edit, message):
    edit(good)
    assert message in _refused(stacks, good)


def test_deep_nesting_is_refused(stacks, good):
    deep: object = "x"
    for _ in range(40):
        deep = {"k": deep}
    good["outputs"]["cluster_name"] = deep
    assert "outputs: nested 17 levels deep, more than 16" in _refused(stacks, good)


def test_json_nested_past_the_parser_is_refused(stacks):
    assert "is nested too deeply to be a lock file" in _refused(stacks, "[" * 100000 + "]" * 100000)


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not valid JSON"),
    ("[1]", "is not a lock file: expected a JSON object, got a list"),
    ('"lock"', "is not a lock file: expected a JSON object, got a string"),
    ("\xff\xfe", "is not valid JSON"),
])
def test_corrupt_files_are_refused(stacks, content, message):
    assert message in _refused(stacks, content)


def test_cli_reports_a_hand_edited_lock_without_traceback(stacks, good, capsys):
    good["lock_version"] = True
    (stacks / "staging.lock.json").write_text(json.dumps(good))
    code = main(["--stacks-dir", str(stacks), "check", "--env", "staging"])
    err = capsys.readouterr().err
    assert code == 2 and "lock_version: expected one of 1, 2, 3, got true" in err and "Traceback" not in err


def test_a_version_3_lock_round_trips_its_platform(stacks):
    platform = {"control_plane": "eks.7", "addon/vpc-cni": "v1.20.4-eksbuild.1", "node_pool/gpu": "1.36.2-20261110"}
    lock = lk.build_lock(load_spec("staging", stacks), {"cluster_name": ("c", False), "platform_versions": (platform, False)},
                         TOOLS, platform=platform)
    assert lock["lock_version"] == 3 and list(lock["platform"]) == ["addon/vpc-cni", "control_plane", "node_pool/gpu"]
    assert lock["outputs"] == {"cluster_name": "c"}  # the platform versions are kept once, in platform
    path = stacks / "staging.lock.json"
    lk.write_lock(path, lock)
    assert lk.read_lock(path, "acme-ml", "staging") == lock and lk.locked_platform("staging", stacks) == platform


@pytest.mark.parametrize("version", [1, 2])
def test_older_locks_are_read_and_upgraded(stacks, good, version):
    good["lock_version"] = version
    del good["platform"]
    if version == 1:
        del good["images"], good["charts"]
    path = stacks / "staging.lock.json"
    path.write_text(json.dumps(good))
    read = lk.read_lock(path, "acme-ml", "staging")
    assert read == good  # read as written: the file is not rewritten
    upgraded = lk.upgrade_lock(read)
    assert upgraded["lock_version"] == 3 and upgraded["platform"] == {}
    assert upgraded["images"] == ({} if version == 1 else good["images"]) and set(upgraded) == set(good) | {"platform", "images", "charts"}
    assert lk.locked_platform("staging", stacks) == {} and lk.env_lock("staging", stacks) == upgraded
