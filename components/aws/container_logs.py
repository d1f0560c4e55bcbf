"""ContainerLogs: where the ``amazon-cloudwatch-observability`` EKS add-on ships the cluster's container logs.

The add-on (made by :class:`AwsEnvironment` through ``EksAddons.add``, eks_addons.py, at its locked version) runs
Fluent Bit, which sends every container's stdout and stderr (MLflow's access log among them) to
``/aws/containerinsights/<cluster>/application``, node logs to ``host`` and ``dataplane``, and the CloudWatch
agent, whose Container Insights data goes to ``performance``. Fluent Bit creates a missing group itself, unencrypted and kept forever: here every group is made
first, encrypted with a customer-managed key that only CloudWatch Logs may use for these groups, with the spec's
retention. The add-on's service account (``amazon-cloudwatch/cloudwatch-agent``) gets an IRSA role that may write
to these groups only (no ``logs:CreateLogGroup``, no retention changes) and put metrics in the
``ContainerInsights`` namespace only, instead of the broad AWS-managed ``CloudWatchAgentServerPolicy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import account_id, kms_key, logs_key_policy, name_tags, partition, policy_output, region_name
from .irsa_role import WorkloadRole, WorkloadRoleArgs

TOKEN = "mlstack:aws:ContainerLogs"
ADDON = "amazon-cloudwatch-observability"
NAMESPACE = "amazon-cloudwatch"
SERVICE_ACCOUNT = "cloudwatch-agent"
#: The log groups the add-on writes, under ``/aws/containerinsights/<cluster>/``.
GROUPS = ("application", "dataplane", "host", "performance")


@dataclass(frozen=True, kw_only=True)
class ContainerLogsArgs:
    """Arguments of :class:`ContainerLogs`.

    Attributes:
        cluster_name: the EKS cluster (the log groups are named after it). Filled in by AwsEnvironment.
        oidc_provider_arn: the cluster's IAM OIDC provider, for the IRSA role. Filled in by AwsEnvironment.
        oidc_provider_url: its issuer without ``https://``. Filled in by AwsEnvironment.
        retention_days: days CloudWatch keeps each group's events; default 90.
        protect: protect and retain the key and the groups (they hold the audit trail). Default False.
        tags: tags, merged with ``Name``.
    """

    cluster_name: pulumi.Input[str] | None = None
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_provider_url: pulumi.Input[str] | None = None
    retention_days: int = 90
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class ContainerLogs(pulumi.ComponentResource):
    """Key, log groups and the add-on's IRSA role (the add-on itself is the environment's).

    Outputs: role_arn, kms_key_arn, log_group_names (group -> name).
    """

    def __init__(self, name: str, args: ContainerLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.cluster_name is None or args.oidc_provider_arn is None or args.oidc_provider_url is None:
            raise ValueError(f"{name}: cluster_name, oidc_provider_arn and oidc_provider_url are required")
        account, region, part = account_id(self), region_name(self), partition(self)
        prefix = pulumi.Output.concat("/aws/containerinsights/", args.cluster_name)
        groups_arn = pulumi.Output.format("arn:{0}:logs:{1}:{2}:log-group:{3}/*", part, region, account, prefix)
        key = kms_key(
            f"{name}-key",
            self,
            description="CloudWatch Logs of the cluster's containers",
            tags=args.tags,
            policy=logs_key_policy(self, groups_arn),
            opts=stateful_opts(self, args.protect),
        )
        names: dict[str, pulumi.Output[str]] = {}
        for group in GROUPS:
            names[group] = aws.cloudwatch.LogGroup(
                f"{name}-{group}",
                name=pulumi.Output.concat(prefix, "/", group),
                retention_in_days=args.retention_days,
                kms_key_id=key.arn,
                tags=name_tags(args.tags, f"{name}-{group}"),
                opts=stateful_opts(self, args.protect),
            ).name
        streams = pulumi.Output.format("arn:{0}:logs:{1}:{2}:log-group:{3}/*:log-stream:*", part, region, account, prefix)
        role = WorkloadRole(
            f"{name}-agent",
            WorkloadRoleArgs(
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                policy_statements=[
                    {"Sid": "WriteOwnGroups", "Effect": "Allow",
                     "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                     "Resource": [groups_arn, streams]},
                    # Describe calls take no resource scope; the agent lists groups to find its own.
                    {"Sid": "Describe", "Effect": "Allow",
                     "Action": ["ec2:DescribeTags", "ec2:DescribeVolumes", "logs:DescribeLogGroups"], "Resource": "*"},
                    {"Sid": "ContainerInsightsMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
                     "Resource": "*", "Condition": {"StringEquals": {"cloudwatch:namespace": "ContainerInsights"}}},
                ],
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_provider_url=args.oidc_provider_url,
                tags=dict(args.tags),
            ),
            opts=child_opts(self),
        )  # fmt: skip
        self.role_arn: pulumi.Output[str] = role.role_arn
        self.kms_key_arn: pulumi.Output[str] = key.arn
        self.log_group_names: dict[str, pulumi.Output[str]] = names
        self.register_outputs({"role_arn": self.role_arn, "kms_key_arn": self.kms_key_arn, "log_group_names": names})
