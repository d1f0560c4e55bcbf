"""WorkloadRole: an IAM role for one Kubernetes service account (IRSA), with an inline policy."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import aws_managed_policy_arn, name_tags, partition, policy_output

TOKEN = "mlstack:aws:WorkloadRole"


@dataclass(frozen=True, kw_only=True)
class WorkloadRoleArgs:
    """Arguments of :class:`WorkloadRole`.

    Attributes:
        namespace: namespace of the service account.
        service_account: name of the service account; only it can assume the role.
        policy_statements: IAM statements of the inline policy (values may be Outputs), e.g. MLflow's
            S3 object access on its bucket; empty (default) creates no inline policy.
        managed_policies: AWS-managed policies to attach, by name with their path where they have one (e.g.
            ``service-role/AmazonEFSCSIDriverPolicy``); their ARNs are built in the provider's partition
            (``aws``, ``aws-us-gov``, ``aws-cn``). Default none.
        managed_policy_arns: customer-managed policies to attach, by ARN; default none.
        oidc_provider_arn: the cluster's IAM OIDC provider (AwsEnvironment fills it in).
        oidc_provider_url: its issuer without ``https://`` (AwsEnvironment fills it in).
        tags: tags for the role, merged with ``Name``.
    """

    namespace: str
    service_account: str
    policy_statements: Sequence[Mapping[str, Any]] = ()
    managed_policies: Sequence[str] = ()
    managed_policy_arns: Sequence[str] = ()
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_provider_url: pulumi.Input[str] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def irsa_trust_policy(provider_arn: str, provider_url: str, namespace: str, service_account: str) -> str:
    """Trust policy for exactly ``system:serviceaccount:<namespace>:<service_account>`` with ``aud`` STS."""
    host = provider_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{host}:aud": "sts.amazonaws.com",
                            f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


class WorkloadRole(pulumi.ComponentResource):
    """An IAM role a single service account assumes through the cluster's OIDC provider.

    Outputs:
        role_arn (for the ``eks.amazonaws.com/role-arn`` annotation), role_name.
    """

    def __init__(self, name: str, args: WorkloadRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.oidc_provider_arn is None or args.oidc_provider_url is None:
            raise ValueError(f"{name}: oidc_provider_arn and oidc_provider_url are required")
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_provider_url).apply(
            lambda a: irsa_trust_policy(a[0], a[1], args.namespace, args.service_account)
        )
        role = aws.iam.Role(
            f"{name}-role",
            description=f"IRSA role of {args.namespace}/{args.service_account}",
            assume_role_policy=trust,
            tags=name_tags(args.tags, f"{name}-role"),
            opts=child_opts(self),
        )
        if args.policy_statements:
            aws.iam.RolePolicy(
                f"{name}-policy", role=role.id, policy=policy_output(list(args.policy_statements)), opts=child_opts(self)
            )
        arns: dict[str, pulumi.Input[str]] = {arn: arn for arn in args.managed_policy_arns}
        if args.managed_policies:
            part = partition(self)
            arns.update({policy: aws_managed_policy_arn(part, policy) for policy in args.managed_policies})
        for key in sorted(arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-{key.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arns[key], opts=child_opts(self)
            )
        self.role_arn: pulumi.Output[str] = role.arn
        self.role_name: pulumi.Output[str] = role.name
        self.register_outputs({"role_arn": role.arn, "role_name": role.name})
