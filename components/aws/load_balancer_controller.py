"""LoadBalancerController: the AWS Load Balancer Controller, which turns an Ingress of class ``alb`` into an ALB.

EKS runs no Ingress controller of its own: without this one an Ingress of class ``alb`` stays without an
address. The controller runs in ``kube-system`` under an IRSA role whose policy is the project's documented one
(handed in by the caller from the catalogue, with the partition filled in here). It is told its region and VPC
so it needs no instance metadata (EKS nodes answer IMDSv2 with a hop limit that pods cannot reach), and its
Service webhook is off: Services of type LoadBalancer keep the in-tree controller's behaviour (the
``internal-load-balancer`` mode's annotations), only Ingresses (and Gateways) are the controller's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..k8s.hardening import NONROOT_UID, restricted_container, restricted_pod
from ..k8s.operator_release import image_values
from ._util import partition, region_name
from .irsa_role import WorkloadRole, WorkloadRoleArgs

TOKEN = "mlstack:aws:LoadBalancerController"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
#: The IngressClass the chart creates (``ingressClass`` value); the AWS pack's default class for ``ingress``.
INGRESS_CLASS = "alb"
#: Stands for the provider's partition in ``policy_statements`` (``arn:${partition}:ec2:*:*:security-group/*``).
PARTITION_VARIABLE = "${partition}"


@dataclass(frozen=True, kw_only=True)
class LoadBalancerControllerArgs:
    """Arguments of :class:`LoadBalancerController`.

    Attributes:
        cluster_name: the EKS cluster (the controller tags what it creates with it and finds its subnets by it).
        vpc_id: the cluster's VPC (set so the controller does not ask instance metadata).
        oidc_provider_arn: the cluster's IAM OIDC provider, for the IRSA role.
        oidc_provider_url: its issuer without ``https://``.
        chart_version: the pinned ``aws-load-balancer-controller`` chart version (from the catalogue).
        image: the controller image, ``repository:tag`` (or ``@digest`` once locked), from the catalogue.
        policy_statements: the controller's IAM policy statements (the catalogue's ``IamPolicy.document``), with
            ``PARTITION_VARIABLE`` where an ARN names the partition: filled in from the provider (``aws``,
            ``aws-cn``, ``aws-us-gov``).
        chart_repository: the chart's Helm repository; default ``https://aws.github.io/eks-charts``.
        replicas: controller replicas (leader election: one reconciles, the other takes over); default 2.
        tags: tags for the IAM role.
    """

    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    chart_version: str
    image: str
    policy_statements: Sequence[Mapping[str, Any]]
    chart_repository: str = "https://aws.github.io/eks-charts"
    replicas: int = 2
    tags: Mapping[str, str] = field(default_factory=dict)


class LoadBalancerController(pulumi.ComponentResource):
    """The IRSA role and the Helm release. Pass the cluster's Kubernetes provider in ``opts.providers``.

    Outputs: role_arn, release_name, ingress_class.
    """

    def __init__(self, name: str, args: LoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        part = partition(self)
        statements = [
            part.apply(lambda p, text=json.dumps(s, sort_keys=True): json.loads(text.replace(PARTITION_VARIABLE, p)))
            for s in args.policy_statements
        ]
        role = WorkloadRole(
            f"{name}-role",
            WorkloadRoleArgs(
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                policy_statements=statements,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_provider_url=args.oidc_provider_url,
                tags=dict(args.tags),
            ),
            opts=child_opts(self),
        )
        release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name=SERVICE_ACCOUNT,
                chart="aws-load-balancer-controller",
                version=args.chart_version,
                namespace=NAMESPACE,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                values={
                    "clusterName": args.cluster_name,
                    "region": region_name(self),
                    "vpcId": args.vpc_id,
                    "image": image_values(args.image),
                    "replicaCount": args.replicas,
                    "ingressClass": INGRESS_CLASS,
                    "enableServiceMutatorWebhook": False,
                    "serviceAccount": {
                        "create": True,
                        "name": SERVICE_ACCOUNT,
                        "annotations": {"eks.amazonaws.com/role-arn": role.role_arn},
                    },
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                    "securityContext": restricted_container(pod_level=False),
                    "podSecurityContext": restricted_pod(uid=NONROOT_UID),
                },
            ),
            opts=child_opts(self),
        )
        self.role_arn: pulumi.Output[str] = role.role_arn
        self.release_name: pulumi.Output[str | None] = release.name
        self.ingress_class: str = INGRESS_CLASS
        self.register_outputs({"role_arn": self.role_arn, "release_name": self.release_name,
                               "ingress_class": self.ingress_class})
