"""What `.ci/run` hands Checkov: the Kubernetes objects of the four example plans under a fixture lock, every image by
digest; and the skip list, where every skipped check carries its reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.checkov_manifests import ENVS, locked_manifests, main

CONFIG = Path(__file__).resolve().parents[2] / ".ci" / "checkov.yaml"


def _images(manifest: dict) -> list[str]:
    found, stack = [], [manifest]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found += [v for k, v in item.items() if k == "image" and isinstance(v, str)]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.parametrize("env", ENVS)
def test_every_object_handed_to_checkov_runs_images_by_digest(env):
    objects = locked_manifests(env)
    images = [ref for m in objects for ref in _images(m)]
    assert images and all(re.fullmatch(r"[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}", ref) for ref in images), images
    assert {m["kind"] for m in objects} >= {"Deployment", "Job", "Namespace", "NetworkPolicy"}


def test_the_writer_writes_one_file_per_environment(tmp_path):
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{env}.yaml" for env in ENVS)
    docs = list(yaml.safe_load_all((tmp_path / "onprem.yaml").read_text()))
    assert docs == locked_manifests("onprem")


def test_every_skipped_check_is_justified_in_the_config():
    text = CONFIG.read_text()
    config = yaml.safe_load(text)
    assert config["framework"] == ["kubernetes"]
    assert config["skip-check"] == ["CKV_K8S_35"]
    for check in config["skip-check"]:
        comment = [line for line in text.splitlines() if line.lstrip().startswith(f"# {check} ")]
        assert comment, f"{check} is skipped without a reason"
