"""Build a small OCI image by hand (a layer tarball, a config, a manifest) and push it through a registry's HTTP
API: no Docker engine runs on this machine kind. Used by the digest-resolution tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import urllib.request

LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A gzipped tar of ``files`` (fixed mtimes: the same files give the same bytes) and its diff id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), _sha(tar_bytes)


def _push_blob(base: str, repo: str, data: bytes, auth: dict[str, str]) -> str:
    digest = _sha(data)
    start = urllib.request.Request(f"{base}/v2/{repo}/blobs/uploads/", method="POST", data=b"", headers=auth)
    with urllib.request.urlopen(start, timeout=10) as resp:
        assert resp.status == 202, resp.status
        location = resp.headers["Location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    put = urllib.request.Request(f"{location}{sep}digest={digest}", method="PUT", data=data,
                                 headers={"Content-Type": "application/octet-stream", **auth})
    with urllib.request.urlopen(put, timeout=10) as resp:
        assert resp.status == 201, resp.status
    return digest


def push_image(base: str, repo: str, tag: str, files: dict[str, bytes], basic: str | None = None) -> str:
    """Pushes a one-layer linux/amd64 image as ``repo:tag``; returns the manifest's digest. ``basic``: base64
    ``user:password`` for a registry that asks for credentials."""
    auth = {"Authorization": f"Basic {basic}"} if basic else {}
    blob, diff_id = layer(files)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }, sort_keys=True).encode()
    layer_digest = _push_blob(base, repo, blob, auth)
    config_digest = _push_blob(base, repo, config, auth)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": LAYER, "digest": layer_digest, "size": len(blob)}],
    }, sort_keys=True).encode()
    put = urllib.request.Request(f"{base}/v2/{repo}/manifests/{tag}", method="PUT", data=manifest,
                                 headers={"Content-Type": MANIFEST, **auth})
    with urllib.request.urlopen(put, timeout=10) as resp:
        assert resp.status == 201, resp.status
        assert resp.headers["Docker-Content-Digest"] == _sha(manifest)
    return _sha(manifest)


def delete_manifest(base: str, repo: str, digest: str) -> None:
    req = urllib.request.Request(f"{base}/v2/{repo}/manifests/{digest}", method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 202, resp.status
