"""The MLflow pod's start-up hook on AWS: the current RDS-managed password whenever SQLAlchemy connects.

:class:`~.tracking_database.TrackingDatabase` lets RDS generate and rotate the master password in Secrets
Manager (``manage_master_user_password``), so the backend store URI carries no password. The cloud-neutral
MLflow pod (:class:`mlstack.components.k8s.tracking_server.TrackingServer`) takes Python start-up modules as
a generic input (``python_hooks``); the AWS target passes :data:`PYTHON_HOOKS` there and the secret's ARN in
the environment variable :data:`SECRET_ARN_ENV`. A rotation then needs no redeploy, and the password is in
neither Pulumi state nor a Kubernetes Secret.
"""

from __future__ import annotations

SECRET_ARN_ENV = "MLSTACK_DB_SECRET_ARN"

# Imported by every Python process of the pod (it is on PYTHONPATH as sitecustomize), the server's gunicorn
# workers included. It caches the password for 15 minutes and, when the server refuses a cached one (a
# rotation happened), reads the secret again once. Without the variable it does nothing.
SITECUSTOMIZE = """\
import os

_ARN = os.environ.get("@SECRET_ARN_ENV@")
if _ARN:
    import json
    import time

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _cache = {"password": None, "at": 0.0}

    def _password(fresh=False):
        if fresh or _cache["password"] is None or time.time() - _cache["at"] > 900:
            import boto3

            # The secret's own region (its ARN's fourth field) unless the environment names one.
            region = os.environ.get("AWS_REGION") or _ARN.split(":")[3]
            secret = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=_ARN)
            _cache.update(password=json.loads(secret["SecretString"])["password"], at=time.time())
        return _cache["password"]

    @event.listens_for(Engine, "do_connect")
    def _connect(dialect, conn_rec, cargs, cparams):
        try:
            return dialect.connect(*cargs, **{**cparams, "password": _password()})
        except dialect.dbapi.OperationalError:
            return dialect.connect(*cargs, **{**cparams, "password": _password(fresh=True)})
""".replace("@SECRET_ARN_ENV@", SECRET_ARN_ENV)

# File name -> source, for TrackingServerArgs.python_hooks.
PYTHON_HOOKS: dict[str, str] = {"sitecustomize.py": SITECUSTOMIZE}
