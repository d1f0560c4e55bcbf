"""``python -m real_services.launch mlflow start|stop [NAME]`` (run by ``.ci/services/mlflow.sh``).

Starts the MLflow server exactly as the platform layer renders its Deployment (``rendered.py``), on the
PostgreSQL and S3 services already running (their ``.env`` files in the services directory): a database and
login role of its own, a bucket of its own, then the Deployment's container as a local process on a free
loopback port. Writes ``<NAME>.env`` (default NAME ``mlflow``): ``MLFLOW_TRACKING_URI``, the admin's
credentials from the rendered ``mlflow-admin`` Secret and the path of the render (``render.json``, secrets
included, mode 600) for tests that need other rendered objects.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .localpod import materialise
from .rendered import Rendered, platform_program, render

SERVICES_DIR = Path(os.environ.get("MLSTACK_SERVICES_DIR", "/tmp/mlstack-services"))
HEALTH_TIMEOUT_S = 180.0


def read_env(name: str, services_dir: Path = SERVICES_DIR) -> dict[str, str]:
    """A service's connection file as a dict (``KEY=VALUE`` lines)."""
    path = services_dir / f"{name}.env"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: start it first (.ci/services/{name}.sh start)")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def write_env(name: str, values: dict[str, str], services_dir: Path = SERVICES_DIR) -> None:
    tmp = services_dir / f".{name}.env.tmp"
    tmp.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    tmp.chmod(0o600)
    tmp.replace(services_dir / f"{name}.env")


def save_render(rendered: Rendered, path: Path) -> None:
    path.write_text(json.dumps({"/".join(k): v for k, v in sorted(rendered.objects.items())}, sort_keys=True))
    path.chmod(0o600)


def load_render(path: Path) -> Rendered:
    data: dict[str, Any] = json.loads(path.read_text())
    return Rendered({tuple(k.split("/", 2)): v for k, v in data.items()})  # type: ignore[misc]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc, log: Path, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; log:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"no 200 from {url}/health within {timeout_s:g} s; log:\n{log.read_text()[-4000:]}")


def create_database(admin_uri: str, name: str) -> str:
    """A fresh database and login role ``name`` (what RDS, Cloud SQL and CloudNativePG give MLflow)."""
    import psycopg
    from psycopg import sql

    password = secrets.token_hex(16)
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
    return password


def drop_database(admin_uri: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_uri, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def s3_client(s3: dict[str, str], service: str = "s3"):
    """A boto3 client of the moto server (``s3`` or another service it serves)."""
    import boto3

    return boto3.client(
        service, endpoint_url=s3["MLSTACK_S3_ENDPOINT_URL"], region_name=s3["AWS_DEFAULT_REGION"],
        aws_access_key_id=s3["AWS_ACCESS_KEY_ID"], aws_secret_access_key=s3["AWS_SECRET_ACCESS_KEY"],
    )  # fmt: skip


def start(name: str, *, db_secret: bool = False) -> dict[str, str]:
    """Starts MLflow instance ``name``.

    With ``db_secret`` the database is bound as on AWS: the URI has no password, and the password lives in a
    Secrets Manager secret (the moto server's) that the pod's start-up hook reads, as RDS manages it.
    """
    pg, s3 = read_env("postgres"), read_env("s3")
    work = SERVICES_DIR / name
    work.mkdir(parents=True, exist_ok=True)
    db = name.replace("-", "_")
    password = create_database(pg["MLSTACK_POSTGRES_URI"], db)
    bucket = f"mlstack-{name}"
    s3_client(s3).create_bucket(Bucket=bucket)
    mlflow_env = {"MLFLOW_S3_ENDPOINT_URL": s3["MLSTACK_S3_ENDPOINT_URL"]}
    extra_env = {"AWS_DEFAULT_REGION": s3["AWS_DEFAULT_REGION"]}
    secret_arn = ""
    hooks: dict[str, str] = {}
    if db_secret:
        from mlstack.components.aws.db_credentials_hook import PYTHON_HOOKS
        from mlstack.targets.aws.mapping import db_credentials_env

        secret_arn = s3_client(s3, "secretsmanager").create_secret(
            Name=f"rds!{name}", SecretString=json.dumps({"username": db, "password": password})
        )["ARN"]
        mlflow_env.update(db_credentials_env(secret_arn, s3["AWS_DEFAULT_REGION"]))
        hooks = dict(PYTHON_HOOKS)
        # What IRSA and the VPC endpoint are in the cloud: credentials and an endpoint for Secrets Manager.
        extra_env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = s3["MLSTACK_S3_ENDPOINT_URL"]
        database_uri = f"postgresql://{db}@127.0.0.1:{pg['PGPORT']}/{db}"
    else:
        database_uri = f"postgresql://{db}:{password}@127.0.0.1:{pg['PGPORT']}/{db}"
    rendered = render(
        platform_program(
            database_uri=database_uri,
            artifacts_uri=f"s3://{bucket}/mlflow",
            mlflow_env=mlflow_env,
            mlflow_secret_env={k: s3[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")},
            mlflow_python_hooks=hooks,
        )
    )
    save_render(rendered, work / "render.json")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    pod = materialise(
        rendered, rendered.get("Deployment", "mlflow", "mlflow"), work / "pod",
        flags={"--host": "127.0.0.1", "--port": str(port)},
        extra_env=extra_env,
    )  # fmt: skip
    log = work / "server.log"
    proc = pod.start(log)
    (work / "pid").write_text(str(proc.pid))
    try:
        wait_healthy(url, proc, log)
    except Exception:
        stop(name)
        raise
    admin = rendered.secret_data("mlflow", "mlflow-admin")
    values = {
        "MLFLOW_TRACKING_URI": url,
        "MLSTACK_MLFLOW_ADMIN_USERNAME": admin["username"],
        "MLSTACK_MLFLOW_ADMIN_PASSWORD": admin["password"],
        "MLSTACK_MLFLOW_RENDER": str(work / "render.json"),
        "MLSTACK_MLFLOW_BUCKET": bucket,
        "MLSTACK_MLFLOW_DATABASE": db,
        "MLSTACK_MLFLOW_LOG": str(log),
        "MLSTACK_MLFLOW_PID": str(proc.pid),
        "MLSTACK_MLFLOW_DB_SECRET_ARN": secret_arn,
    }
    write_env(name, values)
    return values


def stop(name: str) -> None:
    work = SERVICES_DIR / name
    pid_file = work / "pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
            for _ in range(40):
                os.killpg(pid, 0)
                time.sleep(0.25)
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid_file.unlink()
    try:
        drop_database(read_env("postgres")["MLSTACK_POSTGRES_URI"], name.replace("-", "_"))
    except Exception:  # noqa: BLE001 - postgres may be stopped already; its data goes with it
        pass
    (SERVICES_DIR / f"{name}.env").unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    db_secret = "--db-secret" in argv
    argv = [a for a in argv if a != "--db-secret"]
    if len(argv) not in (2, 3) or argv[0] != "mlflow" or argv[1] not in ("start", "stop"):
        print("usage: python -m real_services.launch mlflow start|stop [NAME] [--db-secret]", file=sys.stderr)
        return 2
    name = argv[2] if len(argv) == 3 else "mlflow"
    if argv[1] == "start":
        values = start(name, db_secret=db_secret)
        print(f"[services] {name}: MLflow at {values['MLFLOW_TRACKING_URI']}", file=sys.stderr)
    else:
        stop(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
