"""The ``services`` session fixture's manager: use a running service, or start one and stop it afterwards.

``.ci/run`` starts every service before pytest and exports ``MLSTACK_SERVICES_DIR``; then tests use those.
Without it (a developer's ``pytest``), the first test that needs a service starts it through the same
``.ci/services/<name>.sh`` in a private directory, and the session stops what it started. A service that
cannot start skips the tests that need it, with the script's own words as the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / ".ci" / "services"
START_TIMEOUT_S = 300
# A service's kind is the script that runs it; instances of mlflow (mlflow, mlflow-b, ...) share mlflow.sh.
NEEDS = {"postgres": (), "s3": (), "mlflow": ("postgres", "s3")}


def kind_of(name: str) -> str:
    return "mlflow" if name.startswith("mlflow") else name


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def healthy(kind: str, env: dict[str, str]) -> bool:
    """Whether the service a connection file describes answers now."""
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(env["MLSTACK_POSTGRES_URI"], connect_timeout=3).close()
            return True
        url = {"s3": lambda: env["MLSTACK_S3_ENDPOINT_URL"] + "/moto-api/", "mlflow": lambda: env["MLFLOW_TRACKING_URI"] + "/health"}
        with urllib.request.urlopen(url[kind](), timeout=5) as r:  # noqa: S310 - loopback only
            return r.status == 200
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


class Services:
    def __init__(self) -> None:
        shared = os.environ.get("MLSTACK_SERVICES_DIR")
        # A private directory otherwise: /tmp itself, since pytest's own temp dirs are closed to the
        # `postgres` user the database server runs as.
        self.own_dir = None if shared else Path(tempfile.mkdtemp(prefix="mlstack-services-"))
        self.dir = Path(shared) if shared else self.own_dir
        self.dir.chmod(0o755)
        self.started: list[str] = []
        self.failed: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        return {**os.environ, "MLSTACK_SERVICES_DIR": str(self.dir), "MLSTACK_PYTHON": sys.executable}

    def get(self, name: str, *options: str) -> dict[str, str]:
        """Connection info of service ``name`` (``postgres``, ``s3``, ``mlflow`` or ``mlflow-<x>``).

        ``options`` go to the start script (e.g. ``--db-secret`` for an MLflow instance).
        """
        kind = kind_of(name)
        for dep in NEEDS[kind]:
            self.get(dep)
        if name in self.failed:
            pytest.skip(self.failed[name])
        path = self.dir / f"{name}.env"
        if path.exists():
            env = read_env(path)
            if healthy(kind, env):
                return env
        argv = [str(SCRIPTS / f"{kind}.sh"), "start"] + ([name] if kind == "mlflow" else []) + list(options)
        proc = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False)
        if proc.returncode != 0 or not path.exists():
            tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-4:])
            self.failed[name] = f"real service {name!r} could not start ({' '.join(argv[1:])} exited {proc.returncode}): {tail}"
            pytest.skip(self.failed[name])
        self.started.append(name)
        return read_env(path)

    def stop(self, name: str) -> None:
        kind = kind_of(name)
        argv = [str(SCRIPTS / f"{kind}.sh"), "stop"] + ([name] if kind == "mlflow" else [])
        subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=120, check=False)
        if name in self.started:
            self.started.remove(name)

    def close(self) -> None:
        for name in reversed(list(self.started)):
            self.stop(name)
        if self.own_dir is not None:
            shutil.rmtree(self.own_dir, ignore_errors=True)
