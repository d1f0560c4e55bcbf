"""Registry audit on the real MLflow server: the rendered server runs mlstack's app (``--app-name mlstack-audit``,
components/k8s/tracking_audit.py) from the rendered ConfigMap on PYTHONPATH, and every registry or user write
is one JSON line on its stdout with the acting user, the action, the model and the version, and no secret."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from pathlib import Path

import pytest

from mlstack.components.k8s.tracking_audit import APP_NAME

from .conftest import Api
from .test_mlflow_server import proc_cmdline

pytestmark = pytest.mark.real_services
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _audit_lines(log: Path, offset: int, marker: str, count: int, timeout_s: float = 30.0) -> list[dict]:
    """The audit lines written after ``offset`` that mention ``marker``, once ``count`` of them are there."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = log.read_bytes()[offset:].decode(errors="replace")
        lines = [json.loads(line) for line in text.splitlines() if line.startswith('{"') and '"audit": "mlflow"' in line]
        found = [line for line in lines if marker in json.dumps(line)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_registry_writes_are_json_lines_with_the_acting_user_and_no_secret(mlflow_server, rendered, admin_api):
    argv = proc_cmdline(mlflow_server["MLSTACK_MLFLOW_PID"])
    assert argv[argv.index("--app-name") + 1] == APP_NAME
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    log = Path(mlflow_server["MLSTACK_MLFLOW_LOG"])
    offset = log.stat().st_size
    creds = {t: rendered.secret_data(t, f"mlflow-{t}") for t in ("research", "applied")}
    research, applied = (Api(url, (creds[t]["username"], creds[t]["password"])) for t in ("research", "applied"))
    name = f"audited-{uuid.uuid4().hex[:8]}"
    assert research.post("registered-models/create", {"name": name}).status_code == 200
    experiment = research.post("experiments/create", {"name": f"research-{name}"}).json()["experiment_id"]
    run = research.post("runs/create", {"experiment_id": experiment}).json()["run"]["info"]
    created = research.post("model-versions/create", {"name": name, "source": f"{run['artifact_uri']}/model", "run_id": run["run_id"]})
    assert created.status_code == 200, created.text
    assert research.post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"}).status_code == 200
    assert research.post("model-versions/transition-stage", {"name": name, "version": "1", "stage": "Staging"}).status_code == 200
    assert research.post("model-versions/set-tag", {"name": name, "version": "1", "key": "validated", "value": "tag-value-not-logged"}).status_code == 200
    # Another team may read but not delete: refused, and recorded with who tried.
    assert requests_delete(applied, "registered-models/delete", {"name": name}) == 403
    assert requests_delete(Api(url, None), "registered-models/delete", {"name": name}) == 401
    assert requests_delete(research, "registered-models/alias", {"name": name, "alias": "champion"}) == 200
    assert requests_delete(research, "model-versions/delete", {"name": name, "version": "1"}) == 200
    assert requests_delete(research, "registered-models/delete", {"name": name}) == 200
    # User management by the admin: the new user's name, never its password.
    person, password = f"{name}-person", secrets.token_hex(16)
    assert admin_api.post("users/create", {"username": person, "password": password}).status_code == 200
    assert requests_delete(admin_api, "users/delete", {"username": person}) == 200

    lines = _audit_lines(log, offset, name, 12)
    admin = mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"]
    assert [(r["action"], r["user"], r["status"], r.get("model") or r.get("target_user"), r.get("version"), r.get("alias"),
             r.get("stage"), r.get("key")) for r in lines] == [  # fmt: skip
        ("registered_model.create", "research", 200, name, None, None, None, None),
        ("model_version.create", "research", 200, name, "1", None, None, None),
        ("model_version.set_alias", "research", 200, name, "1", "champion", None, None),
        ("model_version.transition_stage", "research", 200, name, "1", None, "Staging", None),
        ("model_version.set_tag", "research", 200, name, "1", None, None, "validated"),
        ("registered_model.delete", "applied", 403, name, None, None, None, None),
        ("registered_model.delete", None, 401, name, None, None, None, None),
        ("model_version.delete_alias", "research", 200, name, None, "champion", None, None),
        ("model_version.delete", "research", 200, name, "1", None, None, None),
        ("registered_model.delete", "research", 200, name, None, None, None, None),
        ("user.create", admin, 200, person, None, None, None, None),
        ("user.delete", admin, 200, person, None, None, None, None),
    ]
    assert all(TIME.match(r["time"]) and r["client"] == "127.0.0.1" and r["audit"] == "mlflow" for r in lines)
    assert lines[1]["run_id"] == run["run_id"]
    text = json.dumps(lines)
    for secret in (password, creds["research"]["password"], creds["applied"]["password"], mlflow_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"],
                   "tag-value-not-logged"):  # fmt: skip
        assert secret not in text
    assert password not in log.read_text(errors="replace")


def requests_delete(api: Api, path: str, body: dict) -> int:
    import requests

    return requests.delete(f"{api.url}/api/2.0/mlflow/{path}", json=body, auth=api.auth, timeout=30).status_code
