"""Runs one notebook as a build step: papermill executes it, MLflow records it. The one implementation behind
every pipeline's notebook stage: ``mlstack notebook run`` calls it in-process on the CI runner, and the
Kubernetes Job's container calls it through ``mlstack notebook execute``.

The run, in the experiment named by the spec (created when missing):
- tags: the git commit (``mlstack.git_commit``, the run stamp's tag), the environment (``mlstack.env``), the
  notebook (``mlstack.notebook``, its path; ``mlstack.notebook.name``; ``mlstack.notebook.runner``) and the
  parameters as JSON (``mlstack.notebook.parameters``);
- params: the papermill parameters;
- artifact: the executed notebook under ``notebook/``, also when a cell failed (its outputs show where);
- status FINISHED, or FAILED when a cell raised.

The kernel inherits ``MLFLOW_RUN_ID`` and ``MLFLOW_EXPERIMENT_ID``, so a notebook's own ``mlflow.start_run()``
logs into this same run instead of starting another.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from mlstack.errors import EngineError, UsageError
from mlstack.fsio import atomic_write
from mlstack.stamp import ENV_TAG, TAGS

COMMIT_TAG = TAGS["MLSTACK_GIT_COMMIT"]
NOTEBOOK_TAG = "mlstack.notebook"
NAME_TAG = "mlstack.notebook.name"
RUNNER_TAG = "mlstack.notebook.runner"
PARAMETERS_TAG = "mlstack.notebook.parameters"
ARTIFACT_DIR = "notebook"
KERNEL = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Notebook:
    """What to run and how to record it."""

    name: str
    source: Path
    output: Path
    experiment: str
    parameters: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    git_commit: str | None = None
    env: str | None = None
    runner: str = "ci"
    cell_timeout_s: int | None = None
    path: str | None = None  # as the spec names it (tag mlstack.notebook); default ``source``


@dataclass(frozen=True)
class Outcome:
    run_id: str
    experiment_id: str
    output: Path
    error: str | None  # the failing cell's error and traceback; None when every cell ran

    @property
    def ok(self) -> bool:
        return self.error is None


def tags_of(nb: Notebook) -> dict[str, str]:
    tags = {NOTEBOOK_TAG: nb.path or nb.source.as_posix(), NAME_TAG: nb.name, RUNNER_TAG: nb.runner,
            PARAMETERS_TAG: json.dumps(dict(nb.parameters), sort_keys=True)}
    if nb.git_commit:
        tags[COMMIT_TAG] = nb.git_commit
    if nb.env:
        tags[ENV_TAG] = nb.env
    return tags


def cell_error(exc: BaseException) -> str:
    """The failing cell's error as papermill reports it, without terminal colours: where, what, the traceback."""
    where = f"cell {exc.exec_count}" if getattr(exc, "exec_count", None) is not None else "a cell"
    index = getattr(exc, "cell_index", None)
    head = f"{where}{f' (index {index})' if index is not None else ''} failed: {getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"
    trace = "\n".join(_ANSI.sub("", line) for line in getattr(exc, "traceback", []) or [])
    return f"{head}\n{trace}".rstrip()


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """The kernel papermill starts inherits this process's environment: set for the run, restored after."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def execute(nb: Notebook, tracking_uri: str | None = None) -> Outcome:
    """Executes ``nb`` with papermill and records it in MLflow (``tracking_uri``, default ``MLFLOW_TRACKING_URI``).

    Raises:
        UsageError: the notebook is missing or papermill is not installed.
        EngineError: MLflow cannot be reached or refused the run.
    """
    if not nb.source.is_file():
        raise UsageError(f"notebook {nb.source} does not exist (ci.notebooks.{nb.name}.path is relative to the project root)")
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise UsageError("no MLflow to log to: set MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME/PASSWORD)")
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError
    except ImportError:
        raise UsageError("papermill is not installed: pip install 'mlstack-iac[notebook]' (papermill and ipykernel)") from None
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.tracking.context.registry import resolve_tags

    client = MlflowClient(uri)
    try:
        found = client.get_experiment_by_name(nb.experiment)
        experiment_id = found.experiment_id if found else client.create_experiment(nb.experiment)
        # MLflow's context tags (source, the run stamp's plugin: MLSTACK_LOCK_DIGEST in a Job), then ours
        run = client.create_run(experiment_id, tags=resolve_tags(tags_of(nb)), run_name=nb.name)
        run_id = run.info.run_id
        for key, value in sorted(nb.parameters.items()):
            client.log_param(run_id, key, value)
    except MlflowException as exc:
        raise EngineError(f"MLflow at {uri} refused the notebook run of {nb.name}: {exc.message}") from None
    error = None
    with tempfile.TemporaryDirectory(prefix="mlstack-notebook-") as tmp:
        executed = Path(tmp) / f"{nb.name}.ipynb"  # papermill writes here; the one atomic writer writes the output
        with _environ({"MLFLOW_RUN_ID": run_id, "MLFLOW_EXPERIMENT_ID": experiment_id, "MLFLOW_TRACKING_URI": uri}):
            try:
                papermill.execute_notebook(
                    str(nb.source), str(executed), parameters=dict(nb.parameters), kernel_name=KERNEL,
                    cwd=str(nb.source.parent), progress_bar=False, execution_timeout=nb.cell_timeout_s,
                )
            except PapermillExecutionError as exc:
                error = cell_error(exc)
        try:
            if executed.is_file():
                atomic_write(nb.output, executed.read_bytes(), outside_ok=True)
                client.log_artifact(run_id, str(executed), artifact_path=ARTIFACT_DIR)
            client.set_terminated(run_id, "FINISHED" if error is None else "FAILED")
        except MlflowException as exc:
            raise EngineError(f"MLflow at {uri} refused the executed notebook of {nb.name}: {exc.message}") from None
    return Outcome(run_id, experiment_id, nb.output, error)
