"""The MLflow schema migrations as a Job that runs once, before any server pod starts.

Every MLflow server process migrates on start when it finds an empty or old schema: the tracking tables
(``mlflow db upgrade``) and the auth tables with the admin user (``mlflow.server.auth``). Two replicas, or
two workers, starting together on an empty database race on the same Alembic revision, and one dies (seen
in one start of three). So the TrackingServer runs both migrations in this Job, and its Deployment depends on
it: Pulumi waits for the Job to complete before it creates or updates the Deployment, and a server then finds
the schema at head and the admin present, and migrates nothing.

The Job's name carries a hash of the image, the users and their password rotations (the admin's too): a new
MLflow version is a new Job, run before the new pods; a rotated password is a new Job that sets it on the
MLflow user (the admin's from ``basic_auth.ini``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pulumi
import pulumi_kubernetes as k8s

from . import hardening as h
from .tracking_pod import NAME, server_env, server_volumes

if TYPE_CHECKING:
    from .tracking_server import TrackingServerArgs

# `mlflow db upgrade <url>` (creates the tables on an empty database), the URL from the environment: never in
# argv, where any process listing would show the password.
TRACKING_MIGRATION = "import os; from mlflow.db import upgrade; upgrade.main([os.environ['MLFLOW_BACKEND_STORE_URI']])"
# The auth schema and the admin user, as the server's own start does it (reads MLFLOW_AUTH_CONFIG_PATH). MLflow
# only creates a missing admin, so the admin's password is then set from the same file when it no longer
# matches (a rotation). Then every non-admin user of USERS_ENV (a JSON object user -> password, from the
# config Secret) is created, or its password set, so a changed password takes effect when the Job runs.
USERS_ENV = "MLSTACK_MLFLOW_USERS"
AUTH_MIGRATION = f"""\
import json, os
from mlflow.server.auth import auth_config, bootstrap_admin_user, store
bootstrap_admin_user()
if not store.authenticate_user(auth_config.admin_username, auth_config.admin_password, use_primary=True):
    store.update_user(auth_config.admin_username, password=auth_config.admin_password)
    print("updated MLflow admin", auth_config.admin_username)
for name, password in sorted(json.loads(os.environ.get("{USERS_ENV}") or "{{}}").items()):
    if store.has_user(name, use_primary=True):
        store.update_user(name, password=password)
        print("updated MLflow user", name)
    else:
        store.create_user(name, password)
        print("created MLflow user", name)
"""


def migrate_job_name(image: str, users: Sequence[str] = (), rotations: Mapping[str, int] | None = None) -> str:
    """``mlflow-migrate-<8 hex>`` of the image, the user names and their password rotations (those above 0): a
    new MLflow version, a new user or a rotated password is a new Job, which sets the passwords again."""
    key = "\n".join([image, *sorted(users), *(f"{u}@{n}" for u, n in sorted((rotations or {}).items()) if n > 0)])
    return f"{NAME}-migrate-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def migrate_job_spec(
    args: TrackingServerArgs, *, service_account: pulumi.Input[str], config_secret: pulumi.Input[str], env_secret: str | None
) -> k8s.batch.v1.JobSpecArgs:
    """Tracking schema (init container ``migrate-tracking``), then auth schema and admin (``migrate-auth``)."""
    volumes, mounts = server_volumes(args, config_secret)
    env = server_env(args, config_secret, env_secret)
    auth_env = [*env, h.secret_env_var(USERS_ENV, config_secret, "users.json")] if args.users else env

    def container(name: str, command: list[str], container_env: list[k8s.core.v1.EnvVarArgs]) -> k8s.core.v1.ContainerArgs:
        return k8s.core.v1.ContainerArgs(
            name=name,
            image=args.image,
            command=command,
            env=container_env,
            resources=h.resources(args.cpu, args.memory, args.cpu_limit, args.memory_limit),
            security_context=h.container_security_context(),
            volume_mounts=mounts,
        )

    return k8s.batch.v1.JobSpecArgs(
        backoff_limit=3,
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=h.MLSTACK_LABELS(NAME, "migrate")),
            spec=k8s.core.v1.PodSpecArgs(
                restart_policy="Never",
                service_account_name=service_account,
                automount_service_account_token=False,
                security_context=h.pod_security_context(),
                init_containers=[container("migrate-tracking", ["python", "-c", TRACKING_MIGRATION], env)],
                containers=[container("migrate-auth", ["python", "-c", AUTH_MIGRATION], auth_env)],
                volumes=volumes,
            ),
        ),
    )
