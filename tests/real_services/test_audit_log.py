"""Audit on the real MLflow server: every request, registry actions included, is a line of the server's access log
(uvicorn's, on in the rendered command), which is the container's stdout: what the cluster's log pipeline ships
(docs/platform.md, "Audit")."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from .conftest import Api

pytestmark = pytest.mark.real_services


def _lines_after(log: Path, offset: int, wanted: list[str], timeout_s: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while True:
        lines = log.read_bytes()[offset:].decode(errors="replace").splitlines()
        found = [w for w in wanted if not any(w in line for line in lines)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_registry_actions_and_refusals_are_in_the_servers_access_log(mlflow_server, rendered):
    log = Path(mlflow_server["MLSTACK_MLFLOW_LOG"])
    offset = log.stat().st_size
    secret = rendered.secret_data("research", "mlflow-research")
    research = Api(mlflow_server["MLFLOW_TRACKING_URI"], (secret["username"], secret["password"]))
    name = f"audited-{uuid.uuid4().hex[:6]}"
    assert research.post("registered-models/create", {"name": name}).status_code == 200
    experiment = research.post("experiments/create", {"name": f"research-{name}"}).json()["experiment_id"]
    run = research.post("runs/create", {"experiment_id": experiment}).json()["run"]["info"]
    version = research.post("model-versions/create", {"name": name, "source": f"{run['artifact_uri']}/model",
                                                       "run_id": run["run_id"]})  # fmt: skip
    assert version.status_code == 200, version.text
    alias = research.post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    assert alias.status_code == 200, alias.text
    assert Api(mlflow_server["MLFLOW_TRACKING_URI"], None).get("registered-models/get", name=name).status_code == 401
    missing = _lines_after(log, offset, [
        '"POST /api/2.0/mlflow/registered-models/create HTTP/1.1" 200',
        '"POST /api/2.0/mlflow/model-versions/create HTTP/1.1" 200',
        '"POST /api/2.0/mlflow/registered-models/alias HTTP/1.1" 200',
        f'"GET /api/2.0/mlflow/registered-models/get?name={name} HTTP/1.1" 401',
    ])
    assert missing == [], f"not in {log}: {missing}"
    assert secret["password"] not in log.read_text(errors="replace")  # a log line never carries a credential
