"""``mlstack hub ...``: the team's hub (MLflow) operations that go through the spec (docs/hub.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from mlstack.cli.cmd_spec import EnvOption, FormatOption
from mlstack.cli.context import STATE
from mlstack.cli.params import ReportFormat

hub_app = typer.Typer(help="The MLflow hub: credentials (docs/hub.md).", no_args_is_help=True)


@hub_app.command("rotate-credentials")
def rotate_credentials(
    env: EnvOption,
    team: Annotated[str | None, typer.Option("--team", "-t", help="The team (a key of the spec's teams).")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", "-u", help="The hub's own user instead of a team's: admin (MLflow's admin) or verify (the "
        "verification Job's mlstack-verify).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the spec file (default: dry run).")] = False,
    format: FormatOption = ReportFormat.text,
) -> None:
    """Give an MLflow user a new password on the next `mlstack up`: a team's (--team; raises
    teams.<team>.mlflow_password_rotation) or the admin's or verification user's (--user admin|verify; raises
    tracking.password_rotation.<user>) in the environment's spec file; shows the spec diff and the exact plan
    changes. Prints no secret."""
    import json
    import sys

    from mlstack.cli.output import echo
    from mlstack.engine.deploy.rotate import rotate_credentials as run

    result = run(env, team, STATE.stacks_dir, write=write, user=user)
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps({
            "env": env, "team": team, "user": user, "field": result.field, "rotation": result.rotation,
            "file": result.file, "written": result.written, "spec_diff": result.spec_diff, "changes": result.changes,
        }, indent=2, sort_keys=True) + "\n")
        return
    echo(result.spec_diff.rstrip("\n"))
    echo("")
    echo(result.plan_diff.rstrip("\n"))
    if result.written:
        echo(f"wrote {result.file}: `mlstack up --env {env}` rotates {_whose(team, user)} MLflow password "
             f"({_restart(team, user)})")
    else:
        echo(f"dry run: pass --write to write {result.file}")


def _whose(team: str | None, user: str | None) -> str:
    return f"{team}'s" if team else {"admin": "the admin's", "verify": "the verification Job's"}[str(user)]


def _restart(team: str | None, user: str | None) -> str:
    if team:
        return f"pods that read the Secret mlflow-{team} get the new one when they restart"
    if user == "admin":
        return "read it from the Secret mlflow/mlflow-admin afterwards"
    return "the next `mlstack verify` run uses it"


def register(app: typer.Typer) -> None:
    app.add_typer(hub_app, name="hub")
