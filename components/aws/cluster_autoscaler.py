"""ClusterAutoscaler: scales the EKS managed node groups, from zero for accelerator pools.

Managed node groups only hold ``desiredSize`` (which mlstack leaves to the autoscaler through
``ignore_changes``); something must raise it when a GPU job is pending. The Cluster Autoscaler finds the
groups by the tags EKS puts on their Auto Scaling groups (``k8s.io/cluster-autoscaler/enabled`` and
``k8s.io/cluster-autoscaler/<cluster>``) and, scaling from zero, reads a group's labels and taints from the
EKS API (``eks:DescribeNodegroup``). It runs with an IRSA role that may change only this cluster's groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..k8s.hardening import NONROOT_UID, restricted_container, restricted_pod
from ..k8s.operator_release import image_values
from ._util import region_name
from .irsa_role import WorkloadRole, WorkloadRoleArgs

TOKEN = "mlstack:aws:ClusterAutoscaler"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"


@dataclass(frozen=True, kw_only=True)
class ClusterAutoscalerArgs:
    """Arguments of :class:`ClusterAutoscaler`.

    Attributes:
        cluster_name: the EKS cluster (its node groups' Auto Scaling groups carry its name in a tag).
        oidc_provider_arn: the cluster's IAM OIDC provider, for the IRSA role.
        oidc_provider_url: its issuer without ``https://``.
        chart_version: pinned ``cluster-autoscaler`` chart version (from the catalogue).
        image: the Cluster Autoscaler image, ``repository:tag``, of the release built for the cluster's Kubernetes
            minor (the autoscaler simulates that minor's scheduler). Required: the chart's default image is its
            app version, which lags the newest minor (chart 9.59.0 runs v1.35.0), so a cluster on another minor
            would run a mismatched autoscaler.
        chart_repository: the chart's Helm repository.
        scale_down_unneeded_minutes: how long a node stays unneeded before removal; default 10 (the
            autoscaler's own default), so idle GPU nodes stop costing within minutes.
        tags: tags for the IAM role.
    """

    cluster_name: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    chart_version: str
    image: str
    chart_repository: str = "https://kubernetes.github.io/autoscaler"
    scale_down_unneeded_minutes: int = 10
    tags: Mapping[str, str] = field(default_factory=dict)


def autoscaler_statements(cluster_name: pulumi.Input[str]) -> list[dict]:
    """Least privilege: describe anything (the APIs have no resource scope), change only this cluster's groups."""
    return [
        {
            "Sid": "Describe",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ScaleOwnGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": "*",
            # EKS tags every managed node group's Auto Scaling group with eks:cluster-name.
            "Condition": {"StringEquals": {"aws:ResourceTag/eks:cluster-name": cluster_name}},
        },
    ]


class ClusterAutoscaler(pulumi.ComponentResource):
    """The IRSA role and the Helm release. Pass the cluster's Kubernetes provider in ``opts.providers``.

    Outputs: role_arn, release_name.
    """

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        role = WorkloadRole(
            f"{name}-role",
            WorkloadRoleArgs(
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                policy_statements=autoscaler_statements(args.cluster_name),
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
                chart="cluster-autoscaler",
                version=args.chart_version,
                namespace=NAMESPACE,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                values={
                    "autoDiscovery": {"clusterName": args.cluster_name},
                    "awsRegion": region_name(self),
                    "cloudProvider": "aws",
                    "image": image_values(args.image),
                    "extraArgs": {
                        "balance-similar-node-groups": True,
                        "expander": "least-waste",
                        "scale-down-unneeded-time": f"{args.scale_down_unneeded_minutes}m",
                        "skip-nodes-with-system-pods": False,
                    },
                    "rbac": {
                        "serviceAccount": {
                            "name": SERVICE_ACCOUNT,
                            "annotations": {"eks.amazonaws.com/role-arn": role.role_arn},
                        }
                    },
                    "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
                    "containerSecurityContext": restricted_container(pod_level=False),
                    "securityContext": restricted_pod(uid=NONROOT_UID),
                },
            ),
            opts=child_opts(self),
        )
        self.role_arn: pulumi.Output[str] = role.role_arn
        self.release_name: pulumi.Output[str | None] = release.name
        self.register_outputs({"role_arn": self.role_arn, "release_name": self.release_name})
