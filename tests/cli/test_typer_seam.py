"""The one Typer behaviour the CLI boundary relies on without a public name: usage errors derive from a
``ClickException`` base reachable from ``typer.BadParameter``, which shows itself and carries exit code 2."""

from __future__ import annotations

import io

import typer

from mlstack.cli import click_exception_type, main


def test_click_exception_is_a_base_of_typer_bad_parameter():
    base = click_exception_type()
    assert base.__name__ == "ClickException"
    assert issubclass(typer.BadParameter, base)
    assert not issubclass(typer.Exit, base) and not issubclass(typer.Abort, base)


def test_a_usage_error_shows_itself_and_exits_2():
    err = typer.BadParameter("nope", param_hint="'--env'")
    assert isinstance(err, click_exception_type())
    out = io.StringIO()
    err.show(file=out)
    assert err.exit_code == 2
    assert "Invalid value for '--env': nope" in out.getvalue()


def test_the_cli_boundary_maps_an_unknown_option_to_exit_2(capsys):
    assert main(["plan", "--no-such-option"]) == 2
    assert "No such option: --no-such-option" in capsys.readouterr().err
