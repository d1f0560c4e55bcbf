"""The MLflow server's pod spec and configuration file, for :mod:`.tracking_server`.

Kept apart so each module stays short; :class:`~.tracking_server.TrackingServer` is the only user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_kubernetes as k8s

from . import hardening as h
from . import tracking_audit

if TYPE_CHECKING:  # the Args type only: tracking_server imports this module
    from .tracking_server import TrackingServerArgs

NAME = "mlflow"
PORT = 5000
PYTHON_HOOKS = "mlflow-python"  # ConfigMap: the audit app and the target's Python start-up modules (hook_files)
HOOKS_PATH = "/opt/mlstack/python"
WORKER_HEALTHCHECK_TIMEOUT_S = 60

def _ini_value(value: str) -> str:
    # MLflow reads the file with configparser's default interpolation: a literal "%" must be "%%".
    return value.replace("%", "%%")


def render_auth_ini(database_uri: str, admin_username: str, admin_password: str, default_permission: str) -> str:
    """The basic-auth configuration file MLflow reads from ``MLFLOW_AUTH_CONFIG_PATH``."""
    return "\n".join(
        [
            "[mlflow]",
            f"default_permission = {default_permission}",
            f"database_uri = {_ini_value(database_uri)}",
            f"admin_username = {_ini_value(admin_username)}",
            f"admin_password = {_ini_value(admin_password)}",
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
            "",
        ]
    )


def auth_ini(
    database_uri: pulumi.Input[str], admin_username: str, admin_password: pulumi.Input[str], default_permission: str
) -> pulumi.Output[str]:
    """:func:`render_auth_ini` over outputs (a secret when its inputs are)."""
    return pulumi.Output.all(database_uri, admin_password).apply(
        lambda v: render_auth_ini(str(v[0]), admin_username, str(v[1]), default_permission)
    )


def allowed_hosts(args: TrackingServerArgs) -> list[str]:
    """``Host`` headers the server accepts: its Service's names, ``kubectl port-forward``, ``args.allowed_hosts``.

    MLflow's security middleware (3.5+) answers 403 "Invalid Host header" to any other name. Its default
    list is localhost and private IP addresses, so without this list every in-cluster client, which calls
    ``mlflow.mlflow.svc.cluster.local:5000``, is refused (found by the real-services stage). ``/health`` is
    not checked, so the probes work either way.
    """
    ns = args.namespace
    names = [f"{NAME}.{ns}.svc.cluster.local", f"{NAME}.{ns}.svc", f"{NAME}.{ns}", NAME]
    return [*(f"{n}:{PORT}" for n in names), *names, "localhost:*", "127.0.0.1:*", *args.allowed_hosts]


def hook_files(args: TrackingServerArgs) -> dict[str, str]:
    """Files of the ConfigMap ``mlflow-python`` (path under ``PYTHONPATH`` -> text): mlstack's audit app
    (:mod:`.tracking_audit`, on every target) and the target's start-up modules (``args.python_hooks``)."""
    return dict(sorted({**tracking_audit.FILES, **args.python_hooks}.items()))


def hook_key(path: str) -> str:
    """A file's ConfigMap key: its path with ``/`` as ``.`` (keys cannot hold ``/``; the volume's items map back)."""
    return path.replace("/", ".")


def server_command(args: TrackingServerArgs) -> list[pulumi.Input[str]]:
    """``mlflow server`` and its flags; the backend store URI comes from the environment, never argv.

    ``--timeout-worker-healthcheck``: uvicorn kills a worker that does not answer its supervisor within 5 s
    by default, and a worker importing MLflow on a throttled CPU takes longer, so the pod can restart its
    workers in a loop at start (seen on this project's 2-core CI machine under load); 60 s is ample.
    ``--app-name mlstack-audit``: MLflow's basic-auth app plus the audit lines of :mod:`.tracking_audit`.
    """
    return [
        "mlflow", "server",
        "--host", "0.0.0.0",
        "--port", str(PORT),
        "--workers", str(args.workers),
        "--app-name", tracking_audit.APP_NAME,
        "--serve-artifacts",
        "--artifacts-destination", args.artifacts_uri,
        "--allowed-hosts", ",".join(allowed_hosts(args)),
        "--uvicorn-opts", f"--timeout-worker-healthcheck {WORKER_HEALTHCHECK_TIMEOUT_S}",
    ]  # fmt: skip


def server_env(args: TrackingServerArgs, config_secret: pulumi.Input[str], env_secret: str | None) -> list[k8s.core.v1.EnvVarArgs]:
    """The environment of every MLflow container (server and migrations): store URI, auth file, target extras."""
    env = [
        h.secret_env_var("MLFLOW_BACKEND_STORE_URI", config_secret, "backend-store-uri"),
        h.secret_env_var("MLFLOW_FLASK_SERVER_SECRET_KEY", config_secret, "flask-secret-key"),
        k8s.core.v1.EnvVarArgs(name="MLFLOW_AUTH_CONFIG_PATH", value="/etc/mlflow/auth/basic_auth.ini"),
        # Libraries that write under $HOME (caches, config) write to the emptyDir.
        k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
        # MLflow's job runner (a huey consumer per job type, on by default) more than triples the pod's
        # memory (measured: docs/real-services.md); off unless the spec turns it on.
        k8s.core.v1.EnvVarArgs(name="MLFLOW_SERVER_ENABLE_JOB_EXECUTION", value="true" if args.job_execution else "false"),
    ]
    # The audit app and the target's hooks (hook_files) are importable by every Python process of the pod.
    env.append(k8s.core.v1.EnvVarArgs(name="PYTHONPATH", value=HOOKS_PATH))
    env += [k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in sorted(args.env.items())]
    if env_secret:
        env += [h.secret_env_var(k, env_secret, k) for k in sorted(args.secret_env)]
    return env


def server_volumes(
    args: TrackingServerArgs, config_secret: pulumi.Input[str]
) -> tuple[list[k8s.core.v1.VolumeArgs], list[k8s.core.v1.VolumeMountArgs]]:
    """Volumes and mounts of every MLflow container: ``/tmp``, the auth file, the target's start-up hooks."""
    tmp, tmp_mount = h.tmp_volume()
    volumes = [
        tmp,
        k8s.core.v1.VolumeArgs(
            name="auth-config",
            secret=k8s.core.v1.SecretVolumeSourceArgs(
                secret_name=config_secret,
                items=[k8s.core.v1.KeyToPathArgs(key="basic_auth.ini", path="basic_auth.ini")],
                default_mode=0o440,
            ),
        ),
    ]
    mounts = [tmp_mount, k8s.core.v1.VolumeMountArgs(name="auth-config", mount_path="/etc/mlflow/auth", read_only=True)]
    items = [k8s.core.v1.KeyToPathArgs(key=hook_key(path), path=path) for path in hook_files(args)]
    volumes.append(
        k8s.core.v1.VolumeArgs(
            name="python-hooks",
            config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=PYTHON_HOOKS, items=items, default_mode=0o444),
        )
    )
    mounts.append(k8s.core.v1.VolumeMountArgs(name="python-hooks", mount_path=HOOKS_PATH, read_only=True))
    return volumes, mounts


def mlflow_pod_spec(
    args: TrackingServerArgs,
    *,
    service_account: pulumi.Input[str],
    selector: dict[str, str],
    config_secret: pulumi.Input[str],
    env_secret: str | None,
) -> k8s.core.v1.PodSpecArgs:
    """The hardened pod: non-root, read-only root (``/tmp`` is an emptyDir), probes on ``/health``."""
    volumes, mounts = server_volumes(args, config_secret)
    spread = [
        k8s.core.v1.TopologySpreadConstraintArgs(
            max_skew=1,
            topology_key="kubernetes.io/hostname",
            when_unsatisfiable="ScheduleAnyway",
            label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
        )
    ] if args.replicas > 1 else None
    return k8s.core.v1.PodSpecArgs(
        service_account_name=service_account,
        automount_service_account_token=False,
        security_context=h.pod_security_context(),
        topology_spread_constraints=spread,
        containers=[
            k8s.core.v1.ContainerArgs(
                name=NAME,
                image=args.image,
                command=server_command(args),
                env=server_env(args, config_secret, env_secret),
                ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT, protocol="TCP")],
                # The migrations ran in the Job before (tracking_migrate.py); the start reads its config only.
                startup_probe=h.http_probe(initial_delay=10, period=10, failures=30),
                readiness_probe=h.http_probe(period=10),
                liveness_probe=h.http_probe(period=20),
                resources=h.resources(args.cpu, args.memory, args.cpu_limit, args.memory_limit),
                security_context=h.container_security_context(),
                volume_mounts=mounts,
            )
        ],
        volumes=volumes,
    )
