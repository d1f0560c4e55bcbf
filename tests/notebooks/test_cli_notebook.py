"""``mlstack notebook run|execute`` refuse wrong calls before any kernel or MLflow call: exit 2, one clear line."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def _fails(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    return capsys.readouterr().err


def test_an_unknown_notebook_names_the_close_one(project, capsys):
    err = _fails(capsys, "notebook", "run", "evaluat", "--env", "prod")
    assert "stacks/prod.yaml has no notebook 'evaluat' in ci.notebooks (did you mean 'evaluate'?) (have: evaluate)" in err


def test_a_missing_notebook_file(project, capsys):
    err = _fails(capsys, "notebook", "run", "evaluate", "--env", "prod")
    assert f"notebook {project}/examples/notebooks/evaluate.ipynb does not exist (ci.notebooks.evaluate.path is relative to the project root)" in err


def test_no_mlflow_to_log_to(project, capsys):
    (project / "examples" / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "notebooks" / "evaluate.ipynb", project / "examples" / "notebooks")
    err = _fails(capsys, "notebook", "run", "evaluate", "--env", "prod")
    assert "no MLflow to log to: set MLFLOW_TRACKING_URI (and MLFLOW_TRACKING_USERNAME/PASSWORD)" in err
    assert not (project / "build").exists()


@pytest.mark.parametrize(("value", "message"), [
    ("{epochs: 3}", "--parameters: not JSON (Expecting property name enclosed in double quotes at column 2)"),
    ("[3]", "--parameters: expected a JSON object of name -> value, got list"),
])
def test_parameters_must_be_a_json_object(project, capsys, value, message):
    err = _fails(capsys, "notebook", "execute", "x.ipynb", "--output", "out.ipynb", "--experiment", "e", "--parameters", value)
    assert message in err


def test_the_source_variable_must_be_set(project, capsys, monkeypatch):
    monkeypatch.delenv("MLSTACK_NOTEBOOK_SOURCE", raising=False)
    err = _fails(capsys, "notebook", "execute", "x.ipynb", "--output", "out.ipynb", "--experiment", "e",
                 "--source-env", "MLSTACK_NOTEBOOK_SOURCE")
    assert "--source-env MLSTACK_NOTEBOOK_SOURCE: the variable is not set" in err


class _Stack:
    def outputs(self):
        return {"kubeconfig": ("apiVersion: v1", False)}


def _job_run(project, monkeypatch, states, log):
    """`notebook run` of the Kubernetes notebook with the cluster boundary replaced by a recording double (the
    stack's outputs and the Jobs API: no Pulumi CLI, no cluster here)."""
    from mlstack.cli import cmd_lifecycle
    from mlstack.engine.deploy import notebook_job, verify_kube

    from .test_notebook_job import RecordedJobs

    (project / "examples" / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "notebooks" / "evaluate.ipynb", project / "examples" / "notebooks")
    kube = RecordedJobs(states, log)
    monkeypatch.setattr(cmd_lifecycle, "_open", lambda env: (_Stack(), "v3.272.0", None))
    monkeypatch.setattr(verify_kube, "make_jobs", lambda outputs, context, path: kube)
    monkeypatch.setattr(notebook_job, "run_job", functools.partial(notebook_job.run_job, sleep=lambda s: None))
    return kube


def test_a_kubernetes_notebook_runs_as_a_job_and_its_notebook_comes_back(project, monkeypatch, capsys):
    from mlstack.engine.deploy.notebook_job import emitted

    executed = b'{"cells": [], "nbformat": 4}'
    kube = _job_run(project, monkeypatch, ["running", "succeeded"],
                    "MLSTACK-NOTEBOOK-RUN 5f2a\n" + emitted(executed) + "notebook evaluate-a100: MLflow run 5f2a\n")
    assert main(["notebook", "run", "evaluate-a100", "--env", "staging", "--git-commit", "abc123"]) == 0
    out = capsys.readouterr().out
    assert (project / "build" / "notebooks" / "evaluate-a100.ipynb").read_bytes() == executed
    (namespace, body), = kube.created
    assert namespace == "research" and body["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    assert {"name": "MLSTACK_GIT_COMMIT", "value": "abc123"} in body["spec"]["template"]["spec"]["containers"][0]["env"]
    assert f"notebook evaluate-a100: MLflow run 5f2a; executed notebook {project}/build/notebooks/evaluate-a100.ipynb" in out
    assert "MLSTACK-NOTEBOOK-BEGIN" not in out  # the encoded notebook is not echoed


def test_a_failing_job_fails_the_step_with_the_pods_error(project, monkeypatch, capsys):
    from mlstack.engine.deploy.notebook_job import emitted

    log = ("MLSTACK-NOTEBOOK-RUN 77aa\n" + emitted(b"{}") +
           "cell 4 (index 4) failed: AssertionError: r2 0.9743 is below min_r2 0.99\n")
    _job_run(project, monkeypatch, ["failed"], log)
    assert main(["notebook", "run", "evaluate-a100", "--env", "staging"]) == 1
    err = capsys.readouterr().err
    assert "Job research/notebook-evaluate-a100-x7k2p failed\ncell 4 (index 4) failed: AssertionError: r2 0.9743 is below min_r2 0.99" in err
    assert "error: notebook evaluate-a100 failed: Job research/notebook-evaluate-a100-x7k2p failed" in err
    assert (project / "build" / "notebooks" / "evaluate-a100.ipynb").read_bytes() == b"{}"  # kept, as on the runner
