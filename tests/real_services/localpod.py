"""Run a rendered Kubernetes pod's container as a local process, as the kubelet would start it.

What the container gets, it gets here: its ``command`` and ``args``, its ``env`` (values, ``secretKeyRef``
and ``configMapKeyRef`` resolved from the rendered Secrets and ConfigMaps), and its volumes (Secret and
ConfigMap volumes written out as files, emptyDir and claims as empty directories). The only differences,
all explicit arguments:
- paths: a mount path such as ``/etc/mlflow/auth`` becomes a directory under ``root``; every env value and
  argument that is or starts with a mount path is rewritten to it;
- ``flags``: values of listed flags replaced (``--host`` and ``--port``: loopback and a free port);
- ``addresses``: in-cluster addresses (``mlflow.mlflow.svc.cluster.local:5000``) replaced by loopback ones;
- ``extra_env``: what this machine adds in place of the cloud (e.g. ``AWS_ENDPOINT_URL`` of the moto server).
The process starts from an empty environment (plus ``PATH`` with the test virtualenv first), as a
container does; it never inherits the test run's variables.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .rendered import Rendered

VENV_BIN = str(Path(sys.executable).parent)


@dataclass
class LocalPod:
    """One container of a rendered pod, materialised under ``root``."""

    argv: list[str]
    env: dict[str, str]
    root: Path
    mounts: dict[str, Path] = field(default_factory=dict)

    def start(self, log: Path) -> subprocess.Popen:
        """Starts it in its own session (so a stop reaches every worker), output to ``log``."""
        out = log.open("ab")
        try:
            return subprocess.Popen(
                self.argv, env=self.env, cwd=self.root, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        finally:
            out.close()

    def run(self, timeout_s: float) -> subprocess.CompletedProcess:
        """Runs it to completion (a Job's pod), output captured."""
        return subprocess.run(
            self.argv, env=self.env, cwd=self.root, capture_output=True, text=True, timeout=timeout_s,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip


def run_job(rendered: Rendered, job: dict[str, Any], root: Path, timeout_s: float, **kw: Any) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Runs a Job's pod as the kubelet would: each init container to completion in order, then its container.

    Stops at the first container that fails (as the pod would). Returns (container name, result) pairs.
    """
    spec = pod_spec(job)
    done = []
    for c in [*(spec.get("initContainers") or []), *spec["containers"]]:
        result = materialise(rendered, job, root / c["name"], container=c["name"], **kw).run(timeout_s)
        done.append((c["name"], result))
        if result.returncode != 0:
            break
    return done


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Deployment, Job or Pod object (API camelCase shape)."""
    if obj.get("spec", {}).get("template"):
        return obj["spec"]["template"]["spec"]
    return obj["spec"]


def materialise(
    rendered: Rendered,
    obj: dict[str, Any],
    root: Path,
    *,
    container: str | None = None,
    flags: Mapping[str, str] | None = None,
    addresses: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> LocalPod:
    """The ``container`` (default: the first) of ``obj``'s pod as a local process under ``root``."""
    namespace = obj["metadata"].get("namespace", "")
    spec = pod_spec(obj)
    c = next(c for c in [*spec["containers"], *(spec.get("initContainers") or [])] if container is None or c["name"] == container)
    root.mkdir(parents=True, exist_ok=True)
    volumes = {v["name"]: v for v in spec.get("volumes") or []}
    mounts: dict[str, Path] = {}
    for m in c.get("volumeMounts") or []:
        local = root / "volumes" / m["name"]
        _fill(rendered, namespace, volumes[m["name"]], local)
        mounts[m["mountPath"]] = local

    def local_path(value: str) -> str:
        for mount, local in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
            if value == mount or value.startswith(mount.rstrip("/") + "/"):
                return str(local) + value[len(mount.rstrip("/")):]
        return value

    def rewrite(value: str) -> str:
        for cluster, local in (addresses or {}).items():
            value = value.replace(cluster, local)
        return local_path(value)

    argv = [rewrite(a) for a in [*(c.get("command") or []), *(c.get("args") or [])]]
    for flag, value in (flags or {}).items():
        i = argv.index(flag)  # a flag the caller expects and the render lacks is an error
        argv[i + 1] = value
    # What the container runtime sets before the container's own env: PATH (the image's, here the test
    # virtualenv first) and HOSTNAME (the pod's name).
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
        "LANG": "C.UTF-8",
        "HOSTNAME": f"{obj['metadata'].get('name', 'pod')}-local",
    }
    for e in c.get("env") or []:
        env[e["name"]] = rewrite(_env_value(rendered, namespace, e))
    env.update(extra_env or {})
    return LocalPod(argv=argv, env=env, root=root, mounts=mounts)


def _env_value(rendered: Rendered, namespace: str, var: dict[str, Any]) -> str:
    if "value" in var:
        return str(var["value"])
    ref = var["valueFrom"]
    if "secretKeyRef" in ref:
        return rendered.secret_data(namespace, ref["secretKeyRef"]["name"])[ref["secretKeyRef"]["key"]]
    if "configMapKeyRef" in ref:
        return rendered.config_map_data(namespace, ref["configMapKeyRef"]["name"])[ref["configMapKeyRef"]["key"]]
    if ref.get("fieldRef", {}).get("fieldPath") == "spec.nodeName":
        return socket.gethostname()  # the downward API's node name: the node a local process runs on is this machine
    raise ValueError(f"env {var['name']}: only value, secretKeyRef, configMapKeyRef and spec.nodeName run locally, got {ref}")


def _fill(rendered: Rendered, namespace: str, volume: dict[str, Any], local: Path) -> None:
    local.mkdir(parents=True, exist_ok=True)
    if "secret" in volume:
        data = rendered.secret_data(namespace, volume["secret"]["secretName"])
        items = volume["secret"].get("items")
    elif "configMap" in volume:
        data = rendered.config_map_data(namespace, volume["configMap"]["name"])
        items = volume["configMap"].get("items")
    else:  # emptyDir, persistentVolumeClaim: an empty directory
        return
    for item in items or [{"key": k, "path": k} for k in data]:
        target = local / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(data[item["key"]])
        target.chmod(0o600)
