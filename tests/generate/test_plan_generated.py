"""A generated project plans cleanly right away: `mlstack plan` inside it, for each cloud (offline, mocks)."""

from __future__ import annotations

import pytest

from mlstack.cli import main

from .helpers import init_argv


@pytest.mark.parametrize("cloud", ["aws", "gcp", "onprem"])
def test_generated_project_plans(tmp_path, capsys, no_tty, cloud):
    pytest.importorskip("mlstack.engine.plan.program")
    root = tmp_path / "platform"
    assert main(init_argv(root, cloud)) == 0
    capsys.readouterr()
    for env in ("staging", "prod"):
        code = main(["--stacks-dir", str(root / "stacks"), "plan", "--env", env, "--format", "json"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert captured.err == ""
