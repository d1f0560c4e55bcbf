"""What the CLI does before a command runs: only the named command is built, and the spec commands import no
Pulumi (docs/performance.md, "Start-up")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer.main

from mlstack.cli import argv, main
from mlstack.cli.app import app, click_command

ROOT = Path(__file__).resolve().parents[2]
STACKS = str(ROOT / "stacks")


def test_a_named_command_is_built_alone_with_the_options_of_the_full_group():
    full = typer.main.get_command(app)
    one = click_command("validate")
    assert list(one.commands) == ["validate"]
    assert list(click_command("remote").commands) == ["remote"]  # a group of commands
    assert [p.opts for p in one.commands["validate"].params] == [p.opts for p in full.commands["validate"].params]
    assert [p.opts for p in one.params] == [p.opts for p in full.params]  # the global options
    assert sorted(click_command(None).commands) == sorted(full.commands)
    assert sorted(click_command("valdate").commands) == sorted(full.commands)  # answered with the closest name


def test_the_subcommand_of_a_command_line():
    assert argv.subcommand(["--stacks-dir", "plan", "validate", "--env", "x"]) == "validate"
    assert argv.subcommand(["-v", "plan", "--env", "x"]) == "plan"
    assert argv.subcommand(["--help"]) is None
    assert argv.subcommand(["--", "plan"]) is None


def test_help_of_one_command_is_the_same_as_in_the_full_group(capsys):
    assert main(["validate", "--help"]) == 0
    alone = capsys.readouterr().out
    full = typer.main.get_command(app)
    full.main(args=["validate", "--help"], prog_name="mlstack", standalone_mode=False)
    assert capsys.readouterr().out == alone
    assert alone.startswith("Usage: mlstack validate [OPTIONS]")


def test_an_unknown_command_is_answered_with_the_closest_name(capsys):
    assert main(["valdate"]) == 2
    assert "No such command 'valdate'. Did you mean 'validate'?" in capsys.readouterr().err


def test_validate_and_schema_import_no_pulumi():
    code = (
        "import sys; from mlstack.cli import main\n"
        f"assert main(['--stacks-dir', {STACKS!r}, 'validate', '--env', 'staging']) == 0\n"
        "assert main(['schema']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pulumi')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip().splitlines()[-1] == "[]"
