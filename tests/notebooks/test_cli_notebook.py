"""``mlstack notebook run|execute`` refuse wrong calls before any kernel or MLflow call: exit 2, one clear line."""

from __future__ import annotations

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
