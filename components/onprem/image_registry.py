"""A container image registry on the on-premise target: CNCF Distribution (``registry``), rendered here.

Why Distribution rather than Harbor: ECR and Artifact Registry give the other targets a place to push
the trainer and serving images; Distribution does exactly that with one small, stateless image and one
volume, every pod field under our control (so it is hardened like the rest of mlstack). Harbor brings
a UI, projects, replication, vulnerability scanning and OIDC, at the price of about ten pods (core,
jobservice, portal, its own PostgreSQL and Redis, Trivy) to run and upgrade. Where a cluster already
runs Harbor, point the platform at it instead (``host`` is just a string to its consumers).

Security: htpasswd authentication is on (an unauthenticated registry lets any pod in the cluster
replace an image the platform runs). The password is generated, its bcrypt hash is what the registry
holds, and the plain credentials are in a ``kubernetes.io/basic-auth`` Secret for CI and pull secrets.

Reachability, outside Pulumi's reach: kubelets pull through the node's own resolver and container
runtime, not cluster DNS. For nodes to pull from it, the cluster admin exposes it under a name the
nodes resolve with a certificate they trust (an Ingress with TLS, or a NodePort plus a containerd
``hosts.toml`` mirror entry) and passes that name as ``external_host``.
"""

from __future__ import annotations

from dataclasses import dataclass

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

TOKEN = "mlstack:k8s:ImageRegistry"
PORT = 5000
DATA_PATH = "/var/lib/registry"
USERNAME = "mlstack"


@dataclass(frozen=True, kw_only=True)
class ImageRegistryArgs:
    """Inputs of :class:`ImageRegistry`.

    Attributes:
        namespace: namespace of the registry (must exist).
        image: pinned Distribution image, e.g. "registry:3.0.0" (the tag must not be "latest").
        name: name of the Deployment, Service, PVC and Secrets; "registry".
        size_gib: size of the image storage PVC in GiB; 200.
        storage_class: StorageClass of the PVC; None uses the cluster's default class.
        cpu: CPU request and limit; "250m".
        memory: memory request and limit; "512Mi".
        external_host: the host[:port] nodes and CI push to and pull from, once the admin exposed the
            registry (see the module docstring); None reports the in-cluster Service name.
        protect: protect and retain the PVC and credentials. Default off.
    """

    namespace: pulumi.Input[str]
    image: str
    name: str = "registry"
    size_gib: int = 200
    storage_class: str | None = None
    cpu: str = "250m"
    memory: str = "512Mi"
    external_host: str | None = None
    protect: bool = False


class ImageRegistry(pulumi.ComponentResource):
    """Distribution with htpasswd auth on a PVC, one replica, a ClusterIP Service.

    Outputs:
        host: ``external_host`` or ``<name>.<ns>.svc.cluster.local:5000``.
        internal_host: ``<name>.<ns>.svc.cluster.local:5000``.
        credentials_secret_name: the ``kubernetes.io/basic-auth`` Secret (``username``/``password``).
        username: the registry user.
        password: the registry user's password (secret).
    """

    def __init__(self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        pinned_image(args.image, "registry image")
        super().__init__(TOKEN, name, None, opts)
        labels = MLSTACK_LABELS("registry", component="image-registry")
        selector = selector_labels("registry", component="image-registry")

        def meta(suffix: str = "") -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=f"{args.name}{suffix}", namespace=args.namespace, labels=labels)

        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=stateful_opts(self, args.protect))
        # Signs upload state; must be stable across restarts or in-flight pushes fail.
        http_secret = random.RandomPassword(f"{name}-http-secret", length=32, special=False, opts=stateful_opts(self, args.protect))
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=meta("-credentials"),
            type="kubernetes.io/basic-auth",
            string_data={"username": USERNAME, "password": password.result},
            opts=stateful_opts(self, args.protect),
        )
        auth = k8s.core.v1.Secret(
            f"{name}-auth",
            metadata=meta("-auth"),
            type="Opaque",
            string_data={
                "htpasswd": pulumi.Output.concat(USERNAME, ":", password.bcrypt_hash, "\n"),
                "http-secret": http_secret.result,
            },
            opts=stateful_opts(self, args.protect),
        )
        pvc = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data",
            metadata=meta("-data"),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=args.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": f"{args.size_gib}Gi"}),
            ),
            opts=stateful_opts(self, args.protect),
        )

        tmp, tmp_mount = tmp_volume()
        env = {
            "REGISTRY_HTTP_ADDR": f":{PORT}",
            "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": DATA_PATH,
            "REGISTRY_STORAGE_DELETE_ENABLED": "true",
            "REGISTRY_AUTH": "htpasswd",
            "REGISTRY_AUTH_HTPASSWD_REALM": "mlstack",
            "REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd",
        }
        env_vars = [k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in sorted(env.items())]
        env_vars.append(
            k8s.core.v1.EnvVarArgs(
                name="REGISTRY_HTTP_SECRET",
                value_from=k8s.core.v1.EnvVarSourceArgs(
                    secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=auth.metadata.name, key="http-secret")
                ),
            )
        )
        # /v2/ answers 401 with auth on, which probes count as failure: probe the TCP port instead.
        probe = k8s.core.v1.ProbeArgs(tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="http"), period_seconds=10)
        container = k8s.core.v1.ContainerArgs(
            name="registry",
            image=args.image,
            image_pull_policy="IfNotPresent",
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT, protocol="TCP")],
            env=env_vars,
            volume_mounts=[
                k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_PATH),
                k8s.core.v1.VolumeMountArgs(name="auth", mount_path="/auth", read_only=True),
                tmp_mount,
            ],
            security_context=container_security_context(),
            resources=resources(args.cpu, args.memory),
            readiness_probe=probe,
            liveness_probe=k8s.core.v1.ProbeArgs(
                tcp_socket=k8s.core.v1.TCPSocketActionArgs(port="http"), period_seconds=20, failure_threshold=3
            ),
        )
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=meta(),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                # One RWO volume: the old pod must release it before the new one mounts it.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate"),
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        security_context=pod_security_context(),
                        containers=[container],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="data",
                                persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=pvc.metadata.name),
                            ),
                            k8s.core.v1.VolumeArgs(
                                name="auth",
                                secret=k8s.core.v1.SecretVolumeSourceArgs(
                                    secret_name=auth.metadata.name,
                                    items=[k8s.core.v1.KeyToPathArgs(key="htpasswd", path="htpasswd")],
                                ),
                            ),
                            tmp,
                        ],
                    ),
                ),
            ),
            opts=child_opts(self),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta(),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector,
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http", protocol="TCP")],
            ),
            opts=child_opts(self),
        )

        self.internal_host: pulumi.Output[str] = pulumi.Output.all(service.id, args.namespace).apply(
            lambda v: f"{args.name}.{v[1]}.svc.cluster.local:{PORT}"
        )
        external = args.external_host
        self.host: pulumi.Output[str] = service.id.apply(lambda _: external) if external else self.internal_host
        self.credentials_secret_name: pulumi.Output[str] = credentials.metadata.name
        self.username: str = USERNAME
        self.password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        self.register_outputs(
            {
                "password": self.password,
                "username": self.username,
                "host": self.host,
                "internal_host": self.internal_host,
                "credentials_secret_name": self.credentials_secret_name,
            }
        )
