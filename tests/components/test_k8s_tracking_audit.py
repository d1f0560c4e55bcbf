"""mlstack's MLflow app (components/k8s/tracking_audit.py): which requests make an audit line and what it holds, the
Flask hook on a real Flask app, and MLflow's own ``--app-name`` lookup finding the entry point the ConfigMap
ships. The whole server with it runs in tests/real_services/test_registry_audit.py."""

from __future__ import annotations

import base64
import datetime
import json
import logging
import subprocess
import sys
import types

import pytest

from mlstack.components.k8s.tracking_audit import APP_NAME, FILES, LOGGER, MODULE, PLUGIN

NOW = datetime.datetime(2026, 12, 2, 7, 40, 1, 123456, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def plugin() -> types.ModuleType:
    module = types.ModuleType(MODULE)
    exec(compile(PLUGIN, f"{MODULE}.py", "exec"), module.__dict__)  # the source the ConfigMap ships
    return module


@pytest.mark.parametrize(("method", "route", "params", "response", "expected"), [
    ("POST", "registered-models/create", {"name": "ranker", "tags": [{"key": "k", "value": "v"}]}, None,
     {"action": "registered_model.create", "model": "ranker"}),
    ("POST", "model-versions/create", {"name": "ranker", "source": "s3://b/m", "run_id": "r1"},
     {"model_version": {"name": "ranker", "version": "3"}}, {"action": "model_version.create", "model": "ranker", "run_id": "r1", "version": "3"}),
    ("POST", "registered-models/alias", {"name": "ranker", "alias": "champion", "version": "3"}, None,
     {"action": "model_version.set_alias", "model": "ranker", "alias": "champion", "version": "3"}),
    ("DELETE", "registered-models/alias", {"name": "ranker", "alias": "champion"}, None,
     {"action": "model_version.delete_alias", "model": "ranker", "alias": "champion"}),
    ("POST", "model-versions/transition-stage", {"name": "ranker", "version": "3", "stage": "Production", "archive_existing_versions": True},
     None, {"action": "model_version.transition_stage", "model": "ranker", "version": "3", "stage": "Production",
            "archive_existing_versions": True}),
    ("POST", "model-versions/set-tag", {"name": "ranker", "version": "3", "key": "validated", "value": "yes"}, None,
     {"action": "model_version.set_tag", "model": "ranker", "version": "3", "key": "validated"}),
    ("DELETE", "model-versions/delete", {"name": "ranker", "version": "3"}, None,
     {"action": "model_version.delete", "model": "ranker", "version": "3"}),
    ("POST", "registered-models/rename", {"name": "ranker", "new_name": "ranker-v2"}, None,
     {"action": "registered_model.rename", "model": "ranker", "new_name": "ranker-v2"}),
    ("POST", "users/create", {"username": "alice", "password": "s3cret-pw"}, None, {"action": "user.create", "target_user": "alice"}),
    ("PATCH", "users/update-password", {"username": "alice", "password": "n3w-pw", "current_password": "s3cret-pw"}, None,
     {"action": "user.update_password", "target_user": "alice"}),
    ("PATCH", "users/update-admin", {"username": "alice", "is_admin": True}, None,
     {"action": "user.update_admin", "target_user": "alice", "is_admin": True}),
])  # fmt: skip
def test_each_audited_write_gives_its_action_and_named_fields_only(plugin, method, route, params, response, expected):
    line = plugin.record(method, f"/api/2.0/mlflow/{route}", params, 200, "research", response, "10.0.3.7", NOW)
    assert line == {"audit": "mlflow", "status": 200, "user": "research", "client": "10.0.3.7",
                    "time": "2026-12-02T07:40:01.123Z", **expected}  # fmt: skip
    assert not {"s3cret-pw", "n3w-pw", "yes", "s3://b/m"} & {str(v) for v in line.values()}


def test_reads_other_routes_and_refusals(plugin):
    assert plugin.record("GET", "/api/2.0/mlflow/registered-models/get", {"name": "m"}, 200, "a", now=NOW) is None
    assert plugin.record("POST", "/api/2.0/mlflow/runs/create", {}, 200, "a", now=NOW) is None
    assert plugin.record("POST", "/health", {}, 200, None, now=NOW) is None
    # The UI's path and a static prefix are the same route.
    assert plugin.record("DELETE", "/mlflow/ajax-api/2.0/mlflow/registered-models/delete", {"name": "m"}, 403, "applied",
                         now=NOW)["action"] == "registered_model.delete"  # fmt: skip
    # Not authenticated: no user, whatever name the request carried.
    assert plugin.record("DELETE", "/api/2.0/mlflow/registered-models/delete", {"name": "m"}, 401, "mallory", now=NOW) == {
        "audit": "mlflow", "action": "registered_model.delete", "status": 401, "user": None, "model": "m",
        "time": "2026-12-02T07:40:01.123Z"}  # fmt: skip


def test_the_hook_on_a_flask_app_writes_one_json_line_with_the_basic_auth_user(plugin):
    from flask import Flask, jsonify

    app = Flask("audit-test")
    app.add_url_rule("/api/2.0/mlflow/model-versions/create", "create",
                     lambda: jsonify({"model_version": {"name": "ranker", "version": "7"}}), methods=["POST"])  # fmt: skip
    app.add_url_rule("/api/2.0/mlflow/registered-models/get", "get", lambda: jsonify({}), methods=["GET"])
    app.after_request(plugin._after_request)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    plugin._logger().addHandler(handler)
    try:
        auth = {"Authorization": "Basic " + base64.b64encode(b"research:pw-not-logged").decode()}
        client = app.test_client()
        assert client.post("/api/2.0/mlflow/model-versions/create", json={"name": "ranker", "source": "s3://b/m"}, headers=auth).status_code == 200
        assert client.get("/api/2.0/mlflow/registered-models/get?name=ranker", headers=auth).status_code == 200
    finally:
        logging.getLogger(LOGGER).removeHandler(handler)
    (line,) = [json.loads(r.getMessage()) for r in records]
    assert {k: v for k, v in line.items() if k != "time"} == {
        "audit": "mlflow", "action": "model_version.create", "status": 200, "user": "research", "model": "ranker",
        "version": "7", "client": "127.0.0.1"}  # fmt: skip
    assert "pw-not-logged" not in records[0].getMessage()


def test_mlflows_app_lookup_finds_the_entry_point_the_configmap_ships(tmp_path):
    for path, text in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    probe = ("from mlflow.server import _find_app, _is_factory; app = _find_app('mlstack-audit'); "
             "print(app, _is_factory(app))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"{MODULE}:create_app True"
    assert APP_NAME == "mlstack-audit"
