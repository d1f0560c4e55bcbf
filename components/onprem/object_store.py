"""S3-compatible buckets on the on-premise target: SeaweedFS (``weed server -s3``), rendered here.

Why SeaweedFS, and not MinIO any more (docs/design-changes.md, "On-prem object store"): the MinIO server
image mlstack pinned carries CVE-2025-62506 with no fixed community image, and the upstream repository is
archived. SeaweedFS is Apache-2.0, released every one to two weeks, and its S3 gateway covers what the
platform uses (buckets, versioning, multipart uploads, per-bucket access keys). Garage (AGPL-3.0) needs a
cluster layout step before it serves anything; Ceph RGW (Rook) is a storage cluster, not a bucket endpoint.

Why rendered rather than the SeaweedFS Helm chart: the chart runs master, volume, filer and S3 as four
workloads and its release pipeline has lagged the server's releases; one ``weed server -s3`` process (master,
volume server, filer and S3 gateway in one pod, on one PVC) is what one environment's artifact store needs,
and every pod field stays under our control, hardened like the rest of mlstack. Durability is the PVC's
storage class's job (RAID, Ceph, replicated local storage); separate master/volume/filer workloads are the
upgrade path when one volume is not enough.

Access: the S3 gateway authenticates every request against identities in a Secret (``s3.json``): a root
identity (Admin) and an ``mlflow`` identity limited to the artifacts bucket (Read/Write/List/Tagging on it
only). Keys are generated (``pulumi_random``) and never printed. Buckets and their versioning are made by a
Job running ``weed shell`` against the master. The master, filer and volume ports answer without
credentials, so a NetworkPolicy admits only the S3 port from other namespaces; the internal ports answer
pods of this namespace alone (the setup Job).

TLS: off by default (traffic stays in the cluster network); set ``tls_secret_name`` (a ``kubernetes.io/tls``
Secret, e.g. from cert-manager) to serve HTTPS on the S3 port, and the endpoint becomes https.
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
    container_security_context,
    pinned_image,
    pod_security_context,
    resources,
    selector_labels,
    tmp_volume,
)

TOKEN = "mlstack:k8s:ObjectStore"
NAME = "seaweedfs"
S3_PORT = 8333
MASTER_PORT = 9333
FILER_PORT = 8888
VOLUME_PORT = 8080
#: gRPC ports are the HTTP ports + 10000 in SeaweedFS.
INTERNAL_PORTS = (MASTER_PORT, MASTER_PORT + 10000, FILER_PORT, FILER_PORT + 10000, VOLUME_PORT, VOLUME_PORT + 10000)
DATA_PATH = "/data"
ROOT_USER = "mlstack-root"
ROOT_USER_KEY = "rootUser"
ROOT_PASSWORD_KEY = "rootPassword"
ACCESS_KEY_ID_KEY = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_KEY = "AWS_SECRET_ACCESS_KEY"
MLFLOW_USER = "mlflow"
S3_CONFIG_KEY = "s3.json"


@dataclass(frozen=True, kw_only=True)
class ObjectStoreArgs:
    """Inputs of :class:`ObjectStore`.

    Attributes:
        namespace: namespace of the store and its Secrets (must exist).
        image: pinned SeaweedFS image "repository:tag", e.g. "docker.io/chrislusf/seaweedfs:4.47".
        buckets: bucket name -> versioning on. Empty by default.
        artifacts_bucket: the bucket MLflow stores artifacts in (must be in ``buckets``); "artifacts".
        size_gib: size of the data PVC in GiB; 100.
        storage_class: StorageClass of the data PVC; None uses the cluster's default class.
        cpu: CPU request and limit of the server; "500m".
        memory: memory request and limit of the server; "2Gi".
        tls_secret_name: a ``kubernetes.io/tls`` Secret to serve HTTPS with; None serves HTTP inside the cluster.
        protect: protect and retain the data volume and the credentials. Default off.
    """

    namespace: pulumi.Input[str]
    image: str
    buckets: Mapping[str, bool] = field(default_factory=dict)
    artifacts_bucket: str = "artifacts"
    size_gib: int = 100
    storage_class: str | None = None
    cpu: str = "500m"
    memory: str = "2Gi"
    tls_secret_name: str | None = None
    protect: bool = False


def s3_identities(root_secret: str, mlflow_secret: str, artifacts_bucket: str) -> dict:
    """The S3 gateway's identities: root (every action) and ``mlflow`` (the artifacts bucket only)."""
    scoped = [f"{action}:{artifacts_bucket}" for action in ("List", "Read", "Tagging", "Write")]
    return {
        "identities": [
            {
                "name": "root",
                "credentials": [{"accessKey": ROOT_USER, "secretKey": root_secret}],
                "actions": ["Admin", "List", "Read", "Tagging", "Write"],
            },
            {
                "name": MLFLOW_USER,
                "credentials": [{"accessKey": MLFLOW_USER, "secretKey": mlflow_secret}],
                "actions": scoped,
            },
        ]
    }


def server_args(args: ObjectStoreArgs) -> list[str]:
    """``weed server`` flags: every component's state under the data volume, S3 with the identities file."""
    flags = [
        "server",
        f"-dir={DATA_PATH}/volume",
        f"-master.dir={DATA_PATH}/master",
        f"-filer.defaultStoreDir={DATA_PATH}/filer",
        "-ip=$(POD_IP)",
        "-ip.bind=0.0.0.0",
        # One volume server on one PVC: no replication to wait for, small volumes so a bucket's first file
        # does not preallocate gigabytes.
        "-master.defaultReplication=000",
        "-master.volumeSizeLimitMB=1024",
        "-volume.max=0",
        "-s3",
        f"-s3.port={S3_PORT}",
        f"-s3.config=/etc/seaweedfs/{S3_CONFIG_KEY}",
    ]
    if args.tls_secret_name:
        flags += ["-s3.cert.file=/etc/seaweedfs/tls/tls.crt", "-s3.key.file=/etc/seaweedfs/tls/tls.key"]
    return flags


def setup_script(args: ObjectStoreArgs, host: str) -> str:
    """The ``weed shell`` commands that create the buckets and turn versioning on (idempotent)."""
    shell = f"weed shell -master={host}:{MASTER_PORT} -filer={host}:{FILER_PORT}"
    lines = [
        "set -eu",
        # Waits for the master and filer (the server pod may still be starting); the Job's deadline bounds it.
        f'until echo "s3.bucket.list" | {shell} >/tmp/buckets 2>&1 && ! grep -qi error /tmp/buckets; do sleep 5; done',
        'existing="$(cat /tmp/buckets)"',
    ]
    for bucket, versioning in sorted(args.buckets.items()):
        lines.append(f'echo "$existing" | grep -qw "{bucket}" || echo "s3.bucket.create -name {bucket}" | {shell}')
        if versioning:
            lines.append(f'echo "s3.bucket.versioning -name {bucket} -enable" | {shell}')
    return "\n".join(lines) + "\n"


class ObjectStore(pulumi.ComponentResource):
    """SeaweedFS in one namespace: one pod on one PVC, an S3 endpoint, a root Secret and a least-privilege
    MLflow identity.

    Outputs:
        endpoint: the S3 API URL inside the cluster, ``http://seaweedfs.<ns>.svc.cluster.local:8333``.
        bucket_names: the buckets, sorted.
        artifacts_uri: ``s3://<artifacts_bucket>/mlflow``, MLflow's artifact root.
        root_secret_name: Secret with the root credentials, keys :data:`ROOT_USER_KEY`/:data:`ROOT_PASSWORD_KEY`.
        credentials_secret_name: Secret with the MLflow identity's key, keys ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``.
        access_key_id: the MLflow identity's access key id ("mlflow").
        secret_access_key: the MLflow identity's secret key (secret), to copy into other namespaces.
    """

    def __init__(self, name: str, args: ObjectStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if args.artifacts_bucket not in args.buckets:
            raise ValueError(f"artifacts bucket {args.artifacts_bucket!r} is not one of the buckets {sorted(args.buckets)}")
        pinned_image(args.image, "object store image")  # reject unpinned images before anything registers
        super().__init__(TOKEN, name, None, opts)
        labels = MLSTACK_LABELS(NAME, component="object-store")
        selector = selector_labels(NAME, component="object-store")

        def meta(suffix: str = "") -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=f"{NAME}{suffix}", namespace=args.namespace, labels=labels)

        keep = stateful_opts(self, args.protect)
        root_password = random.RandomPassword(f"{name}-root-password", length=40, special=False, opts=keep)
        mlflow_key = random.RandomPassword(f"{name}-mlflow-key", length=40, special=False, opts=keep)
        root = k8s.core.v1.Secret(
            f"{name}-root", metadata=meta("-root"), type="Opaque",
            string_data={ROOT_USER_KEY: ROOT_USER, ROOT_PASSWORD_KEY: root_password.result}, opts=keep,
        )
        mlflow = k8s.core.v1.Secret(
            f"{name}-mlflow", metadata=meta(f"-{MLFLOW_USER}"), type="Opaque",
            string_data={ACCESS_KEY_ID_KEY: MLFLOW_USER, SECRET_ACCESS_KEY_KEY: mlflow_key.result}, opts=keep,
        )
        identities = pulumi.Output.all(root_password.result, mlflow_key.result).apply(
            lambda keys: json.dumps(s3_identities(keys[0], keys[1], args.artifacts_bucket), sort_keys=True)
        )
        s3_config = k8s.core.v1.Secret(
            f"{name}-s3-config", metadata=meta("-s3-config"), type="Opaque",
            string_data={S3_CONFIG_KEY: identities}, opts=keep,
        )

        tmp, tmp_mount = tmp_volume()
        mounts = [
            k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_PATH),
            k8s.core.v1.VolumeMountArgs(name="s3-config", mount_path="/etc/seaweedfs", read_only=True),
            tmp_mount,
        ]
        volumes = [
            k8s.core.v1.VolumeArgs(name="s3-config", secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=s3_config.metadata.name)),
            tmp,
        ]
        if args.tls_secret_name:
            mounts.append(k8s.core.v1.VolumeMountArgs(name="tls", mount_path="/etc/seaweedfs/tls", read_only=True))
            volumes.append(k8s.core.v1.VolumeArgs(name="tls", secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=args.tls_secret_name)))
        ports = [k8s.core.v1.ContainerPortArgs(name="s3", container_port=S3_PORT, protocol="TCP"),
                 k8s.core.v1.ContainerPortArgs(name="master", container_port=MASTER_PORT, protocol="TCP"),
                 k8s.core.v1.ContainerPortArgs(name="filer", container_port=FILER_PORT, protocol="TCP")]
        probe = k8s.core.v1.ProbeArgs(tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="s3"), period_seconds=10)
        server = k8s.core.v1.ContainerArgs(
            name="seaweedfs",
            image=args.image,
            image_pull_policy="IfNotPresent",
            command=["weed"],
            args=server_args(args),
            working_dir=DATA_PATH,
            env=[k8s.core.v1.EnvVarArgs(
                name="POD_IP", value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path="status.podIP")),
            )],
            ports=ports,
            volume_mounts=mounts,
            security_context=container_security_context(),
            resources=resources(args.cpu, args.memory),
            readiness_probe=probe,
            liveness_probe=k8s.core.v1.ProbeArgs(tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="s3"), period_seconds=20, failure_threshold=3),
        )
        claim = k8s.core.v1.PersistentVolumeClaimArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(name="data", labels=labels),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=args.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": f"{args.size_gib}Gi"}),
            ),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name=p.name, port=p.container_port, target_port=p.name, protocol="TCP") for p in ports],
            ),
            opts=child_opts(self),
        )
        statefulset = k8s.apps.v1.StatefulSet(
            f"{name}-server",
            metadata=meta(),
            spec=k8s.apps.v1.StatefulSetSpecArgs(
                replicas=1,
                service_name=NAME,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                # The claim outlives the StatefulSet: deleting the store never deletes its data.
                persistent_volume_claim_retention_policy=k8s.apps.v1.StatefulSetPersistentVolumeClaimRetentionPolicyArgs(
                    when_deleted="Retain", when_scaled="Retain"
                ),
                volume_claim_templates=[claim],
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        security_context=pod_security_context(),
                        containers=[server],
                        volumes=volumes,
                    ),
                ),
            ),
            opts=stateful_opts(self, args.protect),
        )
        # Only the S3 port is reachable from other namespaces; the unauthenticated internal ports are not.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata=meta(),
            spec=k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                policy_types=["Ingress"],
                ingress=[
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=S3_PORT, protocol="TCP")],
                    ),
                    k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                        from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=k8s.meta.v1.LabelSelectorArgs())],
                        ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=p, protocol="TCP") for p in INTERNAL_PORTS],
                    ),
                ],
            ),
            opts=child_opts(self),
        )

        host = pulumi.Output.concat(f"{NAME}.", args.namespace, ".svc.cluster.local")
        setup = k8s.core.v1.ContainerArgs(
            name="setup",
            image=args.image,
            image_pull_policy="IfNotPresent",
            command=["/bin/sh", "-c"],
            args=[host.apply(lambda h: setup_script(args, h))],
            env=[k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp")],
            volume_mounts=[tmp_mount],
            security_context=container_security_context(),
            resources=resources("50m", "128Mi", cpu_limit="200m"),
        )
        job = k8s.batch.v1.Job(
            f"{name}-setup",
            metadata=meta("-setup"),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=4,
                active_deadline_seconds=900,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=MLSTACK_LABELS(NAME, component="object-store-setup")),
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
            opts=child_opts(self, depends_on=[statefulset, service]),
        )
        scheme = "https" if args.tls_secret_name else "http"
        url = pulumi.Output.concat(f"{scheme}://{NAME}.", args.namespace, f".svc.cluster.local:{S3_PORT}")
        # From the Job, so that consumers wait until the buckets exist.
        self.endpoint: pulumi.Output[str] = pulumi.Output.all(job.id, url).apply(lambda v: v[1])
        self.bucket_names: list[str] = sorted(args.buckets)
        self.artifacts_uri: str = f"s3://{args.artifacts_bucket}/mlflow"
        self.root_secret_name: pulumi.Output[str] = root.metadata.name
        self.credentials_secret_name: pulumi.Output[str] = mlflow.metadata.name
        self.access_key_id: str = MLFLOW_USER
        self.secret_access_key: pulumi.Output[str] = pulumi.Output.secret(mlflow_key.result)
        self.register_outputs(
            {
                "access_key_id": self.access_key_id,
                "secret_access_key": self.secret_access_key,
                "endpoint": self.endpoint,
                "bucket_names": self.bucket_names,
                "artifacts_uri": self.artifacts_uri,
                "root_secret_name": self.root_secret_name,
                "credentials_secret_name": self.credentials_secret_name,
            }
        )
