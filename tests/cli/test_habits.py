"""CLI habits: --version, shell completion, global options after the subcommand, did-you-mean for an unknown
environment, the project found from a subdirectory, --format json on validate, and exit code 3 for gates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
STACKS = ROOT / "stacks"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the example project with a docs/ subdirectory; no MLSTACK_* variables."""
    monkeypatch.delenv("MLSTACK_STACKS_DIR", raising=False)
    monkeypatch.delenv("MLSTACK_ENV", raising=False)
    shutil.copytree(STACKS, tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    (tmp_path / "docs" / "deep").mkdir(parents=True)
    return tmp_path


def test_version_before_or_after_the_command(capsys):
    from mlstack.distribution import version

    for argv in (["--version"], ["plan", "--version"]):
        assert main(argv) == 0
        assert capsys.readouterr().out == f"mlstack {version()} (distribution mlstack-iac)\n"


def _complete(words: str, cword: int, cwd: Path) -> list[str]:
    env = {**os.environ, "_MLSTACK_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    env.pop("MLSTACK_STACKS_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "mlstack"], env=env, cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.split()


def test_shell_completion_of_commands_options_and_environments(project):
    assert _complete("mlstack val", 1, project) == ["validate"]
    assert _complete("mlstack plan --f", 2, project) == ["--format"]
    assert _complete("mlstack plan --env ", 3, project) == ["gcp-staging", "onprem", "prod", "staging"]
    assert _complete("mlstack plan --env s", 3, project / "docs") == ["staging"]  # from a subdirectory too


def test_completion_script_is_offered(capsys):
    code = main(["--help"])
    out = capsys.readouterr().out
    assert code == 0 and "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize("argv", [
    ["validate", "--env", "staging", "--stacks-dir", "{stacks}"],
    ["validate", "--stacks-dir={stacks}", "--env", "staging", "-v"],
    ["--verbose", "validate", "--env", "staging", "--stacks-dir", "{stacks}"],
])
def test_global_options_before_or_after_the_command(project, capsys, argv):
    argv = [a.replace("{stacks}", str(project / "stacks")) for a in argv]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"{project / 'stacks' / 'staging.yaml'}: valid (aws, 2 node pools, protect off)\n"


def test_an_option_value_that_looks_global_is_left_alone():
    from mlstack.cli import _takes_value
    from mlstack.cli.argv import hoist_globals

    assert hoist_globals(["new-env", "perf", "--from", "-v"], _takes_value) == ["new-env", "perf", "--from", "-v"]
    assert hoist_globals(["plan", "--env", "x", "-v", "--", "-v"], _takes_value) == ["-v", "plan", "--env", "x", "--", "-v"]
    assert hoist_globals(["plan", "--format", "json", "--verbose"], _takes_value) == ["--verbose", "plan", "--format", "json"]


def test_did_you_mean_for_an_unknown_environment(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    assert main(["plan", "--env", "stagin"]) == 2
    assert capsys.readouterr().err == ("error: unknown environment 'stagin': stacks/stagin.yaml does not exist. "
                                       "Did you mean 'staging'? Environments: gcp-staging, onprem, prod, staging\n")
    assert main(["plan", "--env", "qa"]) == 2  # nothing close: no guess
    assert capsys.readouterr().err == ("error: unknown environment 'qa': stacks/qa.yaml does not exist. "
                                       "Environments: gcp-staging, onprem, prod, staging\n")


def test_the_project_is_found_from_a_subdirectory(project, capsys, monkeypatch):
    monkeypatch.chdir(project / "docs" / "deep")
    assert main(["validate", "--env", "prod"]) == 0
    assert capsys.readouterr().out == "../../stacks/prod.yaml: valid (aws, 2 node pools, protect on)\n"
    monkeypatch.chdir(project / "stacks")  # inside stacks/ itself
    assert main(["validate", "--env", "prod"]) == 0
    assert capsys.readouterr().out == "prod.yaml: valid (aws, 2 node pools, protect on)\n"


def test_the_search_stops_at_a_git_root(project, capsys, monkeypatch):
    inner = project / "docs" / "deep"
    (inner / ".git").mkdir()  # another repository nested in the folder: its project is not ours
    monkeypatch.chdir(inner)
    assert main(["validate", "--env", "prod"]) == 2
    assert "unknown environment 'prod': stacks/prod.yaml does not exist" in capsys.readouterr().err


def test_an_explicit_stacks_dir_wins(project, capsys, monkeypatch):
    monkeypatch.chdir(project / "docs")
    monkeypatch.setenv("MLSTACK_STACKS_DIR", str(project / "nowhere"))
    assert main(["validate", "--env", "prod"]) == 2
    assert "nowhere/prod.yaml does not exist" in capsys.readouterr().err


def test_validate_format_json(project, capsys):
    stacks = project / "stacks"
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "gcp-staging", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "env": "gcp-staging", "file": str(stacks / "gcp-staging.yaml"), "valid": True, "problems": [], "cloud": "gcp",
        "node_pools": ["a100", "system", "v5e"], "protect": False}
    bad = stacks / "staging.yaml"
    bad.write_text(bad.read_text() + "colour: red\n")
    line = len(bad.read_text().splitlines())
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "staging", "-f", "json"]) == 2
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["valid"] is False and report["env"] == "staging"
    (problem,) = report["problems"]
    assert problem["file"] == str(bad) and problem["line"] == line and problem["column"] == 1
    assert problem["path"] == "colour" and problem["message"].startswith("unknown field 'colour'. Did you mean 'cluster'?")
    assert out.err.startswith("spec error: 1 problem in the spec:\n")


def test_exit_codes_are_distinct_constants():
    from mlstack.errors import EXIT_ENGINE, EXIT_GATE, EXIT_OK, EXIT_USAGE, EngineError, UsageError
    from mlstack.spec import SpecError

    assert (EXIT_OK, EXIT_ENGINE, EXIT_USAGE, EXIT_GATE) == (0, 1, 2, 3)
    assert (EngineError.exit_code, UsageError.exit_code, SpecError.exit_code) == (EXIT_ENGINE, EXIT_USAGE, EXIT_USAGE)
