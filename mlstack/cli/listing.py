"""The group ``mlstack --help`` (and a misspelt command) runs: its commands are built only when one is run.

Typer builds a command's options from its function's signature (annotations resolved, one Click parameter per
option), and doing that for all thirty-odd commands was most of ``mlstack --help``, which only lists their
names and first help lines. ``lazy_group`` gives the group a ``LazyCommands`` mapping instead: its keys are
every command's name, in registration order, and looking a command up builds it with the same Typer call the
full group makes, so a command line that does reach a command (``mlstack -- plan``) runs the real one. The
command list of the help page is written from ``light`` commands that carry only the name, help, short help,
hidden and deprecated flags Click's listing reads, through Typer's own ``format_commands``: the page is the
full group's, byte for byte (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import typer
import typer.core
import typer.main


class LazyCommands(Mapping[str, Any]):
    """Click commands by name, each built by its ``make`` on first look-up (then kept)."""

    def __init__(self, makers: dict[str, tuple[Callable[[], Any], Callable[[], Any]]]):
        self._makers = makers  # name -> (make the real command, make its light stand-in for the listing)
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = self._makers[name][0]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def light(self) -> dict[str, Any]:
        """Every command as it is listed: the built ones as they are, the others as light stand-ins."""
        return {name: self._built[name] if name in self._built else light() for name, (_, light) in self._makers.items()}


class ListingGroup(typer.core.TyperGroup):
    """A Typer group that lists ``LazyCommands`` without building them."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = self.commands
        if not isinstance(commands, LazyCommands):
            return super().format_commands(ctx, formatter)
        self.commands = commands.light()
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = commands


def lazy_group(app: typer.Typer) -> typer.core.TyperGroup:
    """The Click group of ``app`` (its own options and callback built as Typer builds them) with lazy commands."""
    commands, groups = list(app.registered_commands), list(app.registered_groups)
    app.registered_commands, app.registered_groups = [], []
    try:
        group = typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups
    assert isinstance(group, ListingGroup), "app must be created with cls=ListingGroup"
    makers: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    for info in commands:
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        makers[name] = (_command_maker(app, info), _light_command(app, info, name))
    for info in groups:
        solved = typer.main.solve_typer_info_defaults(info)
        makers[solved.name] = (_group_maker(app, info), _light_group(app, solved))
    group.commands = LazyCommands(makers)
    return group


def _command_maker(app: typer.Typer, info: Any) -> Callable[[], Any]:
    return lambda: typer.main.get_command_from_info(
        info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)


def _group_maker(app: typer.Typer, info: Any) -> Callable[[], Any]:
    return lambda: typer.main.get_group_from_info(
        info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode,
        suggest_commands=app.suggest_commands)


def _light_command(app: typer.Typer, info: Any, name: str) -> Callable[[], Any]:
    # The help text as typer.main.get_command_from_info derives it.
    import inspect

    def make() -> Any:
        doc = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        return (info.cls or typer.core.TyperCommand)(
            name=name, help=doc, short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated,
            rich_markup_mode=app.rich_markup_mode)

    return make


def _light_group(app: typer.Typer, solved: Any) -> Callable[[], Any]:
    return lambda: (solved.cls or typer.core.TyperGroup)(
        name=solved.name, help=solved.help, short_help=solved.short_help, hidden=solved.hidden,
        deprecated=solved.deprecated, rich_markup_mode=app.rich_markup_mode)
