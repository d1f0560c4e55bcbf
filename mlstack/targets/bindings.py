"""Between a target and the platform layer, both ways: the platform's ``Identities`` go to the target, which binds
them to its cloud's identities, and the target's ``Bindings`` (carrying those identities) come back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from mlstack.components.contract import CI_NAMESPACE, CI_SERVICE_ACCOUNT, MLFLOW_NAMESPACE, MLFLOW_SERVICE_ACCOUNT


@dataclass(frozen=True)
class Identities:
    """The Kubernetes identities the platform layer creates and a target binds to cloud identities: defined once
    (``mlstack.engine.plan.platform.identities``), handed to the target's ``provision`` and returned in its
    ``Bindings``, so the ServiceAccount the platform creates is the one the cloud role trusts.

    Attributes:
        mlflow_namespace: the MLflow server's namespace (the teams' NetworkPolicies allow egress to it).
        mlflow_service_account: the ServiceAccount MLflow runs as (AWS: trusted by its IRSA role; GCP: bound to its
            Google service account through Workload Identity).
        ci_namespace: the CI ServiceAccount's namespace.
        ci_service_account: the ServiceAccount CI acts as in the cluster.
    """

    mlflow_namespace: str = MLFLOW_NAMESPACE
    mlflow_service_account: str = MLFLOW_SERVICE_ACCOUNT
    ci_namespace: str = CI_NAMESPACE
    ci_service_account: str = CI_SERVICE_ACCOUNT


@dataclass(frozen=True)
class MlflowAccess:
    """A target's internal endpoints for MLflow (``tracking.access``).

    Attributes:
        load_balancer_annotations: on the Service of type LoadBalancer, making its load balancer internal.
        ingress_annotations: on the Ingress, making its load balancer internal.
        ingress_class: the default IngressClass, or None where the controller is chosen by annotation.
        ingress_source_annotation: the Ingress annotation that limits who may connect to its load balancer,
            set to the comma-separated ``source_cidrs`` (AWS: ``alb.ingress.kubernetes.io/inbound-cidrs``, whose
            default is 0.0.0.0/0); None where the target has none.
        proxy_cidrs: networks the target's proxies connect to MLflow's pods from with an Ingress or Gateway (GKE:
            the proxy-only subnet); MLflow's NetworkPolicy admits them next to ``source_cidrs``.
        gateway_class: the default GatewayClass of an internal Gateway (mode gateway), or None where the spec
            must name one.
        backend_policy: a policy object the target's Gateway controller reads for MLflow's Service (``apiVersion``,
            ``kind``, ``spec`` without ``targetRef``; GKE: a HealthCheckPolicy on ``/health``); None: none.
    """

    load_balancer_annotations: dict[str, str] = field(default_factory=dict)
    ingress_annotations: dict[str, str] = field(default_factory=dict)
    ingress_class: str | None = None
    ingress_source_annotation: str | None = None
    proxy_cidrs: tuple[str, ...] = ()
    gateway_class: str | None = None
    backend_policy: dict[str, Any] | None = None


@dataclass
class Bindings:
    """Target-bound inputs of the platform layer.

    Attributes:
        provider: the Kubernetes provider, when the target made one already (onprem); else one is built
            from ``kubeconfig``.
        kubeconfig: kubeconfig of the cluster (secret), or None to use ``kube_context``.
        kube_context: onprem: the kubeconfig context of the existing cluster.
        storage_provisioner: CSI driver / provisioner of the ``shared`` StorageClass.
        storage_parameters: its StorageClass parameters.
        artifacts_uri: MLflow's artifact destination (s3://, gs://).
        database_uri: MLflow's backend store URI (secret).
        mlflow_annotations: ServiceAccount annotations binding MLflow to a cloud identity.
        mlflow_env: extra environment for MLflow (e.g. the object store's endpoint on onprem).
        mlflow_secret_env: extra secret environment for MLflow (e.g. the object store's credentials).
        mlflow_python_hooks: Python start-up modules for MLflow's pod, file name -> source (AWS: the reader
            of the rotating RDS-managed password).
        mlflow_access: what makes MLflow's laptop endpoint internal on this target (``tracking.access``).
        ci_annotations: annotations of the CI ServiceAccount.
        ci_groups: Kubernetes groups the cloud maps the CI identity to (bound to the CI Role).
        ci_users: Kubernetes user names of the CI identity (GKE: the CI service account's e-mail).
        registry_host: where images are pushed.
        gpu_device_plugin: the platform layer installs the NVIDIA device plugin (or GPU operator) for GPU pools;
            False where the target's node images bring their own (GKE installs it with the driver: a second one
            would register the same nvidia.com/gpu resource twice).
        gpu_telemetry: the platform layer runs the DCGM exporter on GPU nodes; False where the cloud collects
            GPU metrics itself (GKE's managed DCGM collection).
        team_members_as_users: a team's members are bound as Kubernetes RBAC users; False where the target maps
            them to the team's group itself (EKS access entries).
        ci_issue_token: the CI ServiceAccount gets a long-lived token (no cloud OIDC trust to log in with).
        identities: the platform identities the target bound (those it was handed).
        node_fabric: accelerator pool -> the fabric devices each of its nodes offers, resource -> count (AWS:
            the EFA interfaces of a multi-node pool); the pool's training runtime requests them all.
        scratch_source: the ``scratch`` volume's source (``ScratchStorageArgs`` fields: ``csi_driver``,
            ``volume_handle``, ``volume_attributes``, ``mount_options``, or ``nfs_server`` and ``nfs_path``); None
            without a scratch tier.
        outputs: stack outputs of the target (exported as they are).
        depends_on: resources the platform layer must wait for (node pools, CSI drivers).
    """

    storage_provisioner: str
    storage_parameters: dict[str, Any]
    artifacts_uri: pulumi.Input[str]
    database_uri: pulumi.Input[str]
    provider: pulumi.ProviderResource | None = None
    kubeconfig: pulumi.Input[str] | None = None
    kube_context: str | None = None
    mlflow_annotations: dict[str, Any] = field(default_factory=dict)
    mlflow_env: dict[str, Any] = field(default_factory=dict)
    mlflow_secret_env: dict[str, Any] = field(default_factory=dict)
    mlflow_python_hooks: dict[str, str] = field(default_factory=dict)
    mlflow_access: MlflowAccess = field(default_factory=lambda: MlflowAccess())
    ci_annotations: dict[str, Any] = field(default_factory=dict)
    ci_groups: list[str] = field(default_factory=list)
    ci_users: list[pulumi.Input[str]] = field(default_factory=list)
    registry_host: pulumi.Input[str] | None = None
    gpu_device_plugin: bool = True
    gpu_telemetry: bool = True
    team_members_as_users: bool = True
    ci_issue_token: bool = False
    identities: Identities = field(default_factory=Identities)
    node_fabric: dict[str, dict[str, int]] = field(default_factory=dict)
    scratch_source: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def cluster_provider(
    prefix: str,
    *,
    kubeconfig: pulumi.Input[str] | None = None,
    context: str | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> pulumi.ProviderResource:
    """The explicit Kubernetes provider every object on the cluster uses (never the ambient kubeconfig).

    Server-side apply lets the cluster's other field managers (controllers, operators) own their fields.
    """
    import pulumi_kubernetes as k8s

    return k8s.Provider(
        f"{prefix}-k8s",
        kubeconfig=kubeconfig,
        context=context,
        enable_server_side_apply=True,
        opts=pulumi.ResourceOptions(depends_on=depends_on or None),
    )
