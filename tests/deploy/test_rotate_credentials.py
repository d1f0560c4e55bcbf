"""`mlstack hub rotate-credentials`: the spec edit and the exact plan changes it causes, offline (the MLflow side,
old password refused and new one accepted, runs against the real server: tests/real_services/test_rotation.py)."""

from __future__ import annotations

import json

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
