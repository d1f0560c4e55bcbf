"""A floor for ``validate``: the least a Typer command with ``mlstack validate``'s options costs.

Typer (0.29) turns each option into a pydantic ``TypeAdapter`` when it parses a command line
(``typer/_adapters.py``), which loads pydantic's model machinery (``import pydantic`` alone loads only its version
module). So this program parses the same global and command options mlstack's ``validate`` has, imports the YAML
libraries, and leaves with ``os._exit``: any Typer 0.29 CLI with options pays this before its own work, and
importing ``BaseModel`` on top adds nothing measurable (Typer's adapters have loaded it).
Run as ``python benchmarks/typer_command.py validate --env staging``.
"""

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import ruamel.yaml  # noqa: F401 - the YAML libraries the spec loader uses
import typer
import yaml  # noqa: F401


class Format(str, Enum):
    text = "text"
    json = "json"


app = typer.Typer()


@app.callback()
def _global(
    stacks_dir: Annotated[Path, typer.Option("--stacks-dir")] = Path("stacks"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    version: Annotated[bool, typer.Option("--version")] = False,
    no_plan_cache: Annotated[bool, typer.Option("--no-plan-cache")] = False,
) -> None:
    """mlstack's global options."""


@app.command()
def validate(env: Annotated[str, typer.Option("--env")],
             format: Annotated[Format, typer.Option("--format")] = Format.text) -> None:
    """``mlstack validate``'s options."""


typer.main.get_command(app).main(args=sys.argv[1:], standalone_mode=False)
os._exit(0)
