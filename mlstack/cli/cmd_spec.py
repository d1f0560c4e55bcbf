"""Commands over one spec: validate, plan, schema."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.context import STATE
from mlstack.cli.params import choice

def env_name(value: str | list[str] | None) -> str | list[str] | None:
    """Option callback: an environment is a name, not a path (``--env ../x`` is a usage error, exit 2)."""
    if value is None:
        return None
    from mlstack.spec.names import check_env_name

    return [check_env_name(v) for v in value] if isinstance(value, list) else check_env_name(value)


def env_flag(flag: str):  # noqa: ANN201 - a Typer callback
    def check(value: str | None) -> str | None:
        from mlstack.spec.names import check_env_name

        return None if value is None else check_env_name(value, flag)

    return check


EnvOption = Annotated[
    str, typer.Option("--env", "-e", envvar="MLSTACK_ENV", callback=env_name, help="Environment: stacks/<env>.yaml.")
]


class PlanFormat(str, Enum):
    table = "table"
    json = "json"


def validate(env: EnvOption) -> None:
    """Validate stacks/<env>.yaml: every problem at once, with file, line and field path."""
    from mlstack.cli.output import echo
    from mlstack.spec import load_spec

    spec = load_spec(env, STATE.stacks_dir)
    echo(f"{STATE.stacks_dir / (env + '.yaml')}: valid ({spec.target.cloud}, {len(spec.node_pools)} node pools, "
         f"protect {'on' if spec.protected else 'off'})")


def plan(
    env: EnvOption,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", parser=choice(PlanFormat), help="table or json.")] = PlanFormat.table,
) -> None:
    """Plan an environment offline: no credentials, no Pulumi CLI. Shows every resource `up` would create; with
    stacks/<env>.lock.json, images by the digests it locked (as `up --locked` deploys them)."""
    from mlstack.cli.render import plan_json, plan_table
    from mlstack.engine.deploy.lock import locked_pins
    from mlstack.engine.review.planning import plan_env

    result = plan_env(env, STATE.stacks_dir, locked_pins(env, STATE.stacks_dir))
    if format is PlanFormat.json:
        from mlstack.engine.review.planning import with_review

        sys.stdout.write(plan_json(with_review(result, env, STATE.stacks_dir)))
    else:
        plan_table(result)


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (e.g. schema/spec.schema.json) instead of stdout.")
    ] = None,
) -> None:
    """Print (or write) the spec's JSON Schema, for editors: `# yaml-language-server: $schema=...`."""
    from mlstack.cli.output import echo
    from mlstack.spec.schema import schema_text

    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return
    from mlstack.fsio import atomic_write

    atomic_write(output, text, outside_ok=True)  # the user named the path
    echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(plan)
    app.command()(schema)
