"""``mlstack notebook run NAME --env E``: a notebook of ``ci.notebooks`` as a build step, where the spec says
(the CI runner, or a Job in the team's namespace); ``mlstack notebook execute``: the step itself (papermill,
MLflow), which the Job's container runs. Both exit 1 when a cell fails, with the cell's error on stderr."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.cmd_spec import EnvOption
from mlstack.cli.context import STATE

notebook = typer.Typer(name="notebook", no_args_is_help=True,
                       help="Notebooks as build steps (ci.notebooks): papermill, logged to the environment's MLflow.")

GitCommitOption = Annotated[
    str | None,
    typer.Option("--git-commit", envvar="MLSTACK_GIT_COMMIT", help="Commit the run is tagged with (mlstack.git_commit)."),
]


def _report(name: str, run_id: str, output: Path, error: str | None, log: str = "") -> None:
    from mlstack.cli.output import echo, err
    from mlstack.errors import EngineError
    from mlstack.escape import printable_lines

    for line in log.splitlines():
        echo(f"  | {printable_lines(line)}")
    echo(f"notebook {name}: MLflow run {run_id}; executed notebook {output}")
    if error is not None:
        err(printable_lines(error))
        raise EngineError(f"notebook {name} failed: {printable_lines(error.splitlines()[0])}")


@notebook.command("run")
def run(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A key of ci.notebooks.")],
    env: EnvOption,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Executed notebook; default build/notebooks/NAME.ipynb in the project.")] = None,
    git_commit: GitCommitOption = None,
) -> None:
    """Run notebook NAME of ci.notebooks against an environment, as its runner says: on this machine (ci) or as a
    Job in the team's namespace (kubernetes). Keeps the executed notebook; exit 1 when a cell fails."""
    from mlstack.errors import UsageError
    from mlstack.fsio import project_root
    from mlstack.spec import load_spec

    spec = load_spec(env, STATE.stacks_dir)
    notebooks = spec.ci.notebooks if spec.ci else {}
    if name not in notebooks:
        from mlstack.engine.scaffold.render import did_you_mean

        raise UsageError(f"stacks/{env}.yaml has no notebook {name!r} in ci.notebooks{did_you_mean(name, notebooks)} "
                         f"(have: {', '.join(sorted(notebooks)) or 'none'})")
    nb = notebooks[name]
    root = project_root(STATE.stacks_dir)
    source = root / nb.path
    from mlstack.engine.scaffold.generate_ci import NOTEBOOK_DIR

    out = output or root / NOTEBOOK_DIR / f"{name}.ipynb"
    if nb.runner == "ci":
        from mlstack.engine.deploy.notebook_run import Notebook, execute

        result = execute(Notebook(name=name, source=source, output=out, experiment=nb.experiment or "ci-notebooks",
                                  parameters=nb.parameters, git_commit=git_commit, env=env, runner="ci",
                                  cell_timeout_s=nb.timeout_minutes * 60, path=nb.path))
        _report(name, result.run_id, out, result.error)
        return
    _run_job(env, spec, name, source, out, git_commit)


def _run_job(env: str, spec, name: str, source: Path, out: Path, git_commit: str | None) -> None:
    from mlstack.catalog import load_catalog
    from mlstack.cli.cmd_lifecycle import _open
    from mlstack.cli.output import echo
    from mlstack.engine.deploy import verify_kube
    from mlstack.engine.deploy.notebook_job import job_body, read_back, run_job, without_notebook
    from mlstack.errors import EngineError, UsageError
    from mlstack.fsio import atomic_write

    if not source.is_file():
        raise UsageError(f"notebook {source} does not exist (ci.notebooks.{name}.path is relative to the project root)")
    body = job_body(spec, name, source.read_bytes(), git_commit, load_catalog())
    stack, _, _ = _open(env)
    jobs = verify_kube.make_jobs(stack.outputs(), spec.target.kube_context, spec.target.kubeconfig_path)
    nb = spec.ci.notebooks[name]
    echo(f"notebook {name}: a Job in namespace {nb.team}{f' on pool {nb.pool}' if nb.pool else ''} ...")
    job, state, log = run_job(jobs, body, timeout_s=nb.timeout_minutes * 60 + 300)  # + time in the queue
    executed = read_back(log)
    if executed is not None:
        atomic_write(out, executed, outside_ok=True)
    text = without_notebook(log)
    run_id = next((line.split()[-1] for line in text.splitlines() if line.startswith("MLSTACK-NOTEBOOK-RUN ")), "unknown")
    if state != "succeeded":
        error = "\n".join(line for line in text.splitlines() if not line.startswith("MLSTACK-NOTEBOOK-RUN "))
        _report(name, run_id, out, f"Job {nb.team}/{job} {state}\n{error}".rstrip())
    if executed is None:
        raise EngineError(f"notebook {name}: Job {nb.team}/{job} succeeded but its log holds no executed notebook")
    _report(name, run_id, out, None, text)


@notebook.command("execute")
def execute(
    source: Annotated[Path, typer.Argument(metavar="NOTEBOOK", help="The notebook (.ipynb) to run.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where the executed notebook is written.")],
    experiment: Annotated[str, typer.Option("--experiment", help="MLflow experiment (created when missing).")],
    name: Annotated[str | None, typer.Option("--name", help="The run's name; default the notebook's file stem.")] = None,
    parameters: Annotated[str, typer.Option("--parameters", help="Papermill parameters as a JSON object.")] = "{}",
    runner: Annotated[str, typer.Option("--runner", help="Recorded in the tag mlstack.notebook.runner.")] = "ci",
    environment: Annotated[str | None, typer.Option("--environment", envvar="MLSTACK_ENV", help="Environment tag (mlstack.env).")] = None,
    git_commit: GitCommitOption = None,
    source_env: Annotated[str | None, typer.Option("--source-env", help="Write NOTEBOOK first from this variable (gzip, base64).")] = None,
    spec_path: Annotated[str | None, typer.Option("--spec-path", help="The path ci.notebooks names (tag mlstack.notebook); default NOTEBOOK.")] = None,
    emit: Annotated[bool, typer.Option("--emit", help="Print the executed notebook at the end of the log (a Job's way back).")] = False,
) -> None:
    """Execute one notebook with papermill and log it to MLflow (MLFLOW_TRACKING_URI/USERNAME/PASSWORD): the
    step `mlstack notebook run` takes, and what its Kubernetes Job runs. Exit 1 when a cell fails."""
    import sys

    from mlstack.engine.deploy.notebook_job import emitted
    from mlstack.engine.deploy.notebook_run import Notebook
    from mlstack.engine.deploy.notebook_run import execute as run_notebook
    from mlstack.errors import UsageError
    from mlstack.fsio import atomic_write

    try:
        values = json.loads(parameters)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--parameters: not JSON ({exc.msg} at column {exc.colno}), e.g. --parameters '{{\"epochs\": 3}}'") from None
    if not isinstance(values, dict):
        raise UsageError(f"--parameters: expected a JSON object of name -> value, got {type(values).__name__}")
    if source_env is not None:
        import base64
        import gzip

        if not os.environ.get(source_env):
            raise UsageError(f"--source-env {source_env}: the variable is not set")
        atomic_write(source, gzip.decompress(base64.b64decode(os.environ[source_env])), outside_ok=True)
    result = run_notebook(Notebook(name=name or source.stem, source=source, output=output, experiment=experiment,
                                   parameters=values, git_commit=git_commit, env=environment, runner=runner,
                                   path=spec_path))
    print(f"MLSTACK-NOTEBOOK-RUN {result.run_id}", flush=True)
    if emit and output.is_file():
        sys.stdout.write(emitted(output.read_bytes()))
        sys.stdout.flush()
    _report(name or source.stem, result.run_id, output, result.error)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
    app.add_typer(notebook)
