"""The MLflow pod's start-up hook: the current database password at every connect, one retry after rotation."""

from __future__ import annotations

import json
import sys
import types

import pytest

from mlstack.components.aws.db_credentials_hook import SITECUSTOMIZE


class OperationalError(Exception):
    pass


@pytest.fixture
def hook(monkeypatch):
    """Runs the hook with fake sqlalchemy and boto3 modules; returns (connect listener, secret store)."""
    listeners = {}
    event = types.SimpleNamespace(listens_for=lambda target, name: lambda fn: listeners.setdefault(name, fn))
    sqlalchemy = types.ModuleType("sqlalchemy")
    sqlalchemy.event = event  # type: ignore[attr-defined]
    engine_mod = types.ModuleType("sqlalchemy.engine")
    engine_mod.Engine = object  # type: ignore[attr-defined]
    store = {"password": "first", "reads": 0}

    class Client:
        def get_secret_value(self, SecretId):  # noqa: N803 - boto3's argument name
            assert SecretId == "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-1"
            store["reads"] += 1
            return {"SecretString": json.dumps({"username": "mlflow", "password": store["password"]})}

    boto3 = types.ModuleType("boto3")
    def client(service, region_name):
        # No AWS_REGION in the environment: the hook takes the secret's region from its ARN.
        assert (service, region_name) == ("secretsmanager", "us-west-2")
        return Client()

    boto3.client = client  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sqlalchemy", sqlalchemy)
    monkeypatch.setitem(sys.modules, "sqlalchemy.engine", engine_mod)
    monkeypatch.setitem(sys.modules, "boto3", boto3)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("MLSTACK_DB_SECRET_ARN", "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-1")
    exec(compile(SITECUSTOMIZE, "sitecustomize.py", "exec"), {})  # noqa: S102 - the hook under test
    return listeners["do_connect"], store


class Dialect:
    """Accepts only the password the server currently has."""

    dbapi = types.SimpleNamespace(OperationalError=OperationalError)

    def __init__(self, store):
        self.store, self.seen = store, []

    def connect(self, *cargs, **cparams):
        self.seen.append(cparams["password"])
        if cparams["password"] != self.store["password"]:
            raise OperationalError("password authentication failed")
        return ("connection", cparams["host"])


def test_connects_with_the_secret_password(hook):
    connect, store = hook
    dialect = Dialect(store)
    assert connect(dialect, None, (), {"host": "db", "user": "mlflow"}) == ("connection", "db")
    assert connect(dialect, None, (), {"host": "db", "user": "mlflow"}) == ("connection", "db")
    assert dialect.seen == ["first", "first"] and store["reads"] == 1  # cached between connects


def test_a_rotated_password_is_read_again_once(hook):
    connect, store = hook
    dialect = Dialect(store)
    connect(dialect, None, (), {"host": "db"})
    store["password"] = "rotated"
    assert connect(dialect, None, (), {"host": "db"}) == ("connection", "db")
    assert dialect.seen == ["first", "first", "rotated"] and store["reads"] == 2


def test_without_a_secret_the_hook_does_nothing(monkeypatch):
    monkeypatch.delenv("MLSTACK_DB_SECRET_ARN", raising=False)
    namespace: dict = {}
    exec(compile(SITECUSTOMIZE, "sitecustomize.py", "exec"), namespace)  # noqa: S102
    assert "_connect" not in namespace
