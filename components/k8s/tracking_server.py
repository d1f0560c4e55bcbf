"""MLflow tracking server and model registry in namespace ``mlflow``, with authentication on.

A Deployment runs ``mlflow server --app-name basic-auth --serve-artifacts --artifacts-destination <uri>``.
The backend store is the target's Postgres: its URI arrives as a Pulumi secret and reaches the container
only through a Kubernetes Secret (``MLFLOW_BACKEND_STORE_URI`` from a ``secretKeyRef``). Artifacts go to the
target's bucket (``s3://`` with an IRSA role on aws, ``gs://`` with Workload Identity on gcp, the on-prem object store (SeaweedFS) via
``MLFLOW_S3_ENDPOINT_URL`` and ``secret_env`` credentials on onprem); clients upload them through the server
(``--serve-artifacts``), so training pods need no bucket credentials and no egress beyond the server.

Authentication: MLflow's built-in basic auth, not an oauth2-proxy sidecar, because
- it authorises, not only authenticates: per-experiment and per-registered-model permissions are enforced
  by the server itself, which a proxy in front cannot do;
- machine clients (training jobs, CI, the verification Job) authenticate with the standard
  ``MLFLOW_TRACKING_USERNAME``/``MLFLOW_TRACKING_PASSWORD`` variables; a proxy needs an OIDC token flow;
- it needs no identity provider, so it is identical on aws, gcp and an air-gapped on-prem cluster.
An SSO proxy can still be put in front for browsers later. The admin password is generated
(``random.RandomPassword``) and kept in the Secret ``mlflow-admin``. The auth tables live in the database
``auth_database_uri`` names; from MLflow 3.6 they keep their Alembic revision in ``alembic_version_auth``,
so the engine passes the tracking database itself (releases before 3.6 share ``alembic_version`` and need a
database of their own; the spec refuses versions.mlflow below 3.6).
``/health`` is not behind authentication, so the probes need no credentials.

How a training job logs to it (the model registry is the same server)::

    env:  MLFLOW_TRACKING_URI=http://mlflow.mlflow.svc.cluster.local:5000
          MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD   (a user the admin created, from a Secret)
    code: with mlflow.start_run(): mlflow.log_metric("loss", 0.1); mlflow.pytorch.log_model(m, "model")
          mlflow.register_model(f"runs:/{run_id}/model", "my-model")

The image must contain mlflow with its ``auth`` extra, ``psycopg`` 3 (SQLAlchemy 2.1, which MLflow 3.17
installs, connects ``postgresql://`` through it; psycopg2 alone does not start the server) and the artifact
store's client (``boto3`` or ``google-cloud-storage``); the engine passes a pinned one. The real-services
stage (docs/real-services.md) runs this component's own pod spec against PostgreSQL and an S3 API. The namespace's NetworkPolicy
admits port 5000 only from ``allowed_namespaces``; egress stays open because the database and bucket
endpoints differ per target.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..contract import MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT
from . import hardening as h
from . import require_provider
from .tracking_access import TrackingAccessArgs, check, expose
from .tracking_migrate import migrate_job_name, migrate_job_spec
from .tracking_pod import (
    NAME,
    PORT,
    PYTHON_HOOKS,
    auth_ini,
    mlflow_pod_spec,
    render_auth_ini,
    server_command,
)

__all__ = ["TrackingServer", "TrackingServerArgs", "auth_ini", "mlflow_pod_spec", "render_auth_ini", "server_command"]

TOKEN = "mlstack:k8s:TrackingServer"
ADMIN_SECRET = "mlflow-admin"
CONFIG_SECRET = "mlflow-config"
ENV_SECRET = "mlflow-env"


@dataclass(frozen=True, kw_only=True)
class TrackingServerArgs:
    """The MLflow server.

    Attributes:
        image: the MLflow image, pinned by version (and digest where known), from ``versions.mlflow``.
        database_uri: SQLAlchemy URI of the tracking database (``postgresql://...``), a secret.
        auth_database_uri: SQLAlchemy URI of the auth database (users and permissions), a secret. From
            MLflow 3.6 the auth tables keep their Alembic revision in ``alembic_version_auth``, so this may be
            the tracking database itself (the engine passes the same URI); older MLflow shares
            ``alembic_version`` between the two schemas and needs a separate database.
        artifacts_uri: where artifacts go (``s3://bucket/mlflow``, ``gs://...``), bound by the target.
        replicas: server replicas; 1. Above 1 adds a PodDisruptionBudget and spreads pods over nodes.
        namespace: the namespace, created here; "mlflow" (``contract.MLFLOW_NAMESPACE``).
        service_account: the ServiceAccount the server runs as, created here; "mlflow"
            (``contract.MLFLOW_SERVICE_ACCOUNT``): the identity a target binds to its cloud role.
        service_account_annotations: the target's identity binding (``eks.amazonaws.com/role-arn``,
            ``iam.gke.io/gcp-service-account``); default none.
        env: further plain environment variables (e.g. ``MLFLOW_S3_ENDPOINT_URL``); default none.
        secret_env: further secret environment variables (e.g. ``AWS_ACCESS_KEY_ID`` for the on-prem object store): kept in
            the Secret ``mlflow-env`` and read through ``secretKeyRef``; default none.
        python_hooks: Python start-up modules, file name -> source (e.g. ``{"sitecustomize.py": ...}``), kept
            in the ConfigMap ``mlflow-python``, mounted read-only and put on ``PYTHONPATH``, so every Python
            process of the pod imports them. A target uses it to adapt the server to its cloud without this
            cloud-neutral pod knowing (AWS: reading the rotating RDS-managed password at every connect, see
            ``mlstack.components.aws.db_credentials_hook``). Default none: no ConfigMap, volume or PYTHONPATH.
        allowed_namespaces: namespaces whose pods may reach port 5000 (teams, CI, verification); none.
        workers: server worker processes; 2.
        cpu: CPU request; "500m". cpu_limit: CPU limit; "2".
        memory: memory request; "1Gi". memory_limit: memory limit; "1536Mi". Measured (MLflow 3.17.2, 2
            workers, job runner off, through the real-services tests): peak RSS summed over the pod's
            processes 1,001 MiB, PSS 690 MiB after them; the limit leaves half again for large uploads.
            With ``job_execution`` the runner's processes add about 1.4 GiB (2,146 MiB RSS idle): the engine
            then asks for "2Gi" and limits at "3Gi".
        admin_username: the MLflow admin user; "admin".
        default_permission: permission of users on resources they were not granted; "READ".
        job_execution: run MLflow's job runner (``MLFLOW_SERVER_ENABLE_JOB_EXECUTION``); False, because it
            starts a consumer process per job type and more than triples the pod's memory.
        allowed_hosts: further ``Host`` names the server accepts (e.g. an Ingress host), beyond its
            Service's names and localhost; default none.
        users: MLflow users (not admins) to create, each with a generated password: the Platform makes one per
            team (named as the team) and one for the verification Job. Default none.
        user_secrets: user -> namespace of the Secret ``mlflow-<user>`` (``username``, ``password``,
            ``tracking-uri``) this component writes there, e.g. each team's namespace; default none.
        password_rotations: user -> rotation number; default none (0 for everyone). A number above 0 is the
            keeper of the user's ``RandomPassword``: raising it replaces the password, so the next ``up``
            writes the new one into the user's Secret and runs a new migrations Job (its name hashes the
            rotations), which sets it on the MLflow user. 0 sets no keeper, so passwords generated before
            rotations existed stay as they are.
        admin_password_rotation: the same for the admin's password (its Secret ``mlflow-admin`` and
            ``basic_auth.ini``; the migrations Job sets it on the admin user); 0, no keeper.
        access: MLflow from laptops over the private network (``tracking_access.py``); default none: in-cluster
            only. Its ``source_cidrs`` are also admitted by the server's NetworkPolicy.
    """

    image: str
    database_uri: pulumi.Input[str]
    auth_database_uri: pulumi.Input[str]
    artifacts_uri: pulumi.Input[str]
    replicas: int = 1
    namespace: str = MLFLOW_NAMESPACE
    service_account: str = MLFLOW_SERVICE_ACCOUNT
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secret_env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    python_hooks: Mapping[str, str] = field(default_factory=dict)
    allowed_namespaces: Sequence[str] = ()
    workers: int = 2
    cpu: str = "500m"
    cpu_limit: str = "2"
    memory: str = "1Gi"
    memory_limit: str = "1536Mi"
    admin_username: str = "admin"
    default_permission: str = "READ"
    job_execution: bool = False
    allowed_hosts: Sequence[str] = ()
    users: Sequence[str] = ()
    user_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    password_rotations: Mapping[str, int] = field(default_factory=dict)
    admin_password_rotation: int = 0
    access: TrackingAccessArgs | None = None


class TrackingServer(pulumi.ComponentResource):
    """MLflow: Namespace, Secrets, ServiceAccount, migrations Job, Deployment, Service, NetworkPolicy, PDB when replicas > 1.

    Attributes:
        tracking_uri: ``http://mlflow.mlflow.svc.cluster.local:5000`` (with the namespace given).
        namespace: the namespace's name.
        admin_secret_name: the Secret holding ``username`` and ``password`` of the admin.
        admin_username: the admin user.
        admin_password: the admin password (secret output).
    """

    def __init__(self, name: str, args: TrackingServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        if args.replicas < 1:
            raise ValueError(f"TrackingServer {name!r}: replicas must be at least 1, got {args.replicas}")
        if args.access is not None:
            check(name, args.access)
        labels = h.MLSTACK_LABELS(NAME, "tracking-server")
        selector = h.selector_labels(NAME, "tracking-server")
        child = pulumi.ResourceOptions(parent=self)

        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels={**labels, **h.restricted_namespace_labels()}),
            opts=child,
        )

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns.metadata.name, labels=labels)

        # Letters and digits only: the password goes into an INI file and into URLs unescaped.
        admin_password = random.RandomPassword(
            f"{name}-admin-password", length=32, special=False,
            keepers={"rotation": str(args.admin_password_rotation)} if args.admin_password_rotation > 0 else None, opts=child,
        )  # fmt: skip
        flask_key = random.RandomPassword(f"{name}-flask-secret-key", length=48, special=False, opts=child)
        if args.admin_username in args.users or not set(args.user_secrets) | set(args.password_rotations) <= set(args.users):
            raise ValueError(f"TrackingServer {name!r}: users must not include the admin, and user_secrets must name "
                             "users (password_rotations too)")
        rotations = {u: n for u, n in sorted(args.password_rotations.items()) if n > 0}
        passwords = {
            user: random.RandomPassword(
                f"{name}-user-{user}-password", length=32, special=False,
                keepers={"rotation": str(rotations[user])} if user in rotations else None, opts=child,
            ).result
            for user in sorted(set(args.users))
        }  # fmt: skip
        admin = k8s.core.v1.Secret(
            f"{name}-admin",
            metadata=meta(ADMIN_SECRET),
            type="kubernetes.io/basic-auth",
            string_data={"username": args.admin_username, "password": admin_password.result},
            opts=child,
        )
        config = k8s.core.v1.Secret(
            f"{name}-config",
            metadata=meta(CONFIG_SECRET),
            type="Opaque",
            string_data={
                "backend-store-uri": pulumi.Output.secret(args.database_uri),
                "basic_auth.ini": pulumi.Output.secret(
                    auth_ini(args.auth_database_uri, args.admin_username, admin_password.result, args.default_permission)
                ),
                # One key for every replica: Flask's CSRF tokens must verify on any of them.
                "flask-secret-key": flask_key.result,
                # The users the migrations Job creates (user -> password, JSON).
                **({"users.json": pulumi.Output.secret(
                    pulumi.Output.all(*passwords.values()).apply(lambda v: json.dumps(dict(zip(passwords, v)), sort_keys=True))
                )} if passwords else {}),
            },
            opts=child,
        )
        hooks = [
            k8s.core.v1.ConfigMap(
                f"{name}-python", metadata=meta(PYTHON_HOOKS), data=dict(sorted(args.python_hooks.items())), opts=child
            )
        ] if args.python_hooks else []
        env_secrets = [
            k8s.core.v1.Secret(
                f"{name}-env",
                metadata=meta(ENV_SECRET),
                type="Opaque",
                string_data={k: pulumi.Output.secret(v) for k, v in sorted(args.secret_env.items())},
                opts=child,
            )
        ] if args.secret_env else []
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.service_account,
                namespace=ns.metadata.name,
                labels=labels,
                annotations=dict(sorted(args.service_account_annotations.items())) or None,
            ),
            # IRSA and GKE Workload Identity do not need the API token mounted; nothing here calls the API.
            automount_service_account_token=False,
            opts=child,
        )
        # The schema migrations, once, before any server pod (tracking_migrate.py); Pulumi waits for it.
        migrate = k8s.batch.v1.Job(
            f"{name}-migrate",
            # The admin's rotation counts too (the Job sets the admin's password from basic_auth.ini).
            metadata=meta(migrate_job_name(args.image, sorted(passwords), {**rotations, args.admin_username: args.admin_password_rotation})),
            spec=migrate_job_spec(
                args,
                service_account=sa.metadata.name,
                config_secret=config.metadata.name,
                env_secret=ENV_SECRET if args.secret_env else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*hooks, *env_secrets]),
        )
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(NAME),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=mlflow_pod_spec(
                        args,
                        service_account=sa.metadata.name,
                        selector=selector,
                        config_secret=config.metadata.name,
                        env_secret=ENV_SECRET if args.secret_env else None,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*hooks, migrate]),
        )
        svc = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(NAME),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http", protocol="TCP")],
            ),
            opts=child,
        )
        ingress_from = [
            k8s.networking.v1.NetworkPolicyPeerArgs(
                namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                    match_expressions=[
                        k8s.meta.v1.LabelSelectorRequirementArgs(
                            key="kubernetes.io/metadata.name", operator="In", values=sorted(set(args.allowed_namespaces))
                        )
                    ]
                )
            )
        ] if args.allowed_namespaces else []
        # Laptops through the internal load balancer or the ingress controller's proxies: private networks only.
        ingress_from += [
            k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr))
            for cidr in sorted(set(args.access.source_cidrs))
        ] if args.access else []
        k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress",
            metadata=meta("mlflow-ingress"),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=ingress_from, ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=PORT, protocol="TCP")]
                    )
                ] if ingress_from else [],
            ),
            opts=child,
        )
        if args.access is not None:
            expose(name, args.access, meta, selector, svc.metadata.name, child)
        if args.replicas > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=meta(NAME),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    min_available=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
                ),
                opts=child,
            )

        tracking_uri = f"http://{NAME}.{args.namespace}.svc.cluster.local:{PORT}"
        for user, namespace in sorted(args.user_secrets.items()):
            k8s.core.v1.Secret(
                f"{name}-user-{user}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{NAME}-{user}", namespace=namespace, labels=labels),
                type="kubernetes.io/basic-auth",
                string_data={"username": user, "password": pulumi.Output.secret(passwords[user]), "tracking-uri": tracking_uri},
                opts=child,
            )

        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.service_name: pulumi.Output[str] = svc.metadata.name
        self.tracking_uri: str = f"http://{NAME}.{args.namespace}.svc.cluster.local:{PORT}"
        self.admin_secret_name: pulumi.Output[str] = admin.metadata.name
        self.admin_username: str = args.admin_username
        self.admin_password: pulumi.Output[str] = pulumi.Output.secret(admin_password.result)
        self.user_passwords: dict[str, pulumi.Output[str]] = {u: pulumi.Output.secret(p) for u, p in passwords.items()}
        self.register_outputs(
            {
                "admin_password": self.admin_password,
                "admin_username": self.admin_username,
                "service_name": self.service_name,
                "tracking_uri": self.tracking_uri,
                "admin_secret_name": self.admin_secret_name,
                "namespace": self.namespace,
                "user_passwords": self.user_passwords,
            }
        )
