"""`mlstack model promote` offline: its command line, credentials and error texts (the copy itself runs against
two real MLflow servers in tests/real_services/test_model_promote.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mlstack.cli import main
from mlstack.engine.deploy.model_endpoint import Endpoint, _error, endpoint
from mlstack.engine.deploy.model_promote import _refuse_foreign, lineage, logged_model_id
from mlstack.errors import EngineError, UsageError

SRC = Endpoint("onprem", "http://127.0.0.1:5000", "research", "s3cret-a")
DST = Endpoint("prod", "http://127.0.0.1:5001", "research", "s3cret-b")


def test_missing_credentials_are_a_usage_error_naming_the_variables(monkeypatch, capsys):
    for var in ("URI", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"MLSTACK_MLFLOW_{var}_ONPREM", raising=False)
    code = main(["model", "promote", "m", "--version", "1", "--from", "onprem", "--to", "prod"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no MLflow credentials for environment 'onprem': set MLSTACK_MLFLOW_URI_ONPREM, "
                          "MLSTACK_MLFLOW_USERNAME_ONPREM, MLSTACK_MLFLOW_PASSWORD_ONPREM (the URI of its MLflow")


def test_the_commands_own_version_option_is_not_the_global_version_flag(monkeypatch, capsys):
    """`--version` after `model promote` is the model's version, not `mlstack --version`."""
    code = main(["model", "promote", "m", "--version", "1", "--from", "prod", "--to", "prod"])
    out = capsys.readouterr()
    assert code == 2 and "mlstack 0." not in out.out
    assert out.err == "error: --from and --to are both 'prod': name two environments\n"
    assert main(["plan", "--version"]) == 0 and capsys.readouterr().out.startswith("mlstack ")


def test_an_environment_is_a_name_not_a_path(capsys):
    assert main(["model", "promote", "m", "--version", "1", "--from", "../x", "--to", "prod"]) == 2
    assert "--from" in capsys.readouterr().err


def test_endpoint_reads_the_environments_variables_and_hides_the_password():
    env = {"MLSTACK_MLFLOW_URI_GCP_STAGING": "http://127.0.0.1:5000/", "MLSTACK_MLFLOW_USERNAME_GCP_STAGING": "applied",
           "MLSTACK_MLFLOW_PASSWORD_GCP_STAGING": "pw-123"}  # fmt: skip
    ep = endpoint("gcp-staging", env)
    assert (ep.env, ep.uri, ep.username, ep.password) == ("gcp-staging", "http://127.0.0.1:5000", "applied", "pw-123")
    assert "pw-123" not in repr(ep)


def test_server_refusals_become_usage_errors_that_say_what_to_check():
    e401 = _error(DST, "looking up 'm'", "UNAUTHENTICATED", "API request failed with error code 401 != 200")
    assert isinstance(e401, UsageError)
    assert str(e401) == ("prod: http://127.0.0.1:5001 refused user 'research' (HTTP 401) while looking up 'm': check "
                         "MLSTACK_MLFLOW_USERNAME_PROD and MLSTACK_MLFLOW_PASSWORD_PROD (a team's Secret "
                         "mlflow-<team> in that environment)")
    e403 = _error(DST, "copying 'm' version 1 as 'm'", "PERMISSION_DENIED", "Permission denied")
    assert isinstance(e403, UsageError) and "user 'research' may not do this at http://127.0.0.1:5001 (HTTP 403)" in str(e403)
    other = _error(SRC, "reading 'm' version 1", "INTERNAL_ERROR", "boom\ndetail")
    assert isinstance(other, EngineError) and not isinstance(other, UsageError)
    assert str(other) == "onprem: MLflow at http://127.0.0.1:5000 failed while reading 'm' version 1: boom"


def test_the_logged_model_of_a_version_from_its_source_when_the_api_leaves_model_id_empty():
    assert logged_model_id(SimpleNamespace(model_id=None, source="models:/m-0123abcd")) == "m-0123abcd"
    assert logged_model_id(SimpleNamespace(model_id="m-ff", source="runs:/r/model")) == "m-ff"
    assert logged_model_id(SimpleNamespace(model_id=None, source="runs:/r/model")) is None
    assert logged_model_id(SimpleNamespace(model_id=None, source="models:/ranker/3")) is None


def _version(number: str, tags: dict[str, str]):
    return SimpleNamespace(version=number, tags=tags)


def test_a_name_holding_versions_from_elsewhere_is_refused_with_the_way_out():
    ours = lineage(SRC, "r1", "1", "m-1")
    _refuse_foreign([_version("1", ours)], "ranker", SRC, DST)  # only copies from onprem: fine
    other = {**ours, "mlstack.promoted_from.env": "staging"}
    with pytest.raises(UsageError) as caught:
        _refuse_foreign([_version("3", {}), _version("1", ours), _version("2", other)], "ranker", SRC, DST)
    assert str(caught.value) == (
        "prod already has registered model 'ranker' with versions that are not copies from onprem: version 2 "
        "(promoted from staging), version 3 (registered there). Refusing to mix two models under one name. Promote "
        "under another name (--as ranker-onprem), or promote from the environment those versions came from."
    )


def test_lineage_names_the_source_and_leaves_out_an_absent_logged_model():
    assert lineage(SRC, "r1", "4", None) == {
        "mlstack.promoted_from.env": "onprem", "mlstack.promoted_from.tracking_uri": "http://127.0.0.1:5000",
        "mlstack.promoted_from.run_id": "r1", "mlstack.promoted_from.model_version": "4",
    }
