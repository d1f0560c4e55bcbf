"""``mlstack model promote`` between two real MLflow servers (``mlflow`` and ``mlflow-b`` of .ci/services), as the
research team's user of each (its rendered Secret ``mlflow-research``): the copy loads on the target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .launch import load_render

pytestmark = pytest.mark.real_services

ROOT = Path(__file__).resolve().parents[2]
TRAIN = """\
import sys, mlflow, pandas as pd
from mlflow.models import infer_signature

class Double(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input * 2

x = pd.DataFrame({"a": [1.0, 2.0]})
mlflow.set_experiment("research-ranking")
with mlflow.start_run() as run:
    mlflow.log_params({"lr": "0.01", "epochs": "3"})
    mlflow.log_metric("auc", 0.91)
    mlflow.set_tags({"team": "research", "git_commit": "abc123"})
    info = mlflow.pyfunc.log_model(name="model", python_model=Double(), signature=infer_signature(x, x * 2),
                                   input_example=x, pip_requirements=["pandas"], params={"threshold": "0.5"})
v = mlflow.register_model(f"models:/{info.model_id}", sys.argv[1], tags={"stage": "candidate"})
print(run.info.run_id, info.model_id, v.version)
"""
# A version registered from a run's plain artifacts, as MLflow 2 registered them (no logged model).
FILES = """\
import sys, pathlib, tempfile, mlflow
client = mlflow.MlflowClient()
mlflow.set_experiment("research-files")
with mlflow.start_run() as run, tempfile.TemporaryDirectory() as d:
    pathlib.Path(d, "weights.txt").write_text("w=1\\n")
    mlflow.log_artifacts(d, "model")
client.create_registered_model(sys.argv[1])
v = client.create_model_version(sys.argv[1], f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
print(run.info.run_id, v.version)
"""
LOAD = """\
import sys, json, mlflow, pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
info = mlflow.models.get_model_info(sys.argv[1])
print(json.dumps({"predicted": model.predict(pd.DataFrame({"a": [3.0]}))["a"].tolist(),
                  "inputs": info.signature.inputs.input_names(), "model_id": info.model_id, "run_id": info.run_id}))
"""


def team(server: dict[str, str]) -> dict[str, str]:
    secret = load_render(Path(server["MLSTACK_MLFLOW_RENDER"])).secret_data("research", "mlflow-research")
    return {"uri": server["MLFLOW_TRACKING_URI"], "username": secret["username"], "password": secret["password"]}


def client_env(side: dict[str, str]) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "MLFLOW_TRACKING_URI": side["uri"],
            "MLFLOW_TRACKING_USERNAME": side["username"], "MLFLOW_TRACKING_PASSWORD": side["password"]}  # fmt: skip


def python(code: str, side: dict[str, str], *args: str) -> str:
    """Runs ``code`` as a client of ``side``; its last line of output."""
    done = subprocess.run([sys.executable, "-c", code, *args], env=client_env(side), capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.splitlines()[-1]


def promote(name: str, version: int, a: dict[str, str], b: dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "NO_COLOR": "1"}
    for envname, side in (("ONPREM", a), ("PROD", b)):
        env.update({f"MLSTACK_MLFLOW_URI_{envname}": side["uri"], f"MLSTACK_MLFLOW_USERNAME_{envname}": side["username"],
                    f"MLSTACK_MLFLOW_PASSWORD_{envname}": side["password"]})  # fmt: skip
    argv = [sys.executable, "-m", "mlstack", "model", "promote", name, "--version", str(version), "--from", "onprem",
            "--to", "prod", *extra]  # fmt: skip
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def sides(services):
    return team(services.get("mlflow")), team(services.get("mlflow-b"))


def _client(side: dict[str, str]):
    from mlflow.tracking import MlflowClient

    os.environ.update(MLFLOW_TRACKING_USERNAME=side["username"], MLFLOW_TRACKING_PASSWORD=side["password"])
    return MlflowClient(side["uri"], side["uri"])


@pytest.fixture
def as_user():
    yield _client
    os.environ.pop("MLFLOW_TRACKING_USERNAME", None)
    os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)


def test_a_logged_model_version_moves_and_loads_on_the_target(sides, as_user):
    a, b = sides
    name = f"ranker-{uuid.uuid4().hex[:6]}"
    source_run, source_model, source_version = python(TRAIN, a, name).split()

    done = promote(name, int(source_version), a, b, "--alias", "champion")
    assert done.returncode == 0, done.stderr
    dst = as_user(b)
    mv = dst.get_model_version(name, "1")
    assert mv.source.startswith("models:/m-")  # the REST API leaves model_id empty
    model_id = mv.source.removeprefix("models:/")
    assert model_id != source_model
    assert done.stdout.splitlines() == [
        f"{name} version {source_version} (onprem) -> {name} version 1 (prod), run {mv.run_id}, logged model {model_id}",
        f"alias 'champion' -> {name} version 1 (prod)",
    ]
    lineage = {"mlstack.promoted_from.env": "onprem", "mlstack.promoted_from.tracking_uri": a["uri"],
               "mlstack.promoted_from.run_id": source_run, "mlstack.promoted_from.model_version": source_version,
               "mlstack.promoted_from.model_id": source_model}  # fmt: skip
    assert mv.tags == {"stage": "candidate", **lineage}
    assert dst.get_model_version_by_alias(name, "champion").version == "1"
    run = dst.get_run(mv.run_id)
    assert run.data.params == {"lr": "0.01", "epochs": "3"}
    assert run.data.metrics == {"auc": 0.91}
    assert {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")} == {
        "team": "research", "git_commit": "abc123", **lineage}
    assert dst.get_experiment(run.info.experiment_id).name == f"promoted/{name}"
    logged = dst.get_logged_model(model_id)
    assert logged.source_run_id == mv.run_id and logged.status.to_proto() == logged.status.READY.to_proto()
    assert logged.params == {"threshold": "0.5", "lr": "0.01", "epochs": "3"}
    assert {k: logged.tags[k] for k in lineage} == lineage

    # Loaded on the target alone, as its user: MLmodel points at the target's logged model and run.
    loaded = json.loads(python(LOAD, b, f"models:/{name}/1"))
    assert loaded == {"predicted": [6.0], "inputs": ["a"], "model_id": model_id, "run_id": mv.run_id}

    again = promote(name, int(source_version), a, b, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "name": name, "source_env": "onprem", "source_version": source_version, "target_env": "prod",
        "target_name": name, "target_version": "1", "target_run_id": mv.run_id, "target_model_id": model_id,
        "created": False, "alias": None,
    }
    assert len(dst.search_model_versions(f"name = '{name}'")) == 1


def test_a_version_of_run_artifacts_moves_as_run_artifacts(sides, as_user):
    a, b = sides
    name = f"files-{uuid.uuid4().hex[:6]}"
    source_run, source_version = python(FILES, a, name).split()
    done = promote(name, int(source_version), a, b, "--format", "json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["created"] is True and out["target_model_id"] is None and out["target_version"] == "1"
    dst = as_user(b)
    mv = dst.get_model_version(name, "1")
    assert mv.source == f"runs:/{out['target_run_id']}/model" and mv.tags["mlstack.promoted_from.run_id"] == source_run
    assert [f.path for f in dst.list_artifacts(out["target_run_id"], "model")] == ["model/weights.txt"]


def test_a_different_model_under_the_name_on_the_target_is_refused(sides, as_user):
    a, b = sides
    name = f"clash-{uuid.uuid4().hex[:6]}"
    for side in (a, b):  # the same name, trained separately on each side
        python(TRAIN, side, name)
    done = promote(name, 1, a, b)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: prod already has registered model '{name}' with versions that are not copies from onprem: "
        f"version 1 (registered there). Refusing to mix two models under one name. Promote under another name "
        f"(--as {name}-onprem), or promote from the environment those versions came from.\n"
    )
    assert len(as_user(b).search_model_versions(f"name = '{name}'")) == 1  # nothing was added
    way_out = promote(name, 1, a, b, "--as", f"{name}-onprem")
    assert way_out.returncode == 0, way_out.stderr
    assert f"{name} version 1 (onprem) -> {name}-onprem version 1 (prod)" in way_out.stdout


def test_refused_credentials_are_a_usage_error_that_prints_no_password(sides):
    a, b = sides
    name = f"creds-{uuid.uuid4().hex[:6]}"
    python(FILES, a, name)
    wrong = {**b, "password": "not-" + b["password"]}
    done = promote(name, 1, a, wrong)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: prod: {b['uri']} refused user 'research' (HTTP 401) while looking up '{name}': check "
        "MLSTACK_MLFLOW_USERNAME_PROD and MLSTACK_MLFLOW_PASSWORD_PROD (a team's Secret mlflow-<team> in that "
        "environment)\n"
    )


def test_a_missing_version_at_the_source_is_a_usage_error(sides):
    a, b = sides
    name = f"none-{uuid.uuid4().hex[:6]}"
    done = promote(name, 7, a, b)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr == (
        f"error: onprem has no version 7 of registered model '{name}' that user 'research' may read at {a['uri']}: "
        "check the name and --version (MLflow's UI, Models) and that this is the user of the team that owns it\n"
    )
