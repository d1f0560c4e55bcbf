"""Credential rotation on the real MLflow server: the migrations Job, as rendered, sets a team's rotated password
on its MLflow user; the old password is refused from then on, the new one and every other user's work.

What `mlstack hub rotate-credentials` makes the next `up` do is proved offline (tests/deploy/
test_rotate_credentials.py: only that team's RandomPassword is replaced, its Secret, the users list and a new
migrations Job follow). Here the rotated users list, as Pulumi would write it (the team's new password, every
other one kept), is put into the rendered config Secret and the rendered Job's pod runs against the server.
"""

from __future__ import annotations

import copy
import json
import secrets
import string

import pytest

from .conftest import Api
from .localpod import run_job
from .rendered import Rendered

pytestmark = pytest.mark.real_services


def _status(url: str, user: str, password: str) -> int:
    return Api(url, (user, password)).get("experiments/search", max_results=1).status_code


def test_a_rotated_password_is_set_by_the_migrations_job_and_the_old_one_is_refused(
    mlflow_server, rendered, admin_api, services, tmp_path
):
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    users = json.loads(rendered.secret_data("mlflow", "mlflow-config")["users.json"])
    old = rendered.secret_data("research", "mlflow-research")["password"]
    assert users["research"] == old and _status(url, "research", old) == 200
    new = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))  # as RandomPassword makes it
    rotated = Rendered(copy.deepcopy(rendered.objects))
    rotated.get("Secret", "mlflow", "mlflow-config")["stringData"]["users.json"] = json.dumps({**users, "research": new}, sort_keys=True)
    (job,) = [j for j in rotated.of_kind("Job") if j["metadata"]["name"].startswith("mlflow-migrate-")]
    try:
        done = run_job(rotated, job, tmp_path / "migrate", timeout_s=300,
                       extra_env={"AWS_DEFAULT_REGION": services.get("s3")["AWS_DEFAULT_REGION"]})  # fmt: skip
        assert [(name, r.returncode) for name, r in done] == [("migrate-tracking", 0), ("migrate-auth", 0)], done[-1][1].stderr
        assert "updated MLflow user research" in done[-1][1].stdout
        assert new not in done[-1][1].stdout + done[-1][1].stderr and old not in done[-1][1].stdout + done[-1][1].stderr
        assert _status(url, "research", old) == 401
        assert _status(url, "research", new) == 200
        assert _status(url, "applied", users["applied"]) == 200  # nobody else's password moved
    finally:  # the session's other tests log in as research with the rendered password
        restored = admin_api.patch("users/update-password", {"username": "research", "password": old})
        assert restored.status_code == 200, restored.text
