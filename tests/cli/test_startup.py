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
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('pulumi')}), 'mlstack.fsio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    # nor the file writer: the plan cache's folder is found only when a plan first uses it
    assert out.strip().splitlines()[-1] == "[] False"


def _full_group_output(monkeypatch, capsys, args: list[str]) -> tuple[int, str, str]:
    """``main(args)`` with the fully built group where the command line would get the lazy one."""
    import mlstack.cli.listing

    with monkeypatch.context() as m:
        m.setattr(mlstack.cli.listing, "lazy_group", typer.main.get_command)
        code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_help_page_lists_every_command_without_building_one_and_is_the_full_groups_byte_for_byte(
        monkeypatch, capsys):
    real = typer.main.get_command_from_info
    built: list[str] = []

    def counting(info, **kw):  # noqa: ANN001, ANN202 - typer's CommandInfo and Click command
        built.append(info.callback.__name__)
        return real(info, **kw)

    codes = {}
    for args in (["--help"], ["-h"], [], ["--stacks-dir", STACKS, "--help"]):
        monkeypatch.setattr(typer.main, "get_command_from_info", counting)
        code = main(args)
        lazy = capsys.readouterr()
        assert built == [], args
        monkeypatch.setattr(typer.main, "get_command_from_info", real)
        assert (code, lazy.out, lazy.err) == _full_group_output(monkeypatch, capsys, args), args
        codes[" ".join(args[-1:])] = code
        page = lazy.out or lazy.err  # no arguments: the page on stderr, as a usage error
        assert page.startswith("Usage: mlstack [OPTIONS] COMMAND [ARGS]...")
        assert "\n  validate     Validate stacks/<env>.yaml: every problem at once (policy...\n" in page
        assert page.rstrip().endswith("notebook     Notebooks as build steps (ci.notebooks): papermill, logged...")
    assert codes == {"--help": 0, "-h": 0, "": 2}


def test_the_lazy_group_has_every_command_in_order_and_builds_the_real_one_when_a_line_reaches_it(capsys):
    from mlstack.cli.listing import LazyCommands, lazy_group

    full = typer.main.get_command(app)
    lazy = lazy_group(app)
    assert isinstance(lazy.commands, LazyCommands)
    assert list(lazy.commands) == list(full.commands)  # registration order, groups (model, hub, ...) included
    assert [p.opts for p in lazy.params] == [p.opts for p in full.params]
    schema = lazy.commands["schema"]
    assert [p.opts for p in schema.params] == [p.opts for p in full.commands["schema"].params]
    assert lazy.commands["schema"] is schema  # built once
    assert sorted(lazy.commands["model"].commands) == sorted(full.commands["model"].commands)
    # `--` ends the options, so the subcommand is found by Click in the lazy group, not named up front
    assert main(["--", "schema", "--kind", "nope"]) == 2
    assert "Invalid value for '--kind': 'nope' is not one of: spec, stack-file" in capsys.readouterr().err
