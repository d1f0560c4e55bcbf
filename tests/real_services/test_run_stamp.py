"""Every run is stamped with its mlstack environment: the run-context plugin (installed through its
``mlflow.run_context_provider`` entry point) tags runs on the real MLflow server of ``.ci/services/mlflow.sh``,
and ``mlstack reproduce`` reads the tags back from that server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from mlstack.cli import main

pytestmark = pytest.mark.real_services

LOCK = "sha256:" + "4" * 64
IMAGE = "sha256:" + "5" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CODE = (
    "import mlflow\n"
    "mlflow.set_experiment('stamp-probe')\n"
    "with mlflow.start_run() as run:\n"
    "    mlflow.log_param('lr', '0.1')\n"
    "print(run.info.run_id)\n"
)


def _client_env(server: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path(server["MLSTACK_MLFLOW_RENDER"]).parent),
        "MLFLOW_TRACKING_URI": server["MLFLOW_TRACKING_URI"],
        "MLFLOW_TRACKING_USERNAME": server["MLSTACK_MLFLOW_ADMIN_USERNAME"],
        "MLFLOW_TRACKING_PASSWORD": server["MLSTACK_MLFLOW_ADMIN_PASSWORD"],
        **extra,
    }


def _start_run(server: dict[str, str], **extra: str) -> str:
    out = subprocess.run([sys.executable, "-c", CODE], env=_client_env(server, **extra), capture_output=True, text=True,
                         timeout=180, check=True)
    return out.stdout.split()[-1]


def _tags(server: dict[str, str], run_id: str) -> dict[str, str]:
    r = requests.get(f"{server['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/runs/get", params={"run_id": run_id},
                     auth=(server["MLSTACK_MLFLOW_ADMIN_USERNAME"], server["MLSTACK_MLFLOW_ADMIN_PASSWORD"]), timeout=30)
    r.raise_for_status()
    return {t["key"]: t["value"] for t in r.json()["run"]["data"]["tags"]}


@pytest.fixture(scope="module")
def stamped(mlflow_server):
    return _start_run(mlflow_server, MLSTACK_PROJECT="acme-ml", MLSTACK_ENV="staging", MLSTACK_LOCK_DIGEST=LOCK,
                      MLSTACK_IMAGE_DIGEST=IMAGE, MLSTACK_GIT_COMMIT=COMMIT)


def test_the_plugin_tags_a_run_started_in_an_environment(mlflow_server, stamped):
    tags = _tags(mlflow_server, stamped)
    assert {k: v for k, v in tags.items() if k.startswith("mlstack.")} == {
        "mlstack.project": "acme-ml", "mlstack.env": "staging", "mlstack.lock_digest": LOCK,
        "mlstack.image_digest": IMAGE, "mlstack.git_commit": COMMIT,
    }


def test_no_environment_no_tags(mlflow_server):
    tags = _tags(mlflow_server, _start_run(mlflow_server))
    assert not any(k.startswith("mlstack.") for k in tags)


def _reproduce(mlflow_server, monkeypatch, capsys, run_id: str) -> tuple[int, str, str]:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", mlflow_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"])
    code = main(["reproduce", run_id, "--tracking-uri", mlflow_server["MLFLOW_TRACKING_URI"]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_reproduce_prints_the_environment_and_the_redeploy_commands(mlflow_server, stamped, monkeypatch, capsys):
    code, out, _ = _reproduce(mlflow_server, monkeypatch, capsys, stamped)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"run {stamped} (experiment ") and lines[0].endswith(") ran in:")
    assert lines[1:] == [
        "  mlstack.project      acme-ml",
        "  mlstack.env          staging",
        f"  mlstack.lock_digest  {LOCK}",
        f"  mlstack.image_digest {IMAGE}",
        f"  mlstack.git_commit   {COMMIT}",
        "Re-deploy that environment exactly:",
        f"  git checkout {COMMIT}",
        f"  mlstack lock --env staging --check    # its digest must be {LOCK}",
        "  mlstack up --env staging --locked",
    ]


def test_reproduce_refuses_a_run_without_tags(mlflow_server, monkeypatch, capsys):
    run_id = _start_run(mlflow_server)
    code, _, err = _reproduce(mlflow_server, monkeypatch, capsys, run_id)
    assert code == 2
    assert f"run {run_id} has no mlstack.env tag: it was not started in an mlstack environment" in err


def test_reproduce_of_an_unknown_run(mlflow_server, monkeypatch, capsys):
    code, _, err = _reproduce(mlflow_server, monkeypatch, capsys, "0" * 32)
    assert code == 2 and f"run '{'0' * 32}' does not exist on {mlflow_server['MLFLOW_TRACKING_URI']}" in err


def test_reproduce_without_credentials_says_which_variables(mlflow_server, monkeypatch, capsys, stamped):
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    code = main(["reproduce", stamped, "--tracking-uri", mlflow_server["MLFLOW_TRACKING_URI"]])
    err = capsys.readouterr().err
    assert code == 2 and "refused the request (HTTP 401): set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD" in err
