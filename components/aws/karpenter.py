"""Karpenter: the node auto-provisioner of an EKS cluster (controller, its IAM, its nodes' role, interruptions).

Karpenter launches EC2 instances directly (EC2 Fleet) for pending pods, choosing among several instance types
and capacity types, and removes them when they empty. This component provisions what the controller needs;
the pools it launches are :class:`~mlstack.components.aws.karpenter_node_pool.KarpenterNodePool` objects.

- The controller's IAM role through IRSA (``kube-system/karpenter``), as every mlstack workload role. Its
  policy follows the controller policy Karpenter documents for v1: EC2 launches and deletions only of
  resources tagged for this cluster and a NodePool, instance profiles only for this cluster and region,
  ``iam:PassRole`` only of the node role and only to EC2, ``eks:DescribeCluster`` of this cluster, and the
  interruption queue. Describe calls are limited to the region (they have no resource scope).
- The role its nodes run as (EKS worker, CNI and ECR pull policies), joined to the cluster with an
  ``EC2_LINUX`` access entry; separate from the managed node groups' role so either can be removed alone.
- The interruption queue and its EventBridge rules (:class:`InterruptionQueue`).
- The pinned Helm release (chart from ``oci://public.ecr.aws/karpenter``; its CRDs ship with it). The chart's
  default affinity keeps the controller off the nodes it manages: it runs on a managed node group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..k8s.operator_release import image_values
from ._util import account_id, name_tags, partition, region_name, service_trust_policy
from .interruption_queue import InterruptionQueue, InterruptionQueueArgs
from .irsa_role import WorkloadRole, WorkloadRoleArgs

TOKEN = "mlstack:aws:Karpenter"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "karpenter"
#: Managed policies of the nodes Karpenter launches (no SSM: nothing on the node needs it).
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")


@dataclass(frozen=True, kw_only=True)
class KarpenterArgs:
    """Arguments of :class:`Karpenter`.

    Attributes:
        cluster_name: the EKS cluster.
        oidc_provider_arn: the cluster's IAM OIDC provider, for the controller's IRSA role.
        oidc_provider_url: its issuer without ``https://``.
        chart_version: pinned ``karpenter`` chart version (from the catalogue).
        chart_repository: the chart's OCI repository; default ``oci://public.ecr.aws/karpenter``.
        image: the controller's image, ``<repository>:<tag>`` (catalogue pin: the chart's own default at the
            pinned version). Set, it becomes ``controller.image`` with the chart's own ``digest`` cleared: the
            plan names the image and mlstack's lock supplies the digest (``up`` resolves it from the registry,
            ``up --locked`` deploys the locked one), so a lock holds Karpenter's digest like every image's.
            Default None: the chart's image, pinned by the digest in the chart's values (not in any lock).
        replicas: controller replicas; default 2 (leader election; one survives a node loss).
        node_repair: turn on Karpenter's node repair (feature gate ``nodeRepair``, alpha): Karpenter replaces
            a node whose health conditions (``Ready``, and the ``eks-node-monitoring-agent``'s such as
            ``AcceleratedHardwareReady``) stay unhealthy past their toleration, unless over 20% of a NodePool's
            nodes are unhealthy at once. Default False.
        tags: tags for the IAM roles, queue and rules.
    """

    cluster_name: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    chart_version: str
    chart_repository: str = "oci://public.ecr.aws/karpenter"
    image: str | None = None
    replicas: int = 2
    node_repair: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


def controller_statements(
    cluster: str, part: str, region: str, account: str, node_role_arn: str, queue_arn: str
) -> list[dict[str, Any]]:
    """The controller's least-privilege statements for ``cluster`` (plain values; see the module docstring)."""
    ec2 = f"arn:{part}:ec2:{region}"
    owned = {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    request = {f"aws:RequestTag/kubernetes.io/cluster/{cluster}": "owned", "aws:RequestTag/eks:eks-cluster-name": cluster}
    launched = [f"{ec2}:*:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")]
    profile = f"arn:{part}:iam::{account}:instance-profile/*"
    region_tag = {"aws:ResourceTag/topology.kubernetes.io/region": region}
    return [
        {
            "Sid": "LaunchFromSharedResources",
            "Effect": "Allow",
            "Action": ["ec2:CreateFleet", "ec2:RunInstances"],
            "Resource": [f"{ec2}::image/*", f"{ec2}::snapshot/*"]
            + [f"{ec2}:*:{kind}/*" for kind in ("security-group", "subnet", "capacity-reservation", "placement-group")],
        },
        {
            "Sid": "LaunchFromOwnTemplates",
            "Effect": "Allow",
            "Action": ["ec2:CreateFleet", "ec2:RunInstances"],
            "Resource": f"{ec2}:*:launch-template/*",
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "CreateTaggedForCluster",
            "Effect": "Allow",
            "Action": ["ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:RunInstances"],
            "Resource": launched,
            "Condition": {"StringEquals": request, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": launched,
            "Condition": {
                "StringEquals": {**request, "ec2:CreateAction": ["CreateFleet", "CreateLaunchTemplate", "RunInstances"]},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "TagOwnInstances",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": f"{ec2}:*:instance/*",
            "Condition": {
                "StringEquals": owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["Name", "eks:eks-cluster-name", "karpenter.sh/nodeclaim"]},
            },
        },
        {
            "Sid": "DeleteOwn",
            "Effect": "Allow",
            "Action": ["ec2:DeleteLaunchTemplate", "ec2:TerminateInstances"],
            "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
            "Condition": {"StringEquals": owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "PassNodeRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": node_role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        },
        {
            "Sid": "CreateInstanceProfiles",
            "Effect": "Allow",
            "Action": "iam:CreateInstanceProfile",
            "Resource": profile,
            "Condition": {
                "StringEquals": {**request, "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "TagInstanceProfiles",
            "Effect": "Allow",
            "Action": "iam:TagInstanceProfile",
            "Resource": profile,
            "Condition": {
                "StringEquals": {**owned, **region_tag, **request, "aws:RequestTag/topology.kubernetes.io/region": region},
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "ManageInstanceProfiles",
            "Effect": "Allow",
            "Action": ["iam:AddRoleToInstanceProfile", "iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile"],
            "Resource": profile,
            "Condition": {
                "StringEquals": {**owned, **region_tag},
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {"Sid": "ReadInstanceProfiles", "Effect": "Allow", "Action": "iam:GetInstanceProfile", "Resource": profile},
        {"Sid": "ListInstanceProfiles", "Effect": "Allow", "Action": "iam:ListInstanceProfiles", "Resource": "*"},
        {
            "Sid": "DescribeCluster",
            "Effect": "Allow",
            "Action": "eks:DescribeCluster",
            "Resource": f"arn:{part}:eks:{region}:{account}:cluster/{cluster}",
        },
        {
            "Sid": "ReadInterruptionQueue",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            "Resource": queue_arn,
        },
        {
            "Sid": "DescribeRegion",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstances",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "ReadPublicAmiParameters",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:{part}:ssm:{region}::parameter/aws/service/*",
        },
        {"Sid": "ReadPrices", "Effect": "Allow", "Action": "pricing:GetProducts", "Resource": "*"},
    ]


def controller_image(image: str) -> dict[str, str]:
    """``controller.image`` of a pinned ``repository:tag``: the chart joins ``repository:tag@digest`` when its
    ``digest`` is set, ``repository:tag`` when empty; mlstack's lock appends the digest to the tag instead."""
    values = image_values(image)
    return {"repository": values["repository"], "tag": values["tag"], "digest": ""}


#: How many statements :func:`controller_statements` returns (the IRSA role takes them one by one).
_STATEMENTS = len(controller_statements("c", "aws", "r", "a", "n", "q"))


class Karpenter(pulumi.ComponentResource):
    """Node role + access entry, interruption queue, controller IRSA role, Helm release. Pass the cluster's
    Kubernetes provider in ``opts.providers``.

    Outputs: node_role_name, node_role_arn, controller_role_arn, queue_name, release_name.
    """

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        node_role = aws.iam.Role(
            f"{name}-node",
            description="Nodes launched by Karpenter",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=name_tags(args.tags, f"{name}-node"),
            opts=child_opts(self),
        )
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=partition(self).apply(lambda p, policy=policy: f"arn:{p}:iam::aws:policy/{policy}"),
                opts=child_opts(self),
            )
        aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=args.cluster_name,
            principal_arn=node_role.arn,
            type="EC2_LINUX",  # EKS adds the node groups' system:nodes binding for this role
            tags=name_tags(args.tags, f"{name}-node"),
            opts=child_opts(self),
        )
        queue = InterruptionQueue(f"{name}-interruption", InterruptionQueueArgs(tags=args.tags), opts=child_opts(self))
        context = pulumi.Output.all(
            args.cluster_name, partition(self), region_name(self), account_id(self), node_role.arn, queue.queue_arn
        )
        statements = [context.apply(lambda v, i=i: controller_statements(*v)[i]) for i in range(_STATEMENTS)]
        controller = WorkloadRole(
            f"{name}-controller",
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
                chart=f"{args.chart_repository.rstrip('/')}/karpenter",
                version=args.chart_version,
                namespace=NAMESPACE,
                values={
                    "replicas": args.replicas,
                    "settings": {
                        "clusterName": args.cluster_name,
                        "interruptionQueue": queue.queue_name,
                        **({"featureGates": {"nodeRepair": True}} if args.node_repair else {}),
                    },
                    "serviceAccount": {
                        "name": SERVICE_ACCOUNT,
                        "annotations": {"eks.amazonaws.com/role-arn": controller.role_arn},
                    },
                    # Karpenter's documented sizing for a cluster of a few hundred nodes; memory limit = request.
                    "controller": {
                        "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "1Gi"}},
                        **({"image": controller_image(args.image)} if args.image else {}),
                    },
                },
            ),
            opts=child_opts(self),
        )
        self.node_role_name: pulumi.Output[str] = node_role.name
        self.node_role_arn: pulumi.Output[str] = node_role.arn
        self.controller_role_arn: pulumi.Output[str] = controller.role_arn
        self.queue_name: pulumi.Output[str] = queue.queue_name
        self.release_name: pulumi.Output[str | None] = release.name
        self.register_outputs(
            {
                "node_role_name": self.node_role_name,
                "node_role_arn": self.node_role_arn,
                "controller_role_arn": self.controller_role_arn,
                "queue_name": self.queue_name,
                "release_name": self.release_name,
            }
        )
