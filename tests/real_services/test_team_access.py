"""Per-team MLflow users, from the Secrets the platform layer renders into each team's namespace, on the real server."""

from __future__ import annotations

import uuid

import pytest

from .conftest import Api

pytestmark = pytest.mark.real_services


def team_api(mlflow_server, rendered, team: str) -> Api:
    secret = rendered.secret_data(team, f"mlflow-{team}")
    assert secret["username"] == team
    assert secret["tracking-uri"] == "http://mlflow.mlflow.svc.cluster.local:5000"
    return Api(mlflow_server["MLFLOW_TRACKING_URI"], (secret["username"], secret["password"]))


def test_every_team_gets_its_own_user_and_none_is_an_admin(mlflow_server, rendered, admin_api):
    for team in ("applied", "research"):
        api = team_api(mlflow_server, rendered, team)
        assert api.get("experiments/search", max_results=1).status_code == 200
        user = admin_api.get("users/get", username=team).json()["user"]
        assert user["is_admin"] is False
    assert rendered.secret_data("research", "mlflow-research")["password"] != rendered.secret_data("applied", "mlflow-applied")["password"]


def test_a_team_writes_its_own_and_only_reads_another_teams(mlflow_server, rendered):
    research, applied = team_api(mlflow_server, rendered, "research"), team_api(mlflow_server, rendered, "applied")
    tag = uuid.uuid4().hex[:8]
    experiment = research.post("experiments/create", {"name": f"research-ranking-{tag}"})
    assert experiment.status_code == 200, experiment.text
    experiment_id = experiment.json()["experiment_id"]
    run = research.post("runs/create", {"experiment_id": experiment_id})
    assert run.status_code == 200, run.text
    model = f"ranker-{tag}"
    assert research.post("registered-models/create", {"name": model}).status_code == 200
    assert research.patch("registered-models/update", {"name": model, "description": "research's"}).status_code == 200

    # The other team reads (default permission READ) but cannot write, rename or delete research's things.
    assert applied.get("experiments/get", experiment_id=experiment_id).status_code == 200
    assert applied.get("registered-models/get", name=model).status_code == 200
    assert applied.post("runs/create", {"experiment_id": experiment_id}).status_code == 403
    assert applied.patch("registered-models/update", {"name": model, "description": "applied was here"}).status_code == 403
    assert applied.post("registered-models/rename", {"name": model, "new_name": f"{model}-x"}).status_code == 403
    deleted = applied.post("registered-models/delete", {"name": model})  # DELETE in the API; POST is refused too
    assert deleted.status_code in (403, 405)
    assert research.get("registered-models/get", name=model).json()["registered_model"]["description"] == "research's"
    # And it writes its own.
    own = applied.post("experiments/create", {"name": f"applied-forecast-{tag}"})
    assert own.status_code == 200, own.text


def test_the_verify_job_logs_in_as_its_own_user_not_the_admin(rendered, admin_api):
    creds = rendered.secret_data("mlstack-system", "mlstack-verify-mlflow")
    assert creds["username"] == "mlstack-verify"
    assert creds["password"] != admin_api.auth[1]
    assert admin_api.get("users/get", username="mlstack-verify").json()["user"]["is_admin"] is False
