"""WorkloadRole: an IAM role for one Kubernetes service account (IRSA), with an inline policy."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import name_tags, policy_output

TOKEN = "mlstack:aws:WorkloadRole"


@dataclass(frozen=True, kw_only=True)
class WorkloadRoleArgs:
    """Arguments of :class:`WorkloadRole`.

    Attributes:
        namespace: namespace of the service account.
        service_account: name of the service account; only it can assume the role.
        policy_statements: IAM statements of the inline policy (values may be Outputs), e.g. MLflow's
            S3 object access on its bucket; empty (default) creates no inline policy.
        managed_policy_arns: managed policies to attach (e.g. an AWS-managed CSI driver policy); default none.
        oidc_provider_arn: the cluster's IAM OIDC provider (AwsEnvironment fills it in).
        oidc_provider_url: its issuer without ``https://`` (AwsEnvironment fills it in).
        tags: tags for the role, merged with ``Name``.
    """

    namespace: str
    service_account: str
    policy_statements: Sequence[Mapping[str, Any]] = ()
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
        for arn in sorted(args.managed_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}", role=role.name, policy_arn=arn, opts=child_opts(self)
            )
        self.role_arn: pulumi.Output[str] = role.arn
        self.role_name: pulumi.Output[str] = role.name
        self.register_outputs({"role_arn": role.arn, "role_name": role.name})
