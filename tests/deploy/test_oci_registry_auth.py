"""A registry that asks for credentials (Basic, as Amazon ECR does for EKS's own images such as the EFA device
plugin): the digest is read with what `docker login` stored for its host, against a real docker-registry on
loopback with htpasswd authentication, started and stopped here."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import warnings

import pytest

from mlstack.engine.deploy import oci
from mlstack.engine.deploy.oci import RegistryError
from tests.oci_image import push_image

with warnings.catch_warnings():  # deprecated, but the standard library's only bcrypt (htpasswd needs bcrypt)
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

USER, PASSWORD = "ci", "s3cret-pw"
GOOD = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory):
    if shutil.which("docker-registry") is None:
        pytest.fail("docker-registry is not installed (.ci/services/registry.sh installs it)")
    folder = tmp_path_factory.mktemp("private-registry")
    (folder / "htpasswd").write_text(f"{USER}:{crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (folder / "config.yml").write_text(
        f"version: 0.1\nlog: {{level: warn}}\nstorage: {{filesystem: {{rootdirectory: {folder / 'data'}}}}}\n"
        f"http: {{addr: 127.0.0.1:{port}}}\nauth: {{htpasswd: {{realm: mlstack-test, path: {folder / 'htpasswd'}}}}}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(folder / "config.yml")], stdout=subprocess.DEVNULL,
                            stderr=open(folder / "server.log", "wb"))  # noqa: SIM115 - closed with the process
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):  # bounded: 30 s
            try:
                urllib.request.urlopen(f"{base}/v2/", timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the private registry did not answer: " + (folder / "server.log").read_text()[-2000:])
        yield base, f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _login(tmp_path, monkeypatch, host: str, auth: str | None) -> None:
    config = {"auths": {host: {"auth": auth}}} if auth else {"auths": {}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))


def test_the_digest_is_read_with_the_stored_login(private_registry, tmp_path, monkeypatch):
    base, host = private_registry
    digest = push_image(base, "eks/aws-efa-k8s-device-plugin", "v0.5.20", {"efa": b"plugin\n"}, basic=GOOD)
    image = f"{host}/eks/aws-efa-k8s-device-plugin:v0.5.20"
    _login(tmp_path, monkeypatch, host, GOOD)
    assert oci.resolve_digest(image) == digest
    assert oci.manifest_exists(image, digest) is True
    moved = push_image(base, "eks/aws-efa-k8s-device-plugin", "v0.5.20", {"efa": b"plugin 2\n"}, basic=GOOD)
    assert oci.resolve_digest(image) == moved and oci.manifest_exists(image, digest) is True  # the old one is kept


def test_without_a_login_the_error_says_how_to_log_in(private_registry, tmp_path, monkeypatch):
    base, host = private_registry
    push_image(base, "team/trainer", "1.0", {"t": b"1\n"}, basic=GOOD)
    _login(tmp_path, monkeypatch, host, None)
    with pytest.raises(RegistryError) as exc:
        oci.resolve_digest(f"{host}/team/trainer:1.0")
    assert str(exc.value) == (f"image {host}/team/trainer: {host} asks for credentials: log in with `docker login {host}` "
                              "(or the registry's own login command that writes the Docker config), then run again")
    assert exc.value.exit_code == 1


def test_wrong_credentials_are_named(private_registry, tmp_path, monkeypatch):
    base, host = private_registry
    push_image(base, "team/trainer", "1.0", {"t": b"1\n"}, basic=GOOD)
    _login(tmp_path, monkeypatch, host, base64.b64encode(b"ci:wrong").decode())
    with pytest.raises(RegistryError) as exc:
        oci.manifest_exists(f"{host}/team/trainer:1.0", "sha256:" + "0" * 64)
    assert str(exc.value).startswith(f"image {host}/team/trainer: {host} refused the stored credentials (HTTP 401: a login "
                                     "may have expired); ")


def test_a_corrupt_docker_config_is_named(tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{nope")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    with pytest.raises(RegistryError) as exc:
        oci.docker_auth("127.0.0.1:5000")
    assert str(exc.value).startswith(f"{tmp_path / 'config.json'} is not a readable Docker config (")
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"https://127.0.0.1:5000/v1/": {"auth": GOOD}}}))
    assert oci.docker_auth("127.0.0.1:5000") == GOOD  # docker writes some hosts as URLs
