"""`mlstack hub rotate-credentials`: the spec edit and the exact plan changes it causes, offline (the MLflow side,
old password refused and new one accepted, runs against the real server: tests/real_services/test_rotation.py)."""

from __future__ import annotations

import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.spec import load_spec
from tests.lifecycle.fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_cli": "3.272.0"}
TRACKING = "acme-ml-onprem-platform-tracking"
# What the next `up` does: only the research user's password is new; its Secret, the users list and a new
# migrations Job (which sets it on the MLflow user) follow; the server's Deployment reads the config Secret.
CHANGES = [
    ("update", "kubernetes:apps/v1:Deployment", f"{TRACKING}-deployment", True),
    ("replace", "kubernetes:batch/v1:Job", f"{TRACKING}-migrate", False),
    ("replace", "kubernetes:core/v1:Secret", f"{TRACKING}-config", False),
    ("replace", "kubernetes:core/v1:Secret", f"{TRACKING}-user-research", False),
    ("replace", "random:index/randomPassword:RandomPassword", f"{TRACKING}-user-research-password", False),
]


def _changes(out: dict) -> list[tuple[str, str, str, bool]]:
    return [(c["action"], c["type"], c["name"], bool(c.get("at_risk"))) for c in out["changes"]]


def test_a_dry_run_shows_the_spec_edit_and_exactly_what_changes(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    before = (stacks / "onprem.yaml").read_text()
    code = main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", "--team", "research",
                 "--format", "json"])  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["written"] is False and out["rotation"] == 1
    assert (stacks / "onprem.yaml").read_text() == before
    assert out["spec_diff"].splitlines()[-3:] == ["+teams:", "+  research:", "+    mlflow_password_rotation: 1"]
    assert _changes(out) == CHANGES
    job = next(c for c in out["changes"] if c["type"] == "kubernetes:batch/v1:Job")
    (prop,) = job["properties"]
    assert prop["path"] == "metadata.name" and prop["old"].startswith("mlflow-migrate-") and prop["new"] != prop["old"]
    password = next(c for c in out["changes"] if c["type"].startswith("random:"))
    assert [(p["path"], p["old"], p["new"]) for p in password["properties"]] == [("keepers", None, {"rotation": "1"})]
    assert "mock-password" not in json.dumps(out)  # no secret value, not even the mock's


def test_write_raises_the_counter_in_the_env_file_and_keeps_its_lock_consistent(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    spec = load_spec("onprem", stacks)
    lk.write_lock(lk.lock_path("onprem", stacks), lk.build_lock(spec, {}, TOOLS))
    lock_before = json.loads(lk.lock_path("onprem", stacks).read_text())
    for expected in (1, 2):
        assert main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", "--team", "research",
                     "--write"]) == 0  # fmt: skip
        text = capsys.readouterr().out
        assert text.splitlines()[-1] == (f"wrote {stacks / 'onprem.yaml'}: `mlstack up --env onprem` rotates research's "
                                         "MLflow password (pods that read the Secret mlflow-research get the new one when "
                                         "they restart)")  # fmt: skip
        after = load_spec("onprem", stacks)
        assert after.teams["research"].mlflow_password_rotation == expected
        assert after.teams["applied"].mlflow_password_rotation == 0
    lock = json.loads(lk.lock_path("onprem", stacks).read_text())
    assert lock == {**lock_before, "spec_digest": lk.spec_digest(after)}
    assert (stacks / "onprem.yaml").read_text().endswith("teams:\n  research:\n    mlflow_password_rotation: 2\n")


def test_an_unknown_team_is_a_usage_error_and_nothing_is_written(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    before = (stacks / "onprem.yaml").read_text()
    code = main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", "--team", "nobody", "--write"])
    assert code == 2
    assert capsys.readouterr().err == ("error: onprem has no team 'nobody' (its teams: applied, research): --team names a "
                                       "key of the spec's teams\n")  # fmt: skip
    assert (stacks / "onprem.yaml").read_text() == before


# --user admin: the admin's password, its Secret and basic_auth.ini (in mlflow-config), and a new migrations Job,
# which sets the password on the admin user; no team's or the verification user's password moves.
ADMIN_CHANGES = [
    ("update", "kubernetes:apps/v1:Deployment", f"{TRACKING}-deployment", True),
    ("replace", "kubernetes:batch/v1:Job", f"{TRACKING}-migrate", False),
    ("replace", "kubernetes:core/v1:Secret", f"{TRACKING}-admin", False),
    ("replace", "kubernetes:core/v1:Secret", f"{TRACKING}-config", False),
    ("replace", "random:index/randomPassword:RandomPassword", f"{TRACKING}-admin-password", False),
]
# --user verify: the mlstack-verify user's password, the verification Job's Secret and users.json; the Job itself
# and the dashboard (which waits for the verification component) are only at risk: they read the Secret by name.
VERIFY = "acme-ml-onprem-platform-verify"
VERIFY_CHANGES = [
    ("update", "kubernetes:core/v1:ConfigMap", "acme-ml-onprem-platform-dashboard-cm", True),
    ("update", "mlstack:k8s:GpuDashboard", "acme-ml-onprem-platform-dashboard", True),
    ("update", "kubernetes:apps/v1:Deployment", f"{TRACKING}-deployment", True),
    ("replace", "kubernetes:batch/v1:Job", f"{TRACKING}-migrate", False),
    ("replace", "kubernetes:core/v1:Secret", f"{TRACKING}-config", False),
    ("replace", "random:index/randomPassword:RandomPassword", f"{TRACKING}-user-mlstack-verify-password", False),
    ("update", "kubernetes:batch/v1:Job", f"{VERIFY}-job", True),
    ("replace", "kubernetes:core/v1:Secret", f"{VERIFY}-mlflow", False),
]


@pytest.mark.parametrize(("user", "changes"), [("admin", ADMIN_CHANGES), ("verify", VERIFY_CHANGES)])
def test_the_admin_and_the_verify_user_rotate_through_tracking_password_rotation(tmp_path, capsys, user, changes):
    stacks = copy_stacks(tmp_path)
    for expected in (1, 2):
        assert main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", "--user", user,
                     "--write", "--format", "json"]) == 0  # fmt: skip
        out = json.loads(capsys.readouterr().out)
        assert (out["team"], out["user"], out["rotation"], out["written"]) == (None, user, expected, True)
        assert out["field"] == f"tracking.password_rotation.{user}"
        assert _changes(out) == changes
        password = next(c for c in out["changes"] if c["type"].startswith("random:"))
        assert [(p["path"], p["old"], p["new"]) for p in password["properties"]] == (
            [("keepers", None, {"rotation": "1"})] if expected == 1 else [("keepers.rotation", "1", "2")])
        assert "mock-password" not in json.dumps(out)
    spec = load_spec("onprem", stacks)
    assert spec.tracking.password_rotation.model_dump() == {"admin": 0, "verify": 0, user: 2}
    assert all(t.mlflow_password_rotation == 0 for t in spec.teams.values())
    assert (stacks / "onprem.yaml").read_text().endswith(f"tracking:\n  password_rotation:\n    {user}: 2\n")


def test_the_text_report_names_whose_password_the_next_up_rotates(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    assert main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", "--user", "admin", "--write"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"wrote {stacks / 'onprem.yaml'}: `mlstack up --env onprem` rotates the admin's MLflow password (read it from "
        "the Secret mlflow/mlflow-admin afterwards)")  # fmt: skip


@pytest.mark.parametrize(("args", "error"), [
    ([], "error: name exactly one whose password to rotate: --team <team> or --user admin|verify\n"),
    (["--team", "research", "--user", "admin"],
     "error: name exactly one whose password to rotate: --team <team> or --user admin|verify\n"),
    (["--user", "research"], "error: --user 'research': expected one of admin, verify (a team's user: --team <team>)\n"),
])  # fmt: skip
def test_whose_password_must_be_named_once(tmp_path, capsys, args, error):
    stacks = copy_stacks(tmp_path)
    before = (stacks / "onprem.yaml").read_text()
    assert main(["--stacks-dir", str(stacks), "hub", "rotate-credentials", "--env", "onprem", *args, "--write"]) == 2
    assert capsys.readouterr().err == error
    assert (stacks / "onprem.yaml").read_text() == before
