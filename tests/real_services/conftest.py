"""Fixtures of the real-services tests: the MLflow server of ``.ci/services/mlflow.sh`` and its render."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from .launch import load_render
from .rendered import Rendered


@pytest.fixture(scope="session")
def mlflow_server(services) -> dict[str, str]:
    """Connection info of the MLflow server (``mlflow.env``)."""
    return services.get("mlflow")


@pytest.fixture(scope="session")
def rendered(mlflow_server) -> Rendered:
    """The platform layer's objects that server was launched from (secrets included)."""
    return load_render(Path(mlflow_server["MLSTACK_MLFLOW_RENDER"]))


class Api:
    """MLflow's REST API as one user (``auth=None``: anonymous)."""

    def __init__(self, url: str, auth: tuple[str, str] | None) -> None:
        self.url, self.auth = url, auth

    def get(self, path: str, **params) -> requests.Response:
        return requests.get(f"{self.url}/api/2.0/mlflow/{path}", params=params, auth=self.auth, timeout=30)

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(f"{self.url}/api/2.0/mlflow/{path}", json=body, auth=self.auth, timeout=30)

    def patch(self, path: str, body: dict) -> requests.Response:
        return requests.patch(f"{self.url}/api/2.0/mlflow/{path}", json=body, auth=self.auth, timeout=30)


@pytest.fixture(scope="session")
def admin_api(mlflow_server) -> Api:
    return Api(mlflow_server["MLFLOW_TRACKING_URI"], (mlflow_server["MLSTACK_MLFLOW_ADMIN_USERNAME"], mlflow_server["MLSTACK_MLFLOW_ADMIN_PASSWORD"]))
