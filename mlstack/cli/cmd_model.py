"""``mlstack model ...``: registered models across environments (MLflow)."""

from __future__ import annotations

from typing import Annotated

import typer

from mlstack.cli.cmd_spec import env_flag
from mlstack.cli.params import ReportFormat, choice

model_app = typer.Typer(help="Registered models across environments (MLflow).", no_args_is_help=True)


@model_app.command("promote")
def promote(
    name: Annotated[str, typer.Argument(help="The registered model's name at the source.")],
    version: Annotated[int, typer.Option("--version", min=1, help="The version to copy, numbered as at the source.")],
    source: Annotated[str, typer.Option("--from", callback=env_flag("--from"), help="Source environment.")],
    target: Annotated[str, typer.Option("--to", callback=env_flag("--to"), help="Target environment.")],
    as_name: Annotated[
        str | None, typer.Option("--as", help="The name on the target (default: the same name).")
    ] = None,
    alias: Annotated[
        str | None, typer.Option("--alias", help="Set this alias on the target's copy (e.g. champion).")
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", parser=choice(ReportFormat), help="text or json (one JSON object).")
    ] = ReportFormat.text,
) -> None:
    """Copy one model version (artifacts, signature, logged model, params, metrics, tags, lineage) from one
    environment's MLflow to another's, each with its own credentials (MLSTACK_MLFLOW_{URI,USERNAME,PASSWORD}_<ENV>).

    Refused (exit 2) when the target's name holds versions that are not copies from the source environment.
    Run again after a success, it changes nothing. docs/models.md.
    """
    import json
    import sys

    from mlstack.cli.output import echo
    from mlstack.engine.deploy.model_endpoint import endpoint
    from mlstack.engine.deploy.model_promote import promote_model
    from mlstack.errors import UsageError

    if source == target:
        raise UsageError(f"--from and --to are both {source!r}: name two environments")
    done = promote_model(name, version, endpoint(source), endpoint(target), target_name=as_name, alias=alias)
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(done.to_json(), indent=2, sort_keys=True) + "\n")
        return
    head = f"{name} version {done.source_version} ({source})"
    if done.created:
        echo(f"{head} -> {done.target_name} version {done.target_version} ({target}), run {done.target_run_id}"
             + (f", logged model {done.target_model_id}" if done.target_model_id else ""))
    else:
        echo(f"{head} is already {target}'s {done.target_name} version {done.target_version}: nothing copied")
    if alias:
        echo(f"alias {alias!r} -> {done.target_name} version {done.target_version} ({target})")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
