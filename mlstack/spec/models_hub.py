"""The keepers of the hub's own MLflow passwords (``tracking.password_rotation``): the admin's and the
verification Job's user's. A team's is ``teams.<team>.mlflow_password_rotation``. Re-exported by
``mlstack.spec.models``; ``mlstack hub rotate-credentials --user admin|verify`` raises them (docs/hub.md)."""

from __future__ import annotations

from pydantic import Field

from mlstack.spec.model_base import Model


class PasswordRotation(Model):
    """Counters, each the keeper of one generated password: raising one gives that user a new password on the next up."""

    admin: int = Field(
        0, ge=0, le=1_000_000,
        description="The MLflow admin's password: its Secret mlflow-admin, MLflow's basic_auth.ini and the admin "
        "user (set by the migrations Job) change, the old password is refused. 0: the password generated first.",
        examples=[1],
    )
    verify: int = Field(
        0, ge=0, le=1_000_000,
        description="The verification Job's MLflow user (mlstack-verify): its Secret mlstack-verify-mlflow and the "
        "MLflow user change, the old password is refused. 0: the password generated first.", examples=[1],
    )
