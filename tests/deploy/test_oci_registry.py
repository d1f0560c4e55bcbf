"""Digest resolution against a real distribution registry on loopback (Debian's docker-registry, started by
``.ci/services/registry.sh``), with an image built and pushed by hand in the test."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlstack.engine.deploy.oci import RegistryError, manifest_exists, parse_ref, resolve_digest
from tests.oci_image import delete_manifest, push_image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "services" / "registry.sh"


def _read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="module")
def registry():
    """The running registry of ``registry.sh`` (started here, and then stopped here, when none runs)."""
    services = Path(os.environ.get("MLSTACK_SERVICES_DIR", "/tmp/mlstack-services"))
    env_file = services / "registry.env"
    started = not env_file.exists()
    if started:
        proc = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"registry.sh start failed: {proc.stderr[-2000:]}")
    info = _read_env(env_file)
    yield info
    if started:
        subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, timeout=60, check=True)


def test_parse_ref_normalises_docker_hub():
    assert parse_ref("registry:3.0.0") == parse_ref("docker.io/library/registry:3.0.0")
    ref = parse_ref("docker.io/library/registry:3.0.0")
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == ("registry-1.docker.io", "library/registry", "3.0.0", None)
    assert ref.name == "docker.io/library/registry"
    ghcr = parse_ref("ghcr.io/mlflow/mlflow:v3.15.2-full@sha256:" + "a" * 64)
    assert (ghcr.registry, ghcr.repository, ghcr.tag, ghcr.digest) == ("ghcr.io", "mlflow/mlflow", "v3.15.2-full", "sha256:" + "a" * 64)
    local = parse_ref("127.0.0.1:5000/team/trainer:1.0")
    assert (local.registry, local.repository, local.tag) == ("127.0.0.1:5000", "team/trainer", "1.0")
    assert local.with_digest("sha256:" + "b" * 64) == "127.0.0.1:5000/team/trainer:1.0@sha256:" + "b" * 64


@pytest.mark.parametrize(("ref", "message"), [
    ("ghcr.io/mlflow/mlflow", "image 'ghcr.io/mlflow/mlflow' has neither a tag nor a digest"),
    ("ghcr.io/mlflow/mlflow:v1@sha256:abc", "image 'ghcr.io/mlflow/mlflow:v1@sha256:abc': 'sha256:abc' is not a sha256 digest"),
])
def test_bad_refs_are_refused(ref, message):
    with pytest.raises(RegistryError) as exc:
        parse_ref(ref)
    assert str(exc.value) == message and exc.value.exit_code == 1


def test_resolves_the_digest_of_a_pushed_image(registry):
    base, host = registry["MLSTACK_REGISTRY_URL"], registry["MLSTACK_REGISTRY_HOST"]
    digest = push_image(base, "mlstack/probe", "1.0", {"hello.txt": b"one\n"})
    assert resolve_digest(f"{host}/mlstack/probe:1.0") == digest
    assert manifest_exists(f"{host}/mlstack/probe:1.0", digest) is True
    # An image given by digest is not asked for again.
    assert resolve_digest(f"{host}/mlstack/probe:1.0@{digest}") == digest


def test_a_moved_tag_resolves_to_the_new_digest_and_the_old_stays_servable(registry):
    base, host = registry["MLSTACK_REGISTRY_URL"], registry["MLSTACK_REGISTRY_HOST"]
    old = push_image(base, "mlstack/moving", "2.0", {"v": b"old\n"})
    new = push_image(base, "mlstack/moving", "2.0", {"v": b"new\n"})
    assert old != new
    assert resolve_digest(f"{host}/mlstack/moving:2.0") == new
    assert manifest_exists(f"{host}/mlstack/moving:2.0", old) is True
    delete_manifest(base, "mlstack/moving", old)
    assert manifest_exists(f"{host}/mlstack/moving:2.0", old) is False


def test_an_unknown_tag_is_a_clear_error(registry):
    host = registry["MLSTACK_REGISTRY_HOST"]
    with pytest.raises(RegistryError) as exc:
        resolve_digest(f"{host}/mlstack/absent:9.9")
    assert str(exc.value) == (f"image {host}/mlstack/absent:9.9: the registry answered HTTP 404 for the tag (not found); "
                              "check the tag in the catalogue or spec")


def test_an_unreachable_registry_is_a_clear_error():
    with pytest.raises(RegistryError, match=r"image 127\.0\.0\.1:9/x/y: cannot reach 127\.0\.0\.1:9 \("):
        resolve_digest("127.0.0.1:9/x/y:1", timeout=2)
