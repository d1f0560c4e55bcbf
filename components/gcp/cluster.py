"""A private GKE Standard cluster: Workload Identity, shielded nodes, Dataplane V2, KMS-encrypted secrets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts, stateful_opts
from ._util import account_id, role_slug

TOKEN = "mlstack:gcp:Cluster"

#: Least privilege for node VMs: write logs and metrics, read metrics (for the metrics agent), pull images.
NODE_ROLES = (
    "roles/artifactregistry.reader",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
)
DEFAULT_LOGGING = ("APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "SYSTEM_COMPONENTS", "WORKLOADS")
DEFAULT_MONITORING = ("APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "SYSTEM_COMPONENTS")


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """Inputs of :class:`Cluster`.

    Attributes:
        project_id: the GCP project.
        region: the cluster's location (a regional cluster: control plane replicated across zones).
        cluster_name: the GKE cluster's name (at most 40 characters); default ``None``: Pulumi's auto-name
            (``<component>-gke-<7 random chars>``), which a long component name can push over the limit.
        network: the VPC's id or self link. ``None`` only when :class:`GcpEnvironment` fills it in.
        subnetwork: the subnet's self link. ``None`` only when :class:`GcpEnvironment` fills it in.
        pods_range_name: the subnet's secondary range for pods. Default ``None`` (filled by the environment).
        services_range_name: the subnet's secondary range for services. Default ``None`` (likewise).
        endpoint: ``private`` (default: the control plane has only a private endpoint) or ``public`` (a public
            endpoint limited to ``authorized_cidrs``; nodes stay private either way).
        authorized_cidrs: CIDRs allowed to reach the control plane; required when ``endpoint`` is public.
        master_ipv4_cidr_block: the /28 the control plane's VPC peering uses. Default ``172.16.0.0/28``.
        release_channel: ``RAPID`` | ``REGULAR`` | ``STABLE`` | ``EXTENDED``. Default ``REGULAR``. ``None``
            pins instead: channel ``UNSPECIFIED`` and ``min_master_version`` = ``kubernetes_version`` (then
            required), so that upgrades happen only when the spec's ``versions.kubernetes`` changes.
        kubernetes_version: e.g. ``"1.31"``, or a full GKE version (``"1.36.2-gke.1000000"``, a lock's). With a
            release channel it is the minimum version; without one, the pin.
        secrets_key_rotation_days: rotation period of the Cloud KMS key encrypting Kubernetes secrets. Default 90.
        logging_components: Cloud Logging components. Default system, API server, scheduler, controller
            manager and workloads.
        monitoring_components: Cloud Monitoring components. Default system, API server, scheduler, controller manager.
        gpu_metrics: add GKE's managed DCGM metrics collection (monitoring component ``DCGM``) for the GPU
            nodes, scraped into Managed Service for Prometheus. Default False.
        lustre_csi_driver: turn on GKE's managed Lustre CSI driver add-on (the scratch tier's Managed Lustre
            instance is mounted through it). Default False.
        gateway_api: turn on GKE's Gateway API (channel ``CHANNEL_STANDARD``: the standard CRDs and GKE's
            GatewayClasses, e.g. ``gke-l7-rilb``); default False.
        protect: ``deletion_protection`` on the cluster, and Pulumi ``protect`` + ``retain_on_delete`` on it
            and on the secrets key. Default False.
        labels: resource labels on the cluster and the key.
    """

    project_id: str
    region: str
    cluster_name: str | None = None
    network: pulumi.Input[str] | None = None
    subnetwork: pulumi.Input[str] | None = None
    pods_range_name: pulumi.Input[str] | None = None
    services_range_name: pulumi.Input[str] | None = None
    endpoint: Literal["private", "public"] = "private"
    authorized_cidrs: tuple[str, ...] = ()
    master_ipv4_cidr_block: str = "172.16.0.0/28"
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "EXTENDED"] | None = "REGULAR"
    kubernetes_version: str | None = None
    secrets_key_rotation_days: int = 90
    logging_components: tuple[str, ...] = DEFAULT_LOGGING
    monitoring_components: tuple[str, ...] = DEFAULT_MONITORING
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    lustre_csi_driver: bool = False
    gateway_api: bool = False
    gpu_metrics: bool = False


class Cluster(pulumi.ComponentResource):
    """GKE Standard with its default node pool removed: node pools are separate components.

    Also creates the node service account every pool shares (least privilege, :data:`NODE_ROLES`) and the
    KMS key ring + key for application-layer secrets encryption with the GKE service agent's grant on it.

    Outputs:
        cluster_name, endpoint, ca_certificate, kubeconfig (secret), workload_pool,
        node_service_account_email, master_version (the control plane's full version: what a lock records).
    """

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.network is None or args.subnetwork is None:
            raise ValueError(f"cluster {name}: network and subnetwork are required")
        if args.pods_range_name is None or args.services_range_name is None:
            raise ValueError(f"cluster {name}: pods_range_name and services_range_name are required")
        if args.endpoint == "public" and not args.authorized_cidrs:
            raise ValueError(f"cluster {name}: a public endpoint needs authorized_cidrs")
        if args.release_channel is None and not args.kubernetes_version:
            raise ValueError(f"cluster {name}: without a release channel, kubernetes_version pins the version")
        p = args.project_id
        labels = dict(sorted(args.labels.items()))

        node_sa = gcp.serviceaccount.Account(
            f"{name}-nodes",
            project=p,
            account_id=account_id(name, "nodes"),
            display_name=f"GKE nodes of {name}",
            opts=child_opts(self),
        )
        for role in NODE_ROLES:
            gcp.projects.IAMMember(
                f"{name}-nodes-{role_slug(role)}",
                project=p,
                role=role,
                member=node_sa.member,
                opts=child_opts(self),
            )

        key_ring = gcp.kms.KeyRing(f"{name}-keyring", project=p, location=args.region, opts=child_opts(self))
        key = gcp.kms.CryptoKey(
            f"{name}-secrets-key",
            key_ring=key_ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=f"{args.secrets_key_rotation_days * 86400}s",
            labels=labels,
            # Losing the key makes every Kubernetes secret of the cluster unreadable.
            opts=stateful_opts(self, args.protect),
        )
        project = gcp.organizations.get_project_output(project_id=p, opts=pulumi.InvokeOutputOptions(parent=self))
        grant = gcp.kms.CryptoKeyIAMMember(
            f"{name}-secrets-key-gke",
            crypto_key_id=key.id,
            role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member=project.number.apply(lambda n: f"serviceAccount:service-{n}@container-engine-robot.iam.gserviceaccount.com"),
            opts=child_opts(self),
        )

        workload_pool = f"{p}.svc.id.goog"
        channel = args.release_channel or "UNSPECIFIED"
        cluster = gcp.container.Cluster(
            f"{name}-gke",
            name=args.cluster_name,
            project=p,
            location=args.region,
            network=args.network,
            subnetwork=args.subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            # Pools are separate resources; the API still needs one node to create the cluster.
            remove_default_node_pool=True,
            initial_node_count=1,
            # The short-lived default pool is configured as safely as the real ones.
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=node_sa.email,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            ),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=args.endpoint == "private",
                master_ipv4_cidr_block=args.master_ipv4_cidr_block,
            ),
            # Always on: a private endpoint requires it, a public one is limited to these CIDRs.
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[
                    gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=c, display_name=f"allowed-{i}")
                    for i, c in enumerate(sorted(args.authorized_cidrs))
                ],
            ),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False
                )
            ),
            enable_legacy_abac=False,
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=workload_pool),
            enable_shielded_nodes=True,
            # Dataplane V2 (eBPF) enforces NetworkPolicy itself: the Calico addon must stay off.
            datapath_provider="ADVANCED_DATAPATH",
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                gcp_filestore_csi_driver_config=gcp.container.ClusterAddonsConfigGcpFilestoreCsiDriverConfigArgs(enabled=True),
                gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(
                    enabled=True
                ),
                # LNet on its standard port: clusters of the catalogue's minors (1.33.2+) need no legacy port.
                lustre_csi_driver_config=gcp.container.ClusterAddonsConfigLustreCsiDriverConfigArgs(
                    enabled=True, enable_legacy_lustre_port=False
                )
                if args.lustre_csi_driver
                else None,
            ),
            gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD") if args.gateway_api else None,
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=channel),
            min_master_version=args.kubernetes_version,
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=key.id),
            logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=list(args.logging_components)),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=list(args.monitoring_components) + (["DCGM"] if args.gpu_metrics else []),
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
            ),
            deletion_protection=args.protect,
            resource_labels=labels,
            opts=stateful_opts(
                self,
                args.protect,
                # The GKE service agent must hold the key before the cluster is created.
                depends_on=[grant],
                # The default pool is deleted right after creation: its settings would otherwise force a
                # replacement of the whole cluster when they change.
                ignore_changes=["nodeConfig", "initialNodeCount"],
            ),
        )

        self.cluster_name: pulumi.Output[str] = cluster.name
        self.endpoint: pulumi.Output[str] = cluster.endpoint
        self.ca_certificate: pulumi.Output[str] = cluster.master_auth.apply(lambda a: a.cluster_ca_certificate or "")
        self.workload_pool: str = workload_pool
        self.node_service_account_email: pulumi.Output[str] = node_sa.email
        self.master_version: pulumi.Output[str] = cluster.master_version
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, self.ca_certificate).apply(
                lambda v: kubeconfig(str(v[0]), str(v[1]), str(v[2]))
            )
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "ca_certificate": self.ca_certificate,
                "kubeconfig": self.kubeconfig,
                "workload_pool": self.workload_pool,
                "node_service_account_email": self.node_service_account_email,
                "master_version": self.master_version,
            }
        )


def kubeconfig(cluster_name: str, endpoint: str, ca_certificate: str) -> str:
    """A kubeconfig (JSON, which is YAML) that authenticates with ``gke-gcloud-auth-plugin``: no static token."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": cluster_name, "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_certificate}}
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                        }
                    },
                }
            ],
        },
        indent=2,
        sort_keys=True,
    )

