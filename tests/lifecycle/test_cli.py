"""Every lifecycle command through ``mlstack.cli.main``, with pulumi.automation replaced at its boundary."""

from __future__ import annotations

import io
import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.engine.deploy import workspace as ws
from mlstack.engine.deploy.workspace import OperationFailed, StackLocked

from .fakes import URN_BUCKET, URN_DB, FakeAutomation, FakeStack, copy_stacks, diag, done, failed, pre, tiny_plan

PLAN_LINES = [
    "Plan for acme-ml/{env} on aws us-west-2: 2 resources in the desired state, 1 protected",
    "     1  aws:rds/instance:Instance",
    "     1  aws:s3/bucket:Bucket",
]


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setattr("mlstack.engine.plan.program.make_program", lambda spec, pins=None, stamp=None, locked=None: (lambda: None))
    monkeypatch.setattr("mlstack.engine.deploy.lifecycle.plan_for", lambda spec: tiny_plan(spec.env))
    yield copy_stacks(tmp_path)
    ws.set_automation(None)


def use(auto: FakeAutomation) -> FakeAutomation:
    ws.set_automation(lambda: auto)
    return auto


def run(stacks, *args) -> int:
    return main(["--stacks-dir", str(stacks), *args])


SETUP = [("cli_version",), ("open", "acme-ml", "staging"), ("install_plugin", "aws", ws.sdk_version("pulumi_aws")),
         ("install_plugin", "kubernetes", ws.sdk_version("pulumi_kubernetes")),
         ("install_plugin", "random", ws.sdk_version("pulumi_random")), ("set_config", {"aws:region": "us-west-2"})]


def test_up_yes_streams_and_writes_lock(stacks, capsys):
    stack = FakeStack([], outputs={"cluster_name": ("acme-ml-staging", False), "db_password": ("s3cr3t", True)},
                      events=[pre("create", URN_BUCKET), done("create", URN_BUCKET), pre("same", URN_DB)])
    auto = use(FakeAutomation(stack))
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [line.format(env="staging") for line in PLAN_LINES] + [
        "creating aws:s3/bucket:Bucket acme-ml-staging-datasets",
        "created aws:s3/bucket:Bucket acme-ml-staging-datasets",
        "staging: 1 created, 1 unchanged",
        f"wrote {stacks / 'staging.lock.json'}",
    ]
    assert auto.calls == SETUP + [("up",)]
    lock = json.loads((stacks / "staging.lock.json").read_text())
    assert lock["outputs"] == {"cluster_name": "acme-ml-staging"} and lock["tools"]["pulumi_cli"] == "3.200.0"
    assert "s3cr3t" not in out.out + out.err + (stacks / "staging.lock.json").read_text()


def test_up_needs_yes_without_terminal(stacks, capsys):
    auto = use(FakeAutomation())
    assert run(stacks, "up", "--env", "staging") == 2
    assert capsys.readouterr().err == ("error: Deploy staging? needs confirmation and there is no terminal to ask on: "
                                       "pass --yes\n")
    assert auto.calls == [("cli_version",)] and not (stacks / "staging.lock.json").exists()


def test_up_asks_on_terminal(stacks, capsys, monkeypatch):
    monkeypatch.setattr("mlstack.cli.cmd_lifecycle._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    auto = use(FakeAutomation())
    assert run(stacks, "up", "--env", "staging") == 1
    assert ("up",) not in auto.calls and "aborted" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert run(stacks, "up", "--env", "staging") == 0
    assert ("up",) in auto.calls


def test_protected_env_needs_name(stacks, capsys, monkeypatch):
    auto = use(FakeAutomation())
    assert run(stacks, "up", "--env", "prod", "--yes") == 2
    assert capsys.readouterr().err == ("error: prod is protected: deploy it needs its name typed at a terminal "
                                       "(or pass --approve prod)\n")
    assert run(stacks, "up", "--env", "prod", "--yes", "--approve", "staging") == 2
    assert "--approve staging does not name this environment (prod)" in capsys.readouterr().err
    monkeypatch.setattr("mlstack.cli.cmd_lifecycle._interactive", lambda: True)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nstaging\n"))
    assert run(stacks, "up", "--env", "prod") == 1
    assert "typed 'staging', not 'prod': nothing changed" in capsys.readouterr().err
    assert ("up",) not in auto.calls
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nprod\n"))
    assert run(stacks, "up", "--env", "prod") == 0
    assert run(stacks, "up", "--env", "prod", "--yes", "--approve", "prod") == 0
    assert auto.calls.count(("up",)) == 2


def test_up_failure_names_resources_and_next_step(stacks, capsys):
    stack = FakeStack([], events=[pre("create", URN_DB), diag("InvalidParameterCombination: no such engine", URN_DB),
                                  failed("create", URN_DB)], fail=OperationFailed("up", "error: update failed"))
    use(FakeAutomation(stack))
    assert run(stacks, "up", "--env", "staging", "--yes") == 1
    out = capsys.readouterr()
    assert out.err.splitlines()[:4] == [
        "error: up of staging failed",
        "failing resources:",
        "  aws:rds/instance:Instance acme-ml-staging-db: InvalidParameterCombination: no such engine",
        "next: fix the cause above (spec, quota, permissions) and run `mlstack up --env staging` again: resources "
        "already created are kept in state and not re-created. If state and cloud disagree, run "
        "`mlstack refresh --env staging` first",
    ]
    assert "failed aws:rds/instance:Instance acme-ml-staging-db" in out.out
    assert not (stacks / "staging.lock.json").exists()


def test_up_locked_stack(stacks, capsys):
    use(FakeAutomation(FakeStack([], fail=StackLocked("the stack is locked by ana@ci-7 (pid 478) since 2024-05-16T20:31:35Z"))))
    assert run(stacks, "up", "--env", "staging", "--yes") == 1
    assert capsys.readouterr().err == (
        "error: the stack is locked by ana@ci-7 (pid 478) since 2024-05-16T20:31:35Z. Wait for that update to finish; "
        "if it is no longer running (killed, crashed), release the lock with `mlstack cancel --env staging`\n")


def test_up_locked_flag(stacks, capsys):
    auto = use(FakeAutomation())
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 2
    assert "--locked: " in capsys.readouterr().err
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 0
    auto.cli = "3.201.0"
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 2
    err = capsys.readouterr().err
    assert err.endswith(f"error: --locked: {stacks / 'staging.lock.json'} cannot be honoured, nothing was changed:\n"
                        "  tools.pulumi_cli: lock 3.200.0, now 3.201.0\n")
    assert auto.calls.count(("up",)) == 2


def test_up_bad_lock_is_usage_error(stacks, capsys):
    (stacks / "staging.lock.json").write_text("{oops")
    auto = use(FakeAutomation())
    assert run(stacks, "up", "--env", "staging", "--yes") == 2
    assert "staging.lock.json is not valid JSON" in capsys.readouterr().err
    assert (stacks / "staging.lock.json").read_text() == "{oops" and ("up",) not in auto.calls


def test_cli_missing_comes_first(stacks, capsys, monkeypatch):
    from mlstack.engine.deploy.workspace_pulumi import PulumiAutomation

    monkeypatch.setattr("shutil.which", lambda name: None)
    ws.set_automation(PulumiAutomation)
    for cmd in ("up", "preview", "destroy", "refresh", "outputs", "cancel", "verify"):
        assert run(stacks, cmd, "--env", "nope") == 1
        assert capsys.readouterr().err == (
            "error: the Pulumi CLI (`pulumi`) is not on PATH; mlstack needs version 3.181.0 or newer: install it with "
            "`curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`)\n")


def test_unknown_env_and_missing_passphrase(stacks, capsys, monkeypatch):
    auto = use(FakeAutomation())
    assert run(stacks, "preview", "--env", "nope") == 2
    assert "unknown environment 'nope'" in capsys.readouterr().err
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    assert run(stacks, "up", "--env", "staging", "--yes") == 2
    assert "PULUMI_CONFIG_PASSPHRASE is not set" in capsys.readouterr().err
    assert auto.calls == [("cli_version",), ("cli_version",)]
    assert not (stacks.parent / ".mlstack").exists()


def test_preview_diff(stacks, capsys):
    auto = use(FakeAutomation(FakeStack([], events=[pre("update", URN_DB, planning=True)])))
    assert run(stacks, "preview", "--env", "staging", "--diff") == 0
    assert capsys.readouterr().out.splitlines() == [
        "will update aws:rds/instance:Instance acme-ml-staging-db", "~ diff text", "staging: 1 to update"]
    assert auto.calls == SETUP + [("preview", {"diff": True})]


def test_refresh(stacks, capsys):
    auto = use(FakeAutomation())
    assert run(stacks, "refresh", "--env", "staging", "--yes") == 0
    assert capsys.readouterr().out == "staging: no changes\n"
    assert auto.calls == SETUP + [("refresh",)]


def test_destroy_refuses_protected(stacks, capsys):
    stack = FakeStack([], resources=[{"urn": URN_DB, "protect": True}, {"urn": URN_BUCKET}])
    auto = use(FakeAutomation(stack))
    assert run(stacks, "destroy", "--env", "staging", "--yes") == 2
    assert capsys.readouterr().err == (
        "error: staging has 1 protected resource(s) holding data:\n  aws:rds/instance:Instance acme-ml-staging-db\n"
        "Nothing was deleted. Pass --allow-data-loss to unprotect them and delete them with the rest (their data is lost)\n")
    assert ("destroy",) not in auto.calls
    assert run(stacks, "destroy", "--env", "staging", "--yes", "--allow-data-loss") == 0
    assert capsys.readouterr().out == "unprotected 1 resource(s) (--allow-data-loss)\nstaging: no changes\n"
    assert auto.calls[-3:] == [("resources",), ("unprotect_all",), ("destroy",)]


def test_destroy_unprotected_and_protected_env(stacks, capsys):
    auto = use(FakeAutomation())
    assert run(stacks, "destroy", "--env", "staging") == 2
    assert "pass --yes" in capsys.readouterr().err
    assert run(stacks, "destroy", "--env", "staging", "--yes") == 0
    assert auto.calls[-2:] == [("resources",), ("destroy",)]
    assert run(stacks, "destroy", "--env", "prod", "--yes") == 2
    assert capsys.readouterr().err.endswith(
        "error: prod is protected: destroy it needs its name typed at a terminal; protected environments are never "
        "destroyed unattended\n")
    assert auto.calls.count(("destroy",)) == 1


def test_outputs_masks_secrets(stacks, capsys):
    outs = {"cluster_name": ("acme-ml-staging", False), "db_password": ("s3cr3t", True), "zones": (["a", "b"], False)}
    use(FakeAutomation(FakeStack([], outputs=outs)))
    assert run(stacks, "outputs", "--env", "staging") == 0
    assert capsys.readouterr().out == 'cluster_name: acme-ml-staging\ndb_password: [secret]\nzones: ["a", "b"]\n'
    assert run(stacks, "outputs", "--env", "staging", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"cluster_name": "acme-ml-staging", "db_password": "[secret]", "zones": ["a", "b"]}
    assert run(stacks, "outputs", "--env", "staging", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == {"cluster_name": "acme-ml-staging", "db_password": "[secret]", "zones": ["a", "b"]}
    assert run(stacks, "outputs", "--env", "staging", "--show-secrets") == 0
    assert "db_password: s3cr3t" in capsys.readouterr().out


def test_cancel(stacks, capsys):
    auto = use(FakeAutomation())
    assert run(stacks, "cancel", "--env", "staging") == 0
    assert capsys.readouterr().out == ("released the lock of staging; run `mlstack refresh --env staging` to reconcile "
                                       "state with the cloud\n")
    assert auto.calls == SETUP + [("cancel",)]
    use(FakeAutomation(FakeStack([], fail=OperationFailed("cancel", "error: no update in progress"))))
    assert run(stacks, "cancel", "--env", "staging") == 1
    assert capsys.readouterr().err == "error: cancel of staging failed: error: no update in progress\n"


def test_promote_cli(stacks, capsys, monkeypatch):
    monkeypatch.setattr("mlstack.engine.deploy.promote._default_plan", lambda spec: tiny_plan(spec.env, spec.versions.postgres or "16"))
    from mlstack.spec import load_spec

    s = load_spec("staging", stacks)
    lk.write_lock(lk.lock_path("staging", stacks), {**lk.build_lock(s, {}, {}), "versions": {"postgres": "17"}})
    before = (stacks / "prod.yaml").read_text()
    assert run(stacks, "promote", "--from", "staging", "--to", "prod") == 0
    out = capsys.readouterr().out
    assert out.startswith("note: prod.yaml had no versions block")
    assert '+  postgres: "17"' in out and 'engineVersion: "16" -> "17"' in out
    assert out.endswith(f"dry run: pass --write to write {stacks / 'prod.yaml'}\n")
    assert (stacks / "prod.yaml").read_text() == before
    assert run(stacks, "promote", "--from", "staging", "--to", "prod", "--write") == 0
    assert capsys.readouterr().out.endswith(f"wrote {stacks / 'prod.yaml'}\n")
    assert 'postgres: "17"' in (stacks / "prod.yaml").read_text()
    assert run(stacks, "promote", "--from", "staging", "--to", "prod") == 0
    assert capsys.readouterr().out == "prod already pins staging's versions: nothing to promote\n"
    assert run(stacks, "promote", "--from", "staging", "--to", "prod", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "from": "staging", "to": "prod", "file": str(stacks / "prod.yaml"), "changed": False, "written": False,
        "versions": {"postgres": "17"}, "notes": [], "spec_diff": "", "plan_diff": ""}


def test_promote_format_json_dry_run(stacks, capsys, monkeypatch):
    monkeypatch.setattr("mlstack.engine.deploy.promote._default_plan", lambda spec: tiny_plan(spec.env, spec.versions.postgres or "16"))
    from mlstack.spec import load_spec

    s = load_spec("staging", stacks)
    lk.write_lock(lk.lock_path("staging", stacks), {**lk.build_lock(s, {}, {}), "versions": {"postgres": "17"}})
    assert run(stacks, "promote", "--from", "staging", "--to", "prod", "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["changed"], report["written"], report["versions"]) == (True, False, {"postgres": "17"})
    assert report["notes"][0].startswith("prod.yaml had no versions block")
    assert '+  postgres: "17"' in report["spec_diff"] and 'engineVersion: "16" -> "17"' in report["plan_diff"]


def test_live_view_on_terminal(stacks, capsys, monkeypatch):
    monkeypatch.setattr("mlstack.cli.output.is_tty", lambda: True)
    stack = FakeStack([], events=[pre("create", URN_BUCKET), done("create", URN_BUCKET), pre("create", URN_DB),
                                  diag("boom", URN_DB), failed("create", URN_DB)], fail=OperationFailed("up", "x"))
    use(FakeAutomation(stack))
    assert run(stacks, "up", "--env", "staging", "--yes") == 1
    out = capsys.readouterr()
    assert "1 created" in out.out and "failed: aws:rds/instance:Instance acme-ml-staging-db: boom" in out.out
    assert "creating aws:s3" not in out.out  # the live view, not plain lines
