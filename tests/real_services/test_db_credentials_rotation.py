"""The AWS database credentials hook, live: MLflow keeps serving across a password rotation, no restart.

The server is bound as on AWS (``mlflow.sh start mlflow-rds --db-secret``): its database URI carries no
password and the pod's ``sitecustomize.py`` hook reads it from a Secrets Manager secret (moto's). The test
rotates the role's password the way RDS does (new password on the role, then in the secret), drops the
server's open connections, and the next requests succeed on new connections with the new password.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from .conftest import Api
from .launch import load_render, s3_client

pytestmark = pytest.mark.real_services


@pytest.fixture(scope="module")
def rds_server(services):
    return services.get("mlflow-rds", "--db-secret")


def server_connections(admin_uri: str, role: str) -> int:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)).fetchone()[0]


def test_the_rendered_pod_reads_the_password_from_the_secret(rds_server):
    rendered = load_render(Path(rds_server["MLSTACK_MLFLOW_RENDER"]))
    config = rendered.secret_data("mlflow", "mlflow-config")
    role = rds_server["MLSTACK_MLFLOW_DATABASE"]
    assert config["backend-store-uri"].startswith(f"postgresql://{role}@127.0.0.1:")  # no password in it
    env = {e["name"]: e.get("value") for e in rendered.get("Deployment", "mlflow", "mlflow")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLSTACK_DB_SECRET_ARN"] == rds_server["MLSTACK_MLFLOW_DB_SECRET_ARN"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    from mlstack.components.aws.db_credentials_hook import SITECUSTOMIZE
    from mlstack.components.k8s.tracking_audit import FILES

    # The AWS hook beside the audit app every target's MLflow runs (ConfigMap keys: paths with "/" as ".").
    assert rendered.config_map_data("mlflow", "mlflow-python") == {
        "sitecustomize.py": SITECUSTOMIZE, **{path.replace("/", "."): text for path, text in FILES.items()}}
    running = dict(
        item.split("=", 1) for item in Path(f"/proc/{rds_server['MLSTACK_MLFLOW_PID']}/environ").read_bytes().decode().rstrip("\0").split("\0")
    )
    assert (Path(running["PYTHONPATH"]) / "sitecustomize.py").read_text() == SITECUSTOMIZE


def test_a_live_password_rotation_needs_no_restart(rds_server, services):
    pg = services.get("postgres")
    role = rds_server["MLSTACK_MLFLOW_DATABASE"]
    api = Api(rds_server["MLFLOW_TRACKING_URI"], (rds_server["MLSTACK_MLFLOW_ADMIN_USERNAME"], rds_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"]))
    before = api.post("experiments/create", {"name": f"before-{uuid.uuid4().hex[:6]}"})
    assert before.status_code == 200, before.text
    assert server_connections(pg["MLSTACK_POSTGRES_URI"], role) > 0

    new_password = secrets.token_hex(16)
    with psycopg.connect(pg["MLSTACK_POSTGRES_URI"], autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(new_password)))
        s3_client(services.get("s3"), "secretsmanager").put_secret_value(
            SecretId=rds_server["MLSTACK_MLFLOW_DB_SECRET_ARN"], SecretString=json.dumps({"username": role, "password": new_password})
        )
        # Connections opened before a rotation stay open in Postgres; drop them so every later request needs
        # a new one, authenticated with the password the hook reads now.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
    deadline = time.monotonic() + 30
    while server_connections(pg["MLSTACK_POSTGRES_URI"], role) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server_connections(pg["MLSTACK_POSTGRES_URI"], role) == 0

    for i in range(5):
        after = api.post("experiments/create", {"name": f"after-{i}-{uuid.uuid4().hex[:6]}"})
        assert after.status_code == 200, after.text
    assert api.get("experiments/get", experiment_id=before.json()["experiment_id"]).status_code == 200
    assert server_connections(pg["MLSTACK_POSTGRES_URI"], role) > 0
    # The same server process served before and after: nothing restarted.
    assert Path(f"/proc/{rds_server['MLSTACK_MLFLOW_PID']}").exists()
