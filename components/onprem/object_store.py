"""S3-compatible buckets on the on-premise target: MinIO from its official Helm chart.

Why the official ``minio`` chart (charts.min.io) in standalone mode rather than the MinIO Operator
and a ``Tenant``: the chart is one release with no CRDs and its values expose the pod and container
security contexts. The operator adds a cluster-wide controller, CRDs and its own console for multi-tenant,
erasure-coded deployments; an ML platform's artifact store for one environment does not need them.
Standalone mode keeps one drive on one PVC: durability is the PVC's storage class's job (RAID,
Ceph, replicated local storage). Distributed mode is the upgrade path when that is not enough.

Buckets (with versioning), the MLflow policy and user are made by a Job rendered here with ``mc``,
not by the chart's post-install Job, whose pods cannot be hardened to Pod Security "restricted".

Credentials: the root user is generated (``pulumi_random``) into a Secret the chart reads
(``existingSecret``); it is never printed. MLflow does not get root: a ``mlflow`` MinIO user with a
policy limited to the artifacts bucket is created, its key in a second Secret (keys
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, as the S3 SDKs read them).

TLS: off by default. Traffic stays in the cluster network and the NetworkPolicies of the platform
layer limit who reaches MinIO; set ``tls_secret_name`` (a ``kubernetes.io/tls`` Secret with
``public.crt``/``private.key``, e.g. from cert-manager) to serve HTTPS, and the endpoint becomes https.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .._base import child_opts, stateful_opts
from ..k8s.hardening import (
    MLSTACK_LABELS,
    NONROOT_UID,
    container_security_context,
    pinned_image,
    pod_security_context,
    resources,
    tmp_volume,
)

TOKEN = "mlstack:k8s:ObjectStore"
RELEASE = "minio"
ROOT_USER_KEY = "rootUser"
ROOT_PASSWORD_KEY = "rootPassword"
ACCESS_KEY_ID_KEY = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_KEY = "AWS_SECRET_ACCESS_KEY"
MLFLOW_USER = "mlflow"
MLFLOW_POLICY = "mlflow-artifacts"


@dataclass(frozen=True, kw_only=True)
class ObjectStoreArgs:
    """Inputs of :class:`ObjectStore`.

    Attributes:
        namespace: namespace of the release and its Secrets (must exist).
        chart_version: pinned version of the ``minio`` chart (from the catalogue).
        chart_repository: Helm repository of the chart; MinIO's official one.
        image: pinned MinIO server image "repository:tag", e.g. "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z".
        mc_image: pinned MinIO client image "repository:tag" for the bucket/user Job.
        buckets: bucket name -> versioning on; created by the chart's post-install Job. Empty by default.
        artifacts_bucket: the bucket MLflow stores artifacts in (must be in ``buckets``); "artifacts".
        size_gib: size of the data PVC in GiB; 100.
        storage_class: StorageClass of the data PVC; None uses the cluster's default class.
        cpu: CPU request and limit of the server; "500m".
        memory: memory request and limit of the server; "2Gi".
        tls_secret_name: a TLS Secret to serve HTTPS with; None serves HTTP inside the cluster.
        protect: protect and retain the credentials (the data PVC is the chart's). Default off.
    """

    namespace: pulumi.Input[str]
    chart_version: str
    image: str
    mc_image: str
    chart_repository: str = "https://charts.min.io/"
    buckets: Mapping[str, bool] = field(default_factory=dict)
    artifacts_bucket: str = "artifacts"
    size_gib: int = 100
    storage_class: str | None = None
    cpu: str = "500m"
    memory: str = "2Gi"
    tls_secret_name: str | None = None
    protect: bool = False


def _split_image(image: str) -> dict[str, str]:
    repository, tag = pinned_image(image)
    return {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}


def _container_security() -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_security() -> dict:
    return {
        "enabled": True,
        "runAsUser": NONROOT_UID,
        "runAsGroup": NONROOT_UID,
        "fsGroup": NONROOT_UID,
        "fsGroupChangePolicy": "OnRootMismatch",
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def policy_document(bucket: str) -> dict:
    """The MLflow user's MinIO (IAM-style) policy: objects and listing of the artifacts bucket only."""
    objects = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    listing = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": objects, "Resource": [f"arn:aws:s3:::{bucket}/*"]},
            {"Effect": "Allow", "Action": listing, "Resource": [f"arn:aws:s3:::{bucket}"]},
        ],
    }


def minio_values(args: ObjectStoreArgs, root_secret: pulumi.Input[str]) -> dict:
    """The chart values: standalone, hardened, no users, buckets or post-install Job of the chart's own."""
    tmp = {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}
    volumes = [tmp]
    mounts = [{"name": "tmp", "mountPath": "/tmp"}]
    if not args.tls_secret_name:
        # MinIO creates its certificate directory at start; under a read-only root it must be writable.
        volumes.append({"name": "certs", "emptyDir": {"sizeLimit": "1Mi"}})
        mounts.append({"name": "certs", "mountPath": "/etc/minio/certs"})
    persistence: dict[str, object] = {"enabled": True, "size": f"{args.size_gib}Gi", "accessMode": "ReadWriteOnce"}
    if args.storage_class:
        persistence["storageClass"] = args.storage_class
    return {
        "mode": "standalone",
        "replicas": 1,
        "image": _split_image(args.image),
        "existingSecret": root_secret,
        "persistence": persistence,
        "resources": {"requests": {"cpu": args.cpu, "memory": args.memory}, "limits": {"cpu": args.cpu, "memory": args.memory}},
        "securityContext": _pod_security(),
        "containerSecurityContext": _container_security(),
        "extraVolumes": volumes,
        "extraVolumeMounts": mounts,
        # The web console is another login surface; the S3 API is all MLflow and jobs need.
        "environment": {"MINIO_BROWSER": "off"},
        "tls": {"enabled": bool(args.tls_secret_name), "certSecret": args.tls_secret_name or ""},
        # No chart post-install Job (its pods get no seccomp profile, capability drop or escalation
        # ban: "restricted" rejects them); the setup Job does this. Also drops the chart's default
        # "console" user and its well-known password.
        "buckets": [],
        "policies": [],
        "users": [],
        "svcaccts": [],
        "podDisruptionBudget": {"enabled": False},
    }


def setup_script(args: ObjectStoreArgs) -> str:
    """The ``mc`` commands that create the buckets, the MLflow policy and user (idempotent)."""
    lines = [
        "set -eu",
        # Waits for the server (the release's pods may still be starting); the Job's deadline bounds it.
        'until mc alias set store "$MINIO_URL" "$ROOT_USER" "$ROOT_PASSWORD" >/dev/null; do sleep 5; done',
    ]
    for bucket, versioning in sorted(args.buckets.items()):
        lines.append(f"mc mb --ignore-existing store/{bucket}")
        if versioning:
            lines.append(f"mc version enable store/{bucket}")
    lines += [
        "printf '%s' \"$POLICY\" > /tmp/policy.json",
        f"mc admin policy create store {MLFLOW_POLICY} /tmp/policy.json",
        f'mc admin user add store {MLFLOW_USER} "$MLFLOW_SECRET_KEY"',
        # Re-attaching an attached policy is an error in mc; the state it asks for already holds.
        f"mc admin policy attach store {MLFLOW_POLICY} --user {MLFLOW_USER} || true",
    ]
    return "\n".join(lines) + "\n"


def _secret_env(env: str, secret: pulumi.Input[str], key: str) -> k8s.core.v1.EnvVarArgs:
    ref = k8s.core.v1.SecretKeySelectorArgs(name=secret, key=key)
    return k8s.core.v1.EnvVarArgs(name=env, value_from=k8s.core.v1.EnvVarSourceArgs(secret_key_ref=ref))


class ObjectStore(pulumi.ComponentResource):
    """MinIO in one namespace, with buckets, a root Secret and a least-privilege MLflow user.

    Outputs:
        endpoint: the S3 API URL inside the cluster, ``http://minio.<ns>.svc.cluster.local:9000``.
        bucket_names: the buckets, sorted.
        artifacts_uri: ``s3://<artifacts_bucket>/mlflow``, MLflow's artifact root.
        root_secret_name: Secret with the root credentials, keys :data:`ROOT_USER_KEY`/:data:`ROOT_PASSWORD_KEY`.
        credentials_secret_name: Secret with the MLflow user's key, keys ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``.
        access_key_id: the MLflow user's access key id ("mlflow").
        secret_access_key: the MLflow user's secret key (secret), to copy into other namespaces.
    """

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.artifacts_bucket not in args.buckets:
            raise ValueError(f"artifacts bucket {args.artifacts_bucket!r} is not one of the buckets {sorted(args.buckets)}")
        _split_image(args.image)  # reject unpinned images before anything registers
        _split_image(args.mc_image)
        super().__init__(TOKEN, name, None, opts)
        labels = MLSTACK_LABELS("minio", component="object-store")

        root_password = random.RandomPassword(f"{name}-root-password", length=40, special=False, opts=stateful_opts(self, args.protect))
        root = k8s.core.v1.Secret(
            f"{name}-root",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{RELEASE}-root", namespace=args.namespace, labels=labels),
            type="Opaque",
            string_data={ROOT_USER_KEY: "mlstack-root", ROOT_PASSWORD_KEY: root_password.result},
            opts=stateful_opts(self, args.protect),
        )
        mlflow_key = random.RandomPassword(f"{name}-mlflow-key", length=40, special=False, opts=stateful_opts(self, args.protect))
        mlflow = k8s.core.v1.Secret(
            f"{name}-mlflow",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{RELEASE}-{MLFLOW_USER}", namespace=args.namespace, labels=labels),
            type="Opaque",
            string_data={ACCESS_KEY_ID_KEY: MLFLOW_USER, SECRET_ACCESS_KEY_KEY: mlflow_key.result},
            opts=stateful_opts(self, args.protect),
        )
        release = k8s.helm.v3.Release(
            f"{name}-minio",
            k8s.helm.v3.ReleaseArgs(
                name=RELEASE,
                chart="minio",
                version=args.chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                namespace=args.namespace,
                values=minio_values(args, root.metadata.name),
                atomic=True,
                timeout=600,
            ),
            opts=child_opts(self),
        )

        scheme = "https" if args.tls_secret_name else "http"
        url = pulumi.Output.concat(f"{scheme}://{RELEASE}.", args.namespace, ".svc.cluster.local:9000")
        tmp, tmp_mount = tmp_volume()
        setup = k8s.core.v1.ContainerArgs(
            name="setup",
            image=args.mc_image,
            image_pull_policy="IfNotPresent",
            command=["/bin/sh", "-c", setup_script(args)],
            env=[
                k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
                k8s.core.v1.EnvVarArgs(name="MC_CONFIG_DIR", value="/tmp/.mc"),
                k8s.core.v1.EnvVarArgs(name="MINIO_URL", value=url),
                k8s.core.v1.EnvVarArgs(name="POLICY", value=json.dumps(policy_document(args.artifacts_bucket), sort_keys=True)),
                _secret_env("ROOT_USER", root.metadata.name, ROOT_USER_KEY),
                _secret_env("ROOT_PASSWORD", root.metadata.name, ROOT_PASSWORD_KEY),
                _secret_env("MLFLOW_SECRET_KEY", mlflow.metadata.name, SECRET_ACCESS_KEY_KEY),
            ],
            volume_mounts=[tmp_mount],
            security_context=container_security_context(),
            resources=resources("50m", "128Mi", cpu_limit="200m"),
        )
        job = k8s.batch.v1.Job(
            f"{name}-setup",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{RELEASE}-setup", namespace=args.namespace, labels=labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=4,
                active_deadline_seconds=900,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="OnFailure",
                        automount_service_account_token=False,
                        security_context=pod_security_context(),
                        containers=[setup],
                        volumes=[tmp],
                    ),
                ),
            ),
            # A changed bucket list changes the Job's (immutable) pod template: Pulumi replaces the Job.
            opts=child_opts(self, depends_on=[release]),
        )
        # From the Job, so that consumers wait until the buckets and the MLflow user exist.
        self.endpoint: pulumi.Output[str] = pulumi.Output.all(job.id, url).apply(lambda v: v[1])
        self.bucket_names: list[str] = sorted(args.buckets)
        self.artifacts_uri: str = f"s3://{args.artifacts_bucket}/mlflow"
        self.root_secret_name: pulumi.Output[str] = root.metadata.name
        self.credentials_secret_name: pulumi.Output[str] = mlflow.metadata.name
        self.access_key_id: str = MLFLOW_USER
        self.secret_access_key: pulumi.Output[str] = pulumi.Output.secret(mlflow_key.result)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "bucket_names": self.bucket_names,
                "artifacts_uri": self.artifacts_uri,
                "root_secret_name": self.root_secret_name,
                "credentials_secret_name": self.credentials_secret_name,
            }
        )
