"""Image digests from their registries, through the OCI distribution HTTP API (what ``up`` records in the lock).

``resolve_digest("ghcr.io/mlflow/mlflow:v3.15.2-full")`` asks the registry for the tag's manifest (``HEAD
/v2/<repository>/manifests/<tag>``, accepting image indexes and manifests) and returns its content digest, the
``Docker-Content-Digest`` header or, where a registry omits it, the SHA-256 of the manifest body. An anonymous
pull token is fetched when the registry answers 401 with a ``Bearer`` challenge (Docker Hub, GHCR, Quay,
public ECR). A registry that answers with a ``Basic`` challenge (private registries, Amazon ECR: EKS's own images
such as the EFA device plugin) gets the credentials ``docker login`` stored for its host in the Docker client's
config (``$DOCKER_CONFIG/config.json``, default ``~/.docker/config.json``, ``auths.<host>.auth``); credential
helpers (``credsStore``) are not run. ``manifest_exists`` checks that a locked digest is still served.

Plain HTTP is used for loopback registries only (tests, a local mirror); everything else is HTTPS. Only the
standard library: no registry client dependency for two requests.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mlstack.errors import EngineError

ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
DOCKER_HUB = "registry-1.docker.io"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
TIMEOUT_S = 15


class RegistryError(EngineError):
    """A registry could not be asked, or did not have what was asked for (exit 1: an engine failure)."""


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: ``registry/repository:tag[@digest]``."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """``registry/repository`` as written for Docker Hub's short forms (``docker.io``)."""
        host = "docker.io" if self.registry == DOCKER_HUB else self.registry
        return f"{host}/{self.repository}"

    def with_digest(self, digest: str) -> str:
        """``registry/repository:tag@digest``: the tag stays for people, the digest is what is pulled."""
        return f"{self.name}:{self.tag}@{digest}" if self.tag else f"{self.name}@{digest}"


def parse_ref(ref: str) -> ImageRef:
    """Parses ``[registry/]repository[:tag][@sha256:...]``; Docker Hub short names get ``library/``.

    Raises:
        RegistryError: neither a tag nor a digest, or a malformed digest.
    """
    rest, _, digest = ref.partition("@")
    if digest and not DIGEST.match(digest):
        raise RegistryError(f"image {ref!r}: {digest!r} is not a sha256 digest")
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
    if registry == "docker.io":
        registry = DOCKER_HUB
    repository, _, tag = path.rpartition(":") if ":" in path else (path, "", "")
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not tag and not digest:
        raise RegistryError(f"image {ref!r} has neither a tag nor a digest")
    return ImageRef(registry, repository, tag or None, digest or None)


def _base_url(registry: str) -> str:
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry.split("]")[0] + "]"
    return f"{'http' if host in LOOPBACK else 'https'}://{registry}"


def _token(challenge: str, timeout: float) -> str | None:
    """An anonymous pull token for a ``Bearer realm=...,service=...,scope=...`` challenge."""
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = params.pop("realm", None)
    if not challenge.lower().startswith("bearer") or not realm:
        return None
    url = realm + "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - realm is the registry's own
        body = json.loads(resp.read())
    return body.get("token") or body.get("access_token")


def docker_auth(registry: str) -> str | None:
    """The ``auth`` value (base64 ``user:password``) ``docker login`` stored for ``registry``, None without one.

    Raises:
        RegistryError: the Docker config exists but is not JSON.
    """
    path = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path} is not a readable Docker config ({exc}); fix it or log in again") from None
    auths = config.get("auths") if isinstance(config, dict) else None
    entry = next((v for k, v in (auths or {}).items() if k.removeprefix("https://").split("/")[0] == registry), None)
    auth = entry.get("auth") if isinstance(entry, dict) else None
    return auth if isinstance(auth, str) and auth else None


def _request(method: str, url: str, timeout: float, authorization: str | None = None):  # noqa: ANN202 - http response
    headers = {"Accept": ACCEPT, "User-Agent": "mlstack"}
    if authorization:
        headers["Authorization"] = authorization
    return urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers), timeout=timeout)  # noqa: S310


def _login_hint(ref: ImageRef) -> str:
    return (f"{ref.registry} asks for credentials: log in with `docker login {ref.registry}` (or the registry's own login "
            "command that writes the Docker config), then run again")


def _manifest(ref: ImageRef, reference: str, method: str, timeout: float) -> tuple[int, dict[str, str], bytes]:
    url = f"{_base_url(ref.registry)}/v2/{ref.repository}/manifests/{reference}"
    authorization = None
    for _ in range(2):
        try:
            with _request(method, url, timeout, authorization) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
            if exc.code == 401 and authorization is None and challenge.lower().startswith("basic"):
                auth = docker_auth(ref.registry)
                if auth is None:
                    raise RegistryError(f"image {ref.name}: {_login_hint(ref)}") from None
                authorization = f"Basic {auth}"
                continue
            if exc.code == 401 and authorization is not None and authorization.startswith("Basic"):
                raise RegistryError(f"image {ref.name}: {ref.registry} refused the stored credentials (HTTP 401: a login "
                                    f"may have expired); {_login_hint(ref)}") from None
            if exc.code == 401 and authorization is None and challenge:
                token = _token(challenge, timeout)
                if token:
                    authorization = f"Bearer {token}"
                    continue
            return exc.code, {}, b""
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryError(f"image {ref.name}: cannot reach {ref.registry} ({reason}); check the network "
                                "or the registry's name") from None
    return 401, {}, b""


def resolve_digest(image: str, timeout: float = TIMEOUT_S) -> str:
    """The digest ``image``'s tag points to now (an image given by digest is returned as it is).

    Raises:
        RegistryError: the registry is unreachable, or does not serve the tag (naming the image and status).
    """
    ref = parse_ref(image)
    if ref.digest:
        return ref.digest
    assert ref.tag is not None
    status, headers, _ = _manifest(ref, ref.tag, "HEAD", timeout)
    if status == 200 and DIGEST.match(headers.get("docker-content-digest", "")):
        return headers["docker-content-digest"]
    if status == 200:
        status, _, body = _manifest(ref, ref.tag, "GET", timeout)
        if status == 200:
            return "sha256:" + hashlib.sha256(body).hexdigest()
    raise RegistryError(f"image {ref.name}:{ref.tag}: the registry answered HTTP {status} for the tag "
                        f"({'not found' if status == 404 else 'not readable'}); check the tag in the catalogue or spec")


def manifest_exists(image: str, digest: str, timeout: float = TIMEOUT_S) -> bool:
    """Whether ``image``'s registry still serves the manifest ``digest`` (``HEAD`` by digest: 200)."""
    ref = parse_ref(image)
    status, _, _ = _manifest(ref, digest, "HEAD", timeout)
    return status == 200
