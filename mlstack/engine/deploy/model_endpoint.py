"""An environment's MLflow as a client reaches it: URI and credentials from the environment variables, and
MLflow's client errors turned into mlstack's (what failed, on which environment, and the way out).

Each environment is reached at ``MLSTACK_MLFLOW_URI_<ENV>`` as ``MLSTACK_MLFLOW_USERNAME_<ENV>`` with
``MLSTACK_MLFLOW_PASSWORD_<ENV>`` (``<ENV>`` upper-cased, ``-`` as ``_``), e.g. through
``kubectl -n mlflow port-forward svc/mlflow 5000`` and a team's Secret ``mlflow-<team>``. A password is never
part of a message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from mlstack.errors import EngineError, UsageError

# MLflow's client retries a failed request 7 times with exponential back-off (minutes against a stopped
# port-forward); a command line answers sooner. A value the user sets wins.
RETRIES = "2"
_KEYS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
         "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT")


@dataclass(frozen=True)
class Endpoint:
    """One environment's MLflow server and the user mlstack acts as there."""

    env: str
    uri: str
    username: str
    password: str = field(repr=False)


def variables(env: str) -> tuple[str, str, str]:
    key = env.upper().replace("-", "_")
    return tuple(f"MLSTACK_MLFLOW_{part}_{key}" for part in ("URI", "USERNAME", "PASSWORD"))  # type: ignore[return-value]


def endpoint(env: str, environ: Mapping[str, str] = os.environ) -> Endpoint:
    """An environment's MLflow from ``MLSTACK_MLFLOW_{URI,USERNAME,PASSWORD}_<ENV>``.

    Raises:
        UsageError: one of them is not set (names the variables and where the values come from).
    """
    names = variables(env)
    missing = [n for n in names if not environ.get(n)]
    if missing:
        raise UsageError(
            f"no MLflow credentials for environment {env!r}: set {', '.join(missing)} (the URI of its MLflow, e.g. "
            "http://127.0.0.1:5000 after `kubectl -n mlflow port-forward svc/mlflow 5000:5000`, and a user from "
            "its Secret mlflow-<team>: `kubectl -n <team> get secret mlflow-<team> -o jsonpath='{.data.password}' "
            "| base64 -d`)"
        )
    uri, username, password = (environ[n] for n in names)
    return Endpoint(env, uri.rstrip("/"), username, password)


@contextmanager
def on(ep: Endpoint, action: str) -> Iterator[None]:
    """Runs MLflow client calls as ``ep``'s user; their failures become located mlstack errors.

    MLflow's client reads its credentials from the process environment at each request, so they are set for
    the block and restored after it (mlstack's commands run one request at a time).

    Raises:
        UsageError: the server refused the credentials (401) or the permission (403).
        EngineError: any other failure of the server or the connection.
    """
    from mlflow.exceptions import MlflowException

    saved = {k: os.environ.get(k) for k in _KEYS}
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)  # a token would be sent instead of this side's user
    os.environ.update(MLFLOW_TRACKING_USERNAME=ep.username, MLFLOW_TRACKING_PASSWORD=ep.password)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", RETRIES)
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"  # stdout is mlstack's (--format json)
    try:
        yield
    except MlflowException as exc:
        raise _error(ep, action, exc.error_code, exc.message) from None
    except OSError as exc:  # requests' connection errors are OSErrors
        raise EngineError(f"{ep.env}: cannot reach MLflow at {ep.uri} while {action} ({type(exc).__name__}): "
                          f"check {variables(ep.env)[0]} and the port-forward") from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _error(ep: Endpoint, action: str, code: str, message: str) -> Exception:
    _, user_var, password_var = variables(ep.env)
    if code == "UNAUTHENTICATED" or " 401 " in message:
        return UsageError(f"{ep.env}: {ep.uri} refused user {ep.username!r} (HTTP 401) while {action}: check "
                          f"{user_var} and {password_var} (a team's Secret mlflow-<team> in that environment)")
    if code == "PERMISSION_DENIED" or " 403 " in message:
        return UsageError(f"{ep.env}: user {ep.username!r} may not do this at {ep.uri} (HTTP 403) while {action}: "
                          "use the user of the team that owns the model (its Secret mlflow-<team>), or ask an "
                          "MLflow admin to grant it EDIT on the registered model")
    first = message.strip().splitlines()[0] if message.strip() else code
    return EngineError(f"{ep.env}: MLflow at {ep.uri} failed while {action}: {first[:300]}")
