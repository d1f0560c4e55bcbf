"""Integration tests against the real Pulumi CLI (marker ``pulumi_cli``; skipped cleanly without the CLI).

1. ``test_engine_round_trip`` needs only the CLI (>= 3.181) and network access to download the `random`
   plugin: a program of random resources goes through the real adapter on a local file backend: up, a second
   preview with no changes, destroy. No cloud credentials.

       pytest -m pulumi_cli tests/lifecycle/test_integration.py

2. ``test_full_environment`` deploys a real environment with ``mlstack up``: it runs only when
   MLSTACK_IT_ENV names an environment (in MLSTACK_IT_STACKS_DIR, default stacks/) and the cloud's credentials
   are in the environment (the environment must not be protected: destroy asks for a
   protected one's name at a terminal) (AWS_PROFILE / AWS_ACCESS_KEY_ID..., or GOOGLE_APPLICATION_CREDENTIALS, or a
   kubeconfig for onprem). It creates billable resources and destroys them with --allow-data-loss at the end.

       MLSTACK_IT_ENV=it-aws MLSTACK_IT_STACKS_DIR=/path/stacks PULUMI_CONFIG_PASSPHRASE=... \\
           pytest -m pulumi_cli tests/lifecycle/test_integration.py -k full
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.pulumi_cli,
              pytest.mark.skipif(shutil.which("pulumi") is None, reason="the Pulumi CLI is not on PATH")]


def test_engine_round_trip(tmp_path, monkeypatch):
    import pulumi

    from mlstack.engine.deploy.events import Progress
    from mlstack.engine.deploy.workspace import WorkspaceSettings, check_cli, sdk_version
    from mlstack.engine.deploy.workspace_pulumi import PulumiAutomation

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "integration-test")
    auto = PulumiAutomation()
    check_cli(auto)
    (tmp_path / "state").mkdir()
    (tmp_path / "work").mkdir()
    settings = WorkspaceSettings(
        project="mlstack-it", stack="it", backend_url=f"file://{tmp_path / 'state'}", secrets_provider="passphrase",
        config={}, plugins={"random": sdk_version("pulumi_random")}, env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true"},
        work_dir=str(tmp_path / "work"), state_dir=str(tmp_path / "state"),
    )

    def program() -> None:
        import pulumi_random as random

        pet = random.RandomPet("pet", length=2, opts=pulumi.ResourceOptions(protect=False))
        secret = random.RandomPassword("secret", length=16)
        pulumi.export("pet", pet.id)
        pulumi.export("secret", secret.result)

    stack = auto.open(settings, program)
    for name, version in settings.plugins.items():
        stack.install_plugin(name, version)
    stack.set_config(settings.config)

    up = Progress()
    result = stack.up(up.apply)
    assert up.counts.get("create", 0) >= 2 and not up.failure_lines()
    assert result["outputs"]["secret"][1] is True and result["outputs"]["pet"][1] is False

    again = Progress()
    stack.preview(again.apply, False)
    assert again.total_changes() == 0, again.counts

    gone = Progress()
    stack.destroy(gone.apply)
    assert gone.counts.get("delete", 0) >= 2
    assert [r for r in stack.resources() if r.get("type") != "pulumi:pulumi:Stack"] == []


@pytest.mark.skipif(not os.environ.get("MLSTACK_IT_ENV"), reason="set MLSTACK_IT_ENV (and cloud credentials) to deploy a real environment")
def test_full_environment(capsys):
    from mlstack.cli import main

    env = os.environ["MLSTACK_IT_ENV"]
    stacks = Path(os.environ.get("MLSTACK_IT_STACKS_DIR", "stacks"))
    base = ["--stacks-dir", str(stacks)]
    try:
        assert main([*base, "up", "--env", env, "--yes", "--approve", env]) == 0
        assert (stacks / f"{env}.lock.json").is_file()
        capsys.readouterr()
        assert main([*base, "preview", "--env", env]) == 0
        last = capsys.readouterr().out.splitlines()[-1]
        assert last.startswith(f"{env}: ") and not any(f"to {op}" in last for op in ("create", "update", "replace", "delete"))
    finally:
        assert main([*base, "destroy", "--env", env, "--yes", "--allow-data-loss"]) == 0
