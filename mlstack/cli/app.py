"""The Typer application: global options and command registration.

Command modules import only typer and the standard library at import time; the engine, the spec layer and
the cloud SDKs are imported inside the commands, so `mlstack --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.context import STATE
from mlstack.cli.listing import ListingGroup

app = typer.Typer(
    name="mlstack",
    cls=ListingGroup,  # lists its commands without building them (mlstack.cli.listing)
    help="Declarative ML platforms on AWS, GCP and on-premise Kubernetes, built on Pulumi.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from mlstack.distribution import DISTRIBUTION, version

        sys.stdout.write(f"mlstack {version()} (distribution {DISTRIBUTION})\n")
        raise typer.Exit(0)


@app.callback()
def _global(
    stacks_dir: Annotated[
        Path, typer.Option("--stacks-dir", envvar="MLSTACK_STACKS_DIR", help="Folder holding <env>.yaml specs.")
    ] = Path("stacks"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks and engine detail.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print mlstack's version and exit.")
    ] = False,
    no_plan_cache: Annotated[
        bool,
        typer.Option("--no-plan-cache", envvar="MLSTACK_NO_PLAN_CACHE",
                     help="Plan afresh: neither read nor write the plan cache in .mlstack/cache/plans."),
    ] = False,
) -> None:
    STATE.stacks_dir = stacks_dir
    STATE.verbose = verbose
    from mlstack.engine.plan import cache

    def folder() -> Path:  # found when a plan first uses the cache: validate, schema and most commands never do
        from mlstack import fsio

        return fsio.project_root(stacks_dir) / ".mlstack" / "cache" / "plans"

    cache.configure(folder, enabled=not no_plan_cache)


def _register() -> None:
    from mlstack.cli import (
        cmd_catalog, cmd_generate, cmd_hub, cmd_lifecycle, cmd_model, cmd_notebook, cmd_policy, cmd_remote, cmd_reproduce,
        cmd_review,
        cmd_spec,
    )

    for module in (cmd_spec, cmd_lifecycle, cmd_review, cmd_policy, cmd_generate, cmd_remote, cmd_reproduce, cmd_catalog,
                   cmd_model, cmd_hub, cmd_notebook):
        module.register(app)


_register()


def click_command(subcommand: str | None):  # noqa: ANN201 - typer's (vendored) Click command
    """The Click command that runs ``mlstack <subcommand> ...``, built once per process.

    Building a command's options from its function's signature is most of the CLI's own start-up, so a line
    that names a known subcommand gets the group with that one command (its options, help and errors are the
    same as in the full group). Anything else (``--help``, a misspelt command answered with the closest name)
    gets every command, built only when it is run (``mlstack.cli.listing``); shell completion gets every
    command built.
    """
    import os

    import typer.main

    commands, groups = list(app.registered_commands), list(app.registered_groups)
    named = [c for c in commands if subcommand and _name(c) == subcommand]
    named_groups = [g for g in groups if subcommand and (g.name or g.typer_instance.info.name) == subcommand]
    if "_MLSTACK_COMPLETE" in os.environ:
        return typer.main.get_command(app)
    if not (named or named_groups):
        from mlstack.cli.listing import lazy_group

        return lazy_group(app)
    app.registered_commands, app.registered_groups = named, named_groups
    try:
        return typer.main.get_command(app)
    finally:
        app.registered_commands, app.registered_groups = commands, groups


def _name(info) -> str:  # noqa: ANN001 - a typer CommandInfo
    import typer.main

    return info.name or typer.main.get_command_name(info.callback.__name__)
