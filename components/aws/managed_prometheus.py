"""ManagedPrometheus: an Amazon Managed Service for Prometheus workspace and an agentless scraper of the cluster.

The scraper (an AMP managed collector) runs outside the cluster, in the cluster's private subnets, and reads
the DCGM exporters' ``/metrics`` through the Kubernetes API's service discovery: no Prometheus server, no
public endpoint. It authenticates as its own IAM role, which joins the cluster through an EKS access entry
with the user name ``aps-collector-user``; a ClusterRole grants that user read-only discovery and
``/metrics``, nothing else. The workspace is encrypted with a customer-managed key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._base import child_opts, stateful_opts
from ._util import kms_key, name_tags

TOKEN = "mlstack:aws:ManagedPrometheus"
COLLECTOR_USER = "aps-collector-user"


@dataclass(frozen=True, kw_only=True)
class ManagedPrometheusArgs:
    """Arguments of :class:`ManagedPrometheus`.

    Attributes:
        cluster_name: the EKS cluster (for the access entry).
        cluster_arn: its ARN (the scraper's source).
        subnet_ids: private subnets the scraper reaches the API server from.
        security_group_ids: security groups of the scraper (the cluster security group).
        namespaces: namespaces whose pods are scraped; default ``("gpu-telemetry",)``.
        app_label: the ``app.kubernetes.io/name`` of the pods scraped; default ``dcgm-exporter``.
        scrape_interval: default ``30s``.
        protect: protect and retain the workspace and its key (they hold the metrics history). Default False.
        tags: tags, merged with ``Name``.
    """

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: Sequence[pulumi.Input[str]]
    namespaces: Sequence[str] = ("gpu-telemetry",)
    app_label: str = "dcgm-exporter"
    scrape_interval: str = "30s"
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def scrape_configuration(args: ManagedPrometheusArgs) -> str:
    """The scraper's Prometheus configuration (JSON, which is YAML): the pods' ``metrics`` port, with the node
    name as a label so a GPU's series names its node."""
    label = "__meta_kubernetes_pod_label_app_kubernetes_io_name"
    config = {
        "global": {"scrape_interval": args.scrape_interval},
        "scrape_configs": [
            {
                "job_name": args.app_label,
                "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": sorted(args.namespaces)}}],
                "relabel_configs": [
                    {"source_labels": [label], "regex": args.app_label, "action": "keep"},
                    {"source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": "metrics", "action": "keep"},
                    {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
                ],
            }
        ],
    }
    return json.dumps(config, sort_keys=True)


class ManagedPrometheus(pulumi.ComponentResource):
    """Key, workspace, scraper, access entry and the collector's ClusterRole(Binding). Pass the cluster's
    Kubernetes provider in ``opts.providers``.

    Outputs: workspace_arn, workspace_endpoint (remote-write/query endpoint; private to the account), scraper_arn.
    """

    def __init__(self, name: str, args: ManagedPrometheusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        key = kms_key(
            f"{name}-key",
            self,
            description=f"Managed Prometheus workspace {name}",
            tags=args.tags,
            opts=stateful_opts(self, args.protect),
        )
        workspace = aws.amp.Workspace(
            name, alias=name, kms_key_arn=key.arn, tags=name_tags(args.tags, name), opts=stateful_opts(self, args.protect)
        )
        scraper = aws.amp.Scraper(
            f"{name}-scraper",
            alias=f"{name}-scraper",
            source=aws.amp.ScraperSourceArgs(
                eks=aws.amp.ScraperSourceEksArgs(
                    cluster_arn=args.cluster_arn,
                    subnet_ids=args.subnet_ids,
                    security_group_ids=list(args.security_group_ids),
                )
            ),
            destination=aws.amp.ScraperDestinationArgs(amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=workspace.arn)),
            scrape_configuration=scrape_configuration(args),
            tags=name_tags(args.tags, f"{name}-scraper"),
            opts=child_opts(self),
        )
        aws.eks.AccessEntry(
            f"{name}-scraper",
            cluster_name=args.cluster_name,
            principal_arn=scraper.role_arn,
            type="STANDARD",
            user_name=COLLECTOR_USER,
            tags=name_tags(args.tags, f"{name}-scraper"),
            opts=child_opts(self),
        )
        labels = {"app.kubernetes.io/managed-by": "mlstack", "app.kubernetes.io/component": "gpu-telemetry"}
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-collector",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlstack-aps-collector", labels=labels),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=[""], resources=["endpoints", "nodes", "nodes/metrics", "pods", "services"], verbs=["get", "list", "watch"]
                ),
                k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"]),
            ],
            opts=child_opts(self),
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-collector",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="mlstack-aps-collector", labels=labels),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name),
            subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="User", name=COLLECTOR_USER)],
            opts=child_opts(self),
        )
        self.workspace_arn: pulumi.Output[str] = workspace.arn
        self.workspace_endpoint: pulumi.Output[str] = workspace.prometheus_endpoint
        self.scraper_arn: pulumi.Output[str] = scraper.arn
        self.register_outputs(
            {"workspace_arn": workspace.arn, "workspace_endpoint": workspace.prometheus_endpoint, "scraper_arn": scraper.arn}
        )
