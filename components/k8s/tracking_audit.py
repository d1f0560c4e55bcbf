"""mlstack's MLflow server app: MLflow's basic-auth app plus one JSON audit line per registry or user write.

MLflow 3.17 records no "who did what": its access log (uvicorn's) has the method, path and status of every
request but not the authenticated user nor the model, and its webhooks carry the model but not the user. So
the TrackingServer runs ``mlflow server --app-name mlstack-audit``: an app plugin through MLflow's own
``mlflow.app`` entry point, which builds MLflow's ``basic-auth`` app unchanged (``mlflow.server.auth:create_app``)
and adds a Flask ``after_request`` hook. For each registry or user-management write (the routes in
``ACTIONS``), answered or refused, it writes one line to the container's stdout, e.g.::

    {"action": "model_version.create", "audit": "mlflow", "client": "10.0.3.7", "model": "ranker",
     "status": 200, "time": "2026-12-02T07:40:01.123Z", "user": "research", "version": "3"}

Only named request fields go in (``FIELDS``): never a password, a tag's value or a body. ``user`` is the
basic-auth user MLflow authenticated; on a 401 (not authenticated) it is null, whatever name was sent.

How it reaches the pod: not through the image. The module (:data:`PLUGIN`) and a two-file distribution record
that declares its entry point are files of the ConfigMap ``mlflow-python``, mounted on ``PYTHONPATH``
(:data:`FILES`), so any image with MLflow and its ``auth`` extra (the default ``ghcr.io/mlflow/mlflow`` or
your own) serves it, and ``importlib.metadata`` (which MLflow's ``--app-name`` reads) finds the entry point.

What changes against ``--app-name basic-auth``: MLflow's CLI bootstraps the auth store before it forks
workers only for an app named ``basic-auth``; here each worker does it when it loads the app, which finds
the schema and the admin the migrations Job made (``tracking_migrate.py``) and changes nothing.
"""

from __future__ import annotations

APP_NAME = "mlstack-audit"  # ``mlflow server --app-name``
MODULE = "mlstack_mlflow_audit"
LOGGER = "mlstack.audit"
DIST_INFO = f"{MODULE}-1.0.dist-info"

# The plugin itself: plain Python the MLflow pod imports (flask and mlflow are the image's, not mlstack's).
PLUGIN = '''\
"""mlstack's MLflow app: MLflow's basic-auth app plus one JSON line per registry or user write (who, what)."""
import datetime
import json
import logging
import re
import sys

LOGGER = "@LOGGER@"
_PATH = re.compile(r"/(?:api|ajax-api)/[23]\\.0/mlflow/(.+)$")
# (method, route) -> action. Registry writes, then user and permission management.
ACTIONS = {
    ("POST", "registered-models/create"): "registered_model.create",
    ("POST", "registered-models/rename"): "registered_model.rename",
    ("PATCH", "registered-models/update"): "registered_model.update",
    ("DELETE", "registered-models/delete"): "registered_model.delete",
    ("POST", "registered-models/set-tag"): "registered_model.set_tag",
    ("DELETE", "registered-models/delete-tag"): "registered_model.delete_tag",
    ("POST", "registered-models/alias"): "model_version.set_alias",
    ("DELETE", "registered-models/alias"): "model_version.delete_alias",
    ("POST", "model-versions/create"): "model_version.create",
    ("PATCH", "model-versions/update"): "model_version.update",
    ("POST", "model-versions/transition-stage"): "model_version.transition_stage",
    ("DELETE", "model-versions/delete"): "model_version.delete",
    ("POST", "model-versions/set-tag"): "model_version.set_tag",
    ("DELETE", "model-versions/delete-tag"): "model_version.delete_tag",
    ("POST", "users/create"): "user.create",
    ("PATCH", "users/update-password"): "user.update_password",
    ("PATCH", "users/update-admin"): "user.update_admin",
    ("DELETE", "users/delete"): "user.delete",
    ("POST", "users/permissions/grant"): "permission.grant",
    ("POST", "users/permissions/revoke"): "permission.revoke",
}
# Request fields that go into the line, under these names; nothing else (no password, tag value or body).
FIELDS = {
    "name": "model", "new_name": "new_name", "version": "version", "alias": "alias", "stage": "stage",
    "archive_existing_versions": "archive_existing_versions", "key": "key", "run_id": "run_id",
    "username": "target_user", "is_admin": "is_admin", "permission": "permission",
    "resource_type": "resource_type", "resource_id": "resource_id",
}
_USER_FIELDS = {"name": "target_user"}  # users/*: "name" is not a model


def record(method, path, params, status, user, response=None, client=None, now=None):
    """The audit line's fields for one request, or None when it is not an audited write."""
    match = _PATH.search(path)
    action = ACTIONS.get((method, match.group(1))) if match else None
    if action is None:
        return None
    out = {"audit": "mlflow", "action": action, "status": status, "user": user if status != 401 else None}
    names = {**FIELDS, **_USER_FIELDS} if action.startswith(("user.", "permission.")) else FIELDS
    for field, name in names.items():
        value = params.get(field)
        if value is not None and value != "":
            out[name] = value if isinstance(value, (bool, int)) else str(value)
    if action == "model_version.create" and isinstance(response, dict):
        version = (response.get("model_version") or {}).get("version")
        if version is not None:
            out["version"] = str(version)
    if client:
        out["client"] = client
    when = now or datetime.datetime.now(datetime.timezone.utc)
    out["time"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return out


def _logger():
    log = logging.getLogger(LOGGER)
    if not log.handlers:  # one handler per process: each worker loads the app once
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def _after_request(response):
    from flask import request

    try:
        body = request.get_json(silent=True)
        params = {**request.args.to_dict(), **(body if isinstance(body, dict) else {})}
        auth = request.authorization
        line = record(
            request.method, request.path, params, response.status_code, auth.username if auth else None,
            response.get_json(silent=True) if response.is_json else None, request.remote_addr,
        )
        if line is not None:
            _logger().info(json.dumps(line, sort_keys=True))
    except Exception as exc:  # the audit line must never turn a served request into an error
        _logger().warning(json.dumps({"audit": "mlflow", "error": type(exc).__name__}))
    return response


def create_app():
    """MLflow's basic-auth app with the audit hook; an app factory, as ``--app-name`` wants."""
    from mlflow.server import app
    from mlflow.server.auth import create_app as basic_auth_app

    # Registered first, so it runs after basic auth's own hook (Flask runs them in reverse order).
    app.after_request(_after_request)
    return basic_auth_app(app)
'''.replace("@LOGGER@", LOGGER)

# Files under the pod's PYTHONPATH directory: the module and the distribution record whose entry point
# ``mlflow server --app-name`` looks up (``importlib.metadata`` scans sys.path for ``*.dist-info``).
FILES = {
    f"{MODULE}.py": PLUGIN,
    f"{DIST_INFO}/METADATA": "Metadata-Version: 2.1\nName: mlstack-mlflow-audit\nVersion: 1.0\n",
    f"{DIST_INFO}/entry_points.txt": f"[mlflow.app]\n{APP_NAME} = {MODULE}:create_app\n",
}
