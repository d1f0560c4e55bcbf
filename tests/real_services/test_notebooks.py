"""Notebooks as build steps, for real: ``mlstack notebook run`` executes the sample notebook
(``examples/notebooks/evaluate.ipynb``) with papermill and a real Python kernel, and logs it to the real MLflow
server of ``.ci/services/mlflow.sh`` as a team's user from the Secret the platform layer renders; a failing cell
fails the step with the cell's error and a FAILED run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .conftest import Api

pytestmark = pytest.mark.real_services

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "examples/notebooks/evaluate.ipynb"
COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
TIMEOUT_S = 300


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The repository's stacks (whose base.yaml lists the sample under ci.notebooks) and the sample notebook."""
    root = tmp_path_factory.mktemp("notebook-project")
    shutil.copytree(ROOT / "stacks", root / "stacks")
    (root / SAMPLE).parent.mkdir(parents=True)
    shutil.copy(ROOT / SAMPLE, root / SAMPLE)
    return root


@pytest.fixture(scope="module")
def research(mlflow_server, rendered) -> tuple[str, str]:
    secret = rendered.secret_data("research", "mlflow-research")
    return secret["username"], secret["password"]


def _mlstack(project: Path, server: dict[str, str], user: tuple[str, str], *argv: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(project),
        "MLSTACK_NO_PLAN_CACHE": "1",
        "MLFLOW_TRACKING_URI": server["MLFLOW_TRACKING_URI"],
        "MLFLOW_TRACKING_USERNAME": user[0],
        "MLFLOW_TRACKING_PASSWORD": user[1],
    }
    return subprocess.run([sys.executable, "-m", "mlstack", *argv], cwd=project, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def _run_id(stdout: str) -> str:
    line = next(line for line in stdout.splitlines() if line.startswith("notebook ") and "MLflow run " in line)
    return line.split("MLflow run ")[1].split(";")[0]


def _download(server: dict[str, str], user: tuple[str, str], run_id: str, tmp: Path) -> dict:
    os.environ.update(MLFLOW_TRACKING_USERNAME=user[0], MLFLOW_TRACKING_PASSWORD=user[1])
    try:
        from mlflow import MlflowClient

        client = MlflowClient(server["MLFLOW_TRACKING_URI"])
        listed = [f.path for f in client.list_artifacts(run_id, "notebook")]
        assert listed == ["notebook/evaluate.ipynb"]
        path = client.download_artifacts(run_id, "notebook/evaluate.ipynb", str(tmp))
    finally:
        for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            os.environ.pop(key, None)
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _outputs(notebook: dict) -> str:
    return "".join("".join(o.get("text", "")) + "".join(o.get("traceback", [])) + o.get("evalue", "")
                   for cell in notebook["cells"] if cell["cell_type"] == "code" for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def passed(project, mlflow_server, research):
    out = project / "build" / "notebooks" / "evaluate.ipynb"
    return _mlstack(project, mlflow_server, research, "notebook", "run", "evaluate", "--env", "staging",
                    "--git-commit", COMMIT), out


def test_a_notebook_run_is_logged_with_its_parameters_commit_and_notebook(passed, mlflow_server, research, tmp_path):
    done, out = passed
    assert done.returncode == 0, done.stderr[-3000:]
    api = Api(mlflow_server["MLFLOW_TRACKING_URI"], research)
    run_id = _run_id(done.stdout)
    run = api.get("runs/get", run_id=run_id).json()["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["run_name"] == "evaluate"
    experiment = api.get("experiments/get", experiment_id=run["info"]["experiment_id"]).json()["experiment"]
    assert experiment["name"] == "ci-notebooks"
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"epochs": "20", "min_r2": "0.9"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert {k: tags[k] for k in ("mlstack.git_commit", "mlstack.env", "mlstack.notebook", "mlstack.notebook.name",
                                 "mlstack.notebook.runner", "mlstack.notebook.parameters")} == {
        "mlstack.git_commit": COMMIT, "mlstack.env": "staging", "mlstack.notebook": SAMPLE,
        "mlstack.notebook.name": "evaluate", "mlstack.notebook.runner": "ci",
        "mlstack.notebook.parameters": '{"epochs": 20, "min_r2": 0.9}',
    }
    assert tags["mlflow.runName"] == "evaluate"
    # the notebook's own mlflow.start_run() resumed this run (MLFLOW_RUN_ID): its metrics are here
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["r2"] == pytest.approx(0.97429, abs=1e-4)
    history = api.get("metrics/get-history", run_id=run_id, metric_key="mse").json()["metrics"]
    assert sorted(m["step"] for m in history) == list(range(20))
    # the executed notebook: the build artifact on disk and the run's artifact are the same file
    executed = _download(mlflow_server, research, run_id, tmp_path)
    assert json.loads(out.read_text(encoding="utf-8")) == executed
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and "epochs = 20\n" in "".join(injected[0]["source"])
    assert "w=1.694 b=0.876 r2=0.9743" in _outputs(executed)


def test_a_failing_cell_fails_the_step_with_its_error(project, mlflow_server, research, tmp_path):
    out = tmp_path / "failed.ipynb"
    experiment = f"research-notebooks-{uuid.uuid4().hex[:8]}"
    done = _mlstack(project, mlflow_server, research, "notebook", "execute", SAMPLE, "--output", str(out),
                    "--experiment", experiment, "--name", "evaluate", "--parameters", '{"min_r2": 0.99}',
                    "--git-commit", COMMIT, "--environment", "staging")
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "AssertionError: r2 0.9743 is below min_r2 0.99" in done.stderr
    assert "----> 1 assert r2 >= min_r2" in done.stderr  # the cell's traceback, without terminal colours
    assert "\x1b[" not in done.stderr
    assert "error: notebook evaluate failed: cell 4 (index 4) failed: AssertionError: r2 0.9743 is below min_r2 0.99" in done.stderr
    api = Api(mlflow_server["MLFLOW_TRACKING_URI"], research)
    run = api.get("runs/get", run_id=_run_id(done.stdout)).json()["run"]
    assert run["info"]["status"] == "FAILED"
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"min_r2": "0.99"}
    executed = _download(mlflow_server, research, run["info"]["run_id"], tmp_path)
    assert "r2 0.9743 is below min_r2 0.99" in _outputs(executed)  # kept, with the failing cell's output
    assert json.loads(out.read_text(encoding="utf-8")) == executed
