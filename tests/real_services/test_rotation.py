"""Credential rotation on the real MLflow server: the migrations Job, as rendered, sets a rotated password on its
MLflow user (a team's, the verification Job's, or the admin's); the old password is refused from then on, the
new one and every other user's work.

What `mlstack hub rotate-credentials` makes the next `up` do is proved offline (tests/deploy/
test_rotate_credentials.py: only that user's RandomPassword is replaced, its Secret, the config Secret and a new
migrations Job follow). Here the rotated config, as Pulumi would write it (that user's new password, every
other one kept), is put into the rendered Secrets and the rendered Job's pod runs against the server. Each
test puts the old password back (through the admin API) before it ends: the session's other tests log in
with the rendered ones, whatever order they run in.
"""

from __future__ import annotations

import copy
import json
import secrets
import string
import subprocess
from pathlib import Path

import pytest

from mlstack.components.k8s.tracking_pod import NAME, PORT
from mlstack.engine.deploy.verify import parse_checks

from .conftest import Api
from .localpod import materialise, run_job
from .rendered import Rendered

pytestmark = pytest.mark.real_services
VERIFY_USER = "mlstack-verify"


def _status(url: str, user: str, password: str) -> int:
    return Api(url, (user, password)).get("experiments/search", max_results=1).status_code


def _new_password() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))  # as RandomPassword makes it


def _migrate(rotated: Rendered, root: Path, services) -> subprocess.CompletedProcess:
    """Runs the rendered migrations Job's pod (both containers) with the rotated Secrets; returns migrate-auth's result."""
    (job,) = [j for j in rotated.of_kind("Job") if j["metadata"]["name"].startswith("mlflow-migrate-")]
    done = run_job(rotated, job, root, timeout_s=300, extra_env={"AWS_DEFAULT_REGION": services.get("s3")["AWS_DEFAULT_REGION"]})
    assert [(name, r.returncode) for name, r in done] == [("migrate-tracking", 0), ("migrate-auth", 0)], done[-1][1].stderr
    return done[-1][1]


def _users(rendered: Rendered) -> dict[str, str]:
    return json.loads(rendered.secret_data("mlflow", "mlflow-config")["users.json"])


def test_a_rotated_password_is_set_by_the_migrations_job_and_the_old_one_is_refused(
    mlflow_server, rendered, admin_api, services, tmp_path
):
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    users = _users(rendered)
    old = rendered.secret_data("research", "mlflow-research")["password"]
    assert users["research"] == old and _status(url, "research", old) == 200
    new = _new_password()
    rotated = Rendered(copy.deepcopy(rendered.objects))
    rotated.get("Secret", "mlflow", "mlflow-config")["stringData"]["users.json"] = json.dumps({**users, "research": new}, sort_keys=True)
    try:
        done = _migrate(rotated, tmp_path / "migrate", services)
        assert "updated MLflow user research" in done.stdout
        assert "updated MLflow admin" not in done.stdout  # the admin's password matches: the Job leaves it alone
        assert new not in done.stdout + done.stderr and old not in done.stdout + done.stderr
        assert _status(url, "research", old) == 401
        assert _status(url, "research", new) == 200
        assert _status(url, "applied", users["applied"]) == 200  # nobody else's password moved
    finally:  # the session's other tests log in as research with the rendered password
        restored = admin_api.patch("users/update-password", {"username": "research", "password": old})
        assert restored.status_code == 200, restored.text


def test_the_admins_rotated_password_comes_from_basic_auth_ini_and_the_teams_are_unaffected(
    mlflow_server, rendered, services, tmp_path
):
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    admin = rendered.secret_data("mlflow", "mlflow-admin")
    name, old = admin["username"], admin["password"]
    assert (name, old) == (mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"], mlflow_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"])
    new = _new_password()
    rotated = Rendered(copy.deepcopy(rendered.objects))
    config = rotated.get("Secret", "mlflow", "mlflow-config")["stringData"]
    assert config["basic_auth.ini"].count(f"admin_password = {old}\n") == 1
    config["basic_auth.ini"] = config["basic_auth.ini"].replace(f"admin_password = {old}\n", f"admin_password = {new}\n")
    rotated.get("Secret", "mlflow", "mlflow-admin")["stringData"]["password"] = new
    try:
        done = _migrate(rotated, tmp_path / "migrate", services)
        assert f"updated MLflow admin {name}" in done.stdout
        assert new not in done.stdout + done.stderr and old not in done.stdout + done.stderr
        # An admin-only call: the old password is refused, the new one is the admin's.
        assert Api(url, (name, old)).get("users/get", username="research").status_code == 401
        got = Api(url, (name, new)).get("users/get", username=name)
        assert got.status_code == 200 and got.json()["user"]["is_admin"] is True
        assert {u: _status(url, u, p) for u, p in sorted(_users(rendered).items())} == {
            "applied": 200, VERIFY_USER: 200, "research": 200}
    finally:
        if _status(url, name, old) != 200:
            # MLflow asks a user who changes their own password for the current one.
            restored = Api(url, (name, new)).patch("users/update-password", {"username": name, "password": old,
                                                                              "current_password": new})  # fmt: skip
            assert restored.status_code == 200, restored.text
    assert _status(url, name, old) == 200


def test_the_verify_users_rotated_password_reaches_the_verification_jobs_secret(
    mlflow_server, rendered, admin_api, services, tmp_path
):
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    users = _users(rendered)
    secret = rendered.secret_data("mlstack-system", "mlstack-verify-mlflow")
    old = users[VERIFY_USER]
    assert (secret["username"], secret["password"]) == (VERIFY_USER, old)
    new = _new_password()
    rotated = Rendered(copy.deepcopy(rendered.objects))
    rotated.get("Secret", "mlflow", "mlflow-config")["stringData"]["users.json"] = json.dumps({**users, VERIFY_USER: new}, sort_keys=True)
    rotated.get("Secret", "mlstack-system", "mlstack-verify-mlflow")["stringData"]["password"] = new
    try:
        done = _migrate(rotated, tmp_path / "migrate", services)
        assert f"updated MLflow user {VERIFY_USER}" in done.stdout
        assert new not in done.stdout + done.stderr and old not in done.stdout + done.stderr
        assert _status(url, VERIFY_USER, old) == 401
        assert _status(url, VERIFY_USER, new) == 200
        assert _status(url, "research", users["research"]) == 200 and _status(url, "applied", users["applied"]) == 200
        # The verification Job, with its rotated Secret, logs in as its user and passes the tracking check.
        job = rotated.get("Job", "mlstack-system", "mlstack-verify")
        local = url.removeprefix("http://")
        pod = materialise(rotated, job, tmp_path / "verify", addresses={f"{NAME}.{NAME}.svc.cluster.local:{PORT}": local})
        assert pod.env["MLFLOW_TRACKING_PASSWORD"] == new
        run = pod.run(timeout_s=300)
        tracking = {c.name: c for c in parse_checks(run.stdout)}["tracking"]
        assert tracking.passed, run.stdout + run.stderr
    finally:
        restored = admin_api.patch("users/update-password", {"username": VERIFY_USER, "password": old})
        assert restored.status_code == 200, restored.text
    assert _status(url, VERIFY_USER, old) == 200
