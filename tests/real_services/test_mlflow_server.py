"""The MLflow server as the TrackingServer component renders it, running for real (``.ci/services/mlflow.sh``)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from mlstack.components.k8s.tracking_pod import PORT

from .conftest import Api
from .launch import s3_client

pytestmark = pytest.mark.real_services


def proc_cmdline(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")


def proc_environ(pid: str) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode().rstrip("\0").split("\0")
    return dict(item.split("=", 1) for item in raw)


def test_the_process_runs_the_rendered_command_with_only_host_and_port_changed(mlflow_server, rendered):
    container = rendered.get("Deployment", "mlflow", "mlflow")["spec"]["template"]["spec"]["containers"][0]
    argv = proc_cmdline(mlflow_server["MLSTACK_MLFLOW_PID"])
    # argv[0] is the interpreter of the `mlflow` console script; argv[1] the script itself.
    assert Path(argv[1]).name == "mlflow" and argv[1].startswith(str(Path(sys.executable).parent))
    port = mlflow_server["MLFLOW_TRACKING_URI"].rsplit(":", 1)[1]
    expected = [a if a not in ("0.0.0.0", str(PORT)) else {"0.0.0.0": "127.0.0.1", str(PORT): port}[a] for a in container["command"][1:]]
    assert argv[2:] == expected
    assert container["command"][1:4] == ["server", "--host", "0.0.0.0"]


def test_the_process_has_the_rendered_environment(mlflow_server, rendered):
    container = rendered.get("Deployment", "mlflow", "mlflow")["spec"]["template"]["spec"]["containers"][0]
    env = proc_environ(mlflow_server["MLSTACK_MLFLOW_PID"])
    config = rendered.secret_data("mlflow", "mlflow-config")
    for var in container["env"]:
        assert var["name"] in env, var["name"]
    assert env["MLFLOW_BACKEND_STORE_URI"] == config["backend-store-uri"]
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"] == config["flask-secret-key"]
    # The auth file is the rendered Secret's basic_auth.ini, written where the volume mount put it.
    assert Path(env["MLFLOW_AUTH_CONFIG_PATH"]).name == "basic_auth.ini"
    assert Path(env["MLFLOW_AUTH_CONFIG_PATH"]).read_text() == config["basic_auth.ini"]
    # PYTHONPATH is the ConfigMap mlflow-python's mount: the audit app only (start-up hooks are the AWS target's,
    # test_db_credentials_rotation.py), its distribution record where importlib.metadata finds it.
    from mlstack.components.k8s.tracking_audit import FILES

    hooks = Path(env["PYTHONPATH"])
    files = [str(f.relative_to(hooks)) for f in hooks.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    assert sorted(files) == sorted(FILES)  # (here the mount is writable, so Python adds its __pycache__)
    assert config["backend-store-uri"].startswith("postgresql://")


def test_health_is_open_and_the_api_refuses_anonymous_and_wrong_credentials(mlflow_server):
    url = mlflow_server["MLFLOW_TRACKING_URI"]
    health = requests.get(f"{url}/health", timeout=10)
    assert (health.status_code, health.text) == (200, "OK")
    anonymous = Api(url, None).get("experiments/search", max_results=1)
    assert anonymous.status_code == 401
    assert "You are not authenticated" in anonymous.text
    wrong = Api(url, (mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"], "not-the-password")).get("experiments/search", max_results=1)
    assert wrong.status_code == 401


def test_the_admin_from_the_rendered_secret_can_manage_users(mlflow_server, rendered, admin_api):
    admin = rendered.secret_data("mlflow", "mlflow-admin")
    assert (admin["username"], admin["password"]) == admin_api.auth
    name = f"probe-{uuid.uuid4().hex[:8]}"
    created = admin_api.post("users/create", {"username": name, "password": uuid.uuid4().hex})
    assert created.status_code == 200, created.text
    got = requests.get(f"{admin_api.url}/api/2.0/mlflow/users/get", params={"username": name}, auth=admin_api.auth, timeout=30)
    assert got.json()["user"]["username"] == name and got.json()["user"]["is_admin"] is False


def test_artifacts_logged_through_the_server_land_in_the_bucket(mlflow_server, services):
    """A client with no bucket credentials logs an artifact; the server writes it to the rendered bucket."""
    code = (
        "import mlflow\n"
        "mlflow.set_experiment('artifacts-probe')\n"
        "with mlflow.start_run() as run:\n"
        "    mlflow.log_text('hello from the real-services stage', 'notes/hello.txt')\n"
        "print(run.info.experiment_id, run.info.run_id)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path(mlflow_server["MLSTACK_MLFLOW_RENDER"]).parent),
        "MLFLOW_TRACKING_URI": mlflow_server["MLFLOW_TRACKING_URI"],
        "MLFLOW_TRACKING_USERNAME": mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"],
        "MLFLOW_TRACKING_PASSWORD": mlflow_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"],
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180, check=True)
    experiment_id, run_id = out.stdout.split()[-2:]
    bucket = mlflow_server["MLSTACK_MLFLOW_BUCKET"]
    key = f"mlflow/{experiment_id}/{run_id}/artifacts/notes/hello.txt"
    body = s3_client(services.get("s3")).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == b"hello from the real-services stage"


def test_in_cluster_host_names_are_accepted_and_others_refused(admin_api):
    """MLflow's security middleware checks ``Host``: the Service's name must pass (clients in the cluster
    call it), a foreign name must not (DNS rebinding)."""
    path = f"{admin_api.url}/api/2.0/mlflow/experiments/search"
    for host, status in (("mlflow.mlflow.svc.cluster.local:5000", 200), ("mlflow.mlflow:5000", 200), ("evil.example.com", 403)):
        r = requests.get(path, params={"max_results": 1}, auth=admin_api.auth, headers={"Host": host}, timeout=30)
        assert r.status_code == status, (host, r.text)


def test_the_server_is_the_pinned_mlflow(mlflow_server, rendered):
    import importlib.metadata
    import tomllib

    from mlstack.catalog import load_catalog

    pinned = load_catalog().versions.mlflow
    container = rendered.get("Deployment", "mlflow", "mlflow")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"ghcr.io/mlflow/mlflow:v{pinned}-full"
    assert importlib.metadata.version("mlflow") == pinned
    test_extra = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert f"mlflow[auth]=={pinned}" in test_extra
    env = proc_environ(mlflow_server["MLSTACK_MLFLOW_PID"])
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    # No job runner: the server's process group holds the server, uvicorn's supervisor and its workers only.
    group = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _pgid(p) == int(mlflow_server["MLSTACK_MLFLOW_PID"])]
    assert not [p for p in group if "_job_runner" in (p / "cmdline").read_bytes().decode(errors="replace")]


def _pgid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
    except (OSError, IndexError, ValueError):
        return -1


def test_the_migrations_job_migrated_and_the_server_did_not(mlflow_server):
    """The Job (run first, as Pulumi does) created both schemas and the admin; the server found them ready,
    so replicas starting together have nothing to race on."""
    migrate = Path(mlflow_server["MLSTACK_MLFLOW_MIGRATE_LOG"]).read_text()
    assert "== migrate-tracking: exit 0" in migrate and "== migrate-auth: exit 0" in migrate
    assert "Creating initial MLflow database tables" in migrate
    assert "Created admin user 'admin'" in migrate
    server = Path(mlflow_server["MLSTACK_MLFLOW_LOG"]).read_text()
    assert "Creating initial MLflow database tables" not in server
    assert "Created admin user" not in server
