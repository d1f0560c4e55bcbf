"""``mlstack reproduce RUN_ID --tracking-uri URI``: which environment, lock and commit produced an MLflow run, and
the exact commands to re-deploy that environment. Reads the run's tags over MLflow's REST API (no mlflow import)."""

from __future__ import annotations

from typing import Annotated

import typer

TIMEOUT_S = 30


def _get_run(uri: str, run_id: str) -> dict:
    """The run's JSON (``runs/get``), authenticated as the MLflow client would be (``MLFLOW_TRACKING_*``)."""
    import base64
    import json
    import os
    import urllib.error
    import urllib.parse
    import urllib.request

    from mlstack.errors import EngineError, UsageError

    url = f"{uri.rstrip('/')}/api/2.0/mlflow/runs/get?" + urllib.parse.urlencode({"run_id": run_id})
    headers = {"Accept": "application/json"}
    if os.environ.get("MLFLOW_TRACKING_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}"
    elif os.environ.get("MLFLOW_TRACKING_USERNAME"):
        pair = f"{os.environ['MLFLOW_TRACKING_USERNAME']}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as resp:  # noqa: S310
            return json.loads(resp.read())["run"]
    except urllib.error.HTTPError as exc:
        if exc.code == 404 or (exc.code == 400 and b"RESOURCE_DOES_NOT_EXIST" in exc.read()):
            raise UsageError(f"run {run_id!r} does not exist on {uri}; check the run id and --tracking-uri") from None
        if exc.code in (401, 403):
            raise UsageError(f"{uri} refused the request (HTTP {exc.code}): set MLFLOW_TRACKING_USERNAME and "
                             "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) for a user who may read the run") from None
        raise EngineError(f"{uri} answered HTTP {exc.code} for run {run_id!r}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError) as exc:
        raise EngineError(f"cannot read run {run_id!r} from {uri} ({getattr(exc, 'reason', exc)}); check --tracking-uri") from None


def reproduce(
    run_id: Annotated[str, typer.Argument(help="The MLflow run id.")],
    tracking_uri: Annotated[str, typer.Option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", help="The MLflow tracking server.")],
) -> None:
    """Which environment, lock and commit produced an MLflow run, and the commands to re-deploy it exactly."""
    from mlstack.cli.output import echo
    from mlstack.errors import UsageError
    from mlstack.spec.names import check_env_name  # environment names are names, never paths
    from mlstack.stamp import ENV_TAG, TAGS

    run = _get_run(tracking_uri, run_id)
    tags = {t["key"]: t.get("value", "") for t in run.get("data", {}).get("tags", [])}
    env = tags.get(ENV_TAG)
    if not env:
        raise UsageError(f"run {run_id} has no {ENV_TAG} tag: it was not started in an mlstack environment (or without "
                         "mlstack installed beside MLflow, whose run-context plugin writes the tags); nothing to reproduce")
    check_env_name(env)
    commit, lock = tags.get(TAGS["MLSTACK_GIT_COMMIT"]), tags.get(TAGS["MLSTACK_LOCK_DIGEST"])
    echo(f"run {run_id} (experiment {run.get('info', {}).get('experiment_id', '?')}) ran in:")
    for var, tag in TAGS.items():
        echo(f"  {tag:<21}{tags.get(tag) or '(not recorded)'}")
    echo("Re-deploy that environment exactly:")
    if commit:
        echo(f"  git checkout {commit}")
    echo(f"  mlstack lock --env {env} --check" + (f"    # its digest must be {lock}" if lock else ""))
    echo(f"  mlstack up --env {env} --locked")
    if not commit:
        echo("  (no git commit recorded: check out the stacks that hold that lock first)")


def register(app: typer.Typer) -> None:
    app.command()(reproduce)
