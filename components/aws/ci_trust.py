"""CiTrust: an IAM OIDC provider for the CI issuer and a role only the named repository and refs can assume."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import name_tags, policy_output

TOKEN = "mlstack:aws:CiTrust"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"

#: ECR actions a pipeline needs to pull and push images, and nothing more.
ECR_PUSH_PULL = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


@dataclass(frozen=True, kw_only=True)
class CiTrustArgs:
    """Arguments of :class:`CiTrust`.

    Attributes:
        provider: ``github`` or ``gitlab``.
        repository: ``ORG/REPO`` on GitHub, ``GROUP/PROJECT`` (subgroups allowed) on GitLab.
        refs: git refs allowed to assume the role, e.g. ``["refs/heads/main"]``; ``*`` wildcards (e.g.
            ``refs/tags/v*``) switch the ``sub`` condition from StringEquals to StringLike.
        gitlab_url: the GitLab instance (issuer and audience); default ``https://gitlab.com``.
        existing_oidc_provider_arn: reuse this account's provider for the issuer (IAM allows one per URL);
            None (default) creates it.
        thumbprints: OIDC provider thumbprints; default none (IAM validates GitHub and GitLab against its
            own trusted CAs and ignores thumbprints for them).
        ecr_repository_arns: repositories the role may push to and pull from (AwsEnvironment fills them in).
        cluster_arn: EKS cluster the role may describe, for ``aws eks update-kubeconfig``
            (AwsEnvironment fills it in); None grants no EKS action.
        max_session_hours: longest session; default 1.
        tags: tags for every resource, merged with ``Name``.
    """

    provider: Literal["github", "gitlab"]
    repository: str
    refs: Sequence[str]
    gitlab_url: str = "https://gitlab.com"
    existing_oidc_provider_arn: str | None = None
    thumbprints: Sequence[str] = ()
    ecr_repository_arns: Sequence[pulumi.Input[str]] = ()
    cluster_arn: pulumi.Input[str] | None = None
    max_session_hours: int = 1
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.repository.count("/") < 1 or self.repository.startswith("/") or self.repository.endswith("/"):
            raise ValueError(f"repository must be OWNER/NAME, got {self.repository!r}")
        if self.provider == "github" and self.repository.count("/") != 1:
            raise ValueError(f"a GitHub repository is ORG/REPO, got {self.repository!r}")
        if not self.refs:
            raise ValueError("refs must name at least one git ref")
        for ref in self.refs:
            if not ref.startswith(("refs/heads/", "refs/tags/")):
                raise ValueError(f"refs must start with refs/heads/ or refs/tags/, got {ref!r}")
        if not self.gitlab_url.startswith("https://"):
            raise ValueError(f"gitlab_url must be an https:// URL, got {self.gitlab_url!r}")


def issuer_url(args: CiTrustArgs) -> str:
    """The OIDC issuer URL of the CI provider."""
    return GITHUB_ISSUER if args.provider == "github" else args.gitlab_url.rstrip("/")


def audience(args: CiTrustArgs) -> str:
    """The ``aud`` claim the role accepts: ``sts.amazonaws.com`` for GitHub, the instance URL for GitLab."""
    return GITHUB_AUDIENCE if args.provider == "github" else issuer_url(args)


def subjects(args: CiTrustArgs) -> list[str]:
    """The ``sub`` claims of the allowed repository and refs, in the provider's own format.

    GitHub: ``repo:ORG/REPO:ref:refs/heads/main``; GitLab:
    ``project_path:GROUP/PROJECT:ref_type:branch:ref:main`` (``tag`` for ``refs/tags/``).
    """
    subs = []
    for ref in args.refs:
        if args.provider == "github":
            subs.append(f"repo:{args.repository}:ref:{ref}")
        else:
            kind, short = ("branch", ref.removeprefix("refs/heads/")) if ref.startswith("refs/heads/") else (
                "tag",
                ref.removeprefix("refs/tags/"),
            )
            subs.append(f"project_path:{args.repository}:ref_type:{kind}:ref:{short}")
    return sorted(subs)


def trust_policy(provider_arn: str, args: CiTrustArgs) -> str:
    """Trust policy: web identity from the provider, ``aud`` exact, ``sub`` pinned to repository and refs.

    ``sub`` goes under StringLike only when a ref has a wildcard: one operator for all subjects, since two
    operators on the same key would both have to match.
    """
    host = issuer_url(args).removeprefix("https://")
    subs = subjects(args)
    condition: dict[str, Any] = {"StringEquals": {f"{host}:aud": audience(args)}}
    if any("*" in s or "?" in s for s in subs):
        condition["StringLike"] = {f"{host}:sub": subs}
    else:
        condition["StringEquals"][f"{host}:sub"] = subs
    statement = {
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


class CiTrust(pulumi.ComponentResource):
    """The CI pipeline's way into the account: no stored keys, only short-lived OIDC-federated sessions.

    Outputs:
        role_arn, role_name, oidc_provider_arn.
    """

    def __init__(self, name: str, args: CiTrustArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        tags = args.tags
        if args.existing_oidc_provider_arn is not None:
            provider_arn: pulumi.Output[str] = pulumi.Output.from_input(args.existing_oidc_provider_arn)
        else:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc",
                url=issuer_url(args),
                client_id_lists=[audience(args)],
                thumbprint_lists=list(args.thumbprints) or None,
                tags=name_tags(tags, f"{name}-oidc"),
                opts=child_opts(self),
            ).arn
        role = aws.iam.Role(
            f"{name}-role",
            description=f"CI of {args.repository} ({', '.join(sorted(args.refs))})",
            assume_role_policy=provider_arn.apply(lambda arn: trust_policy(arn, args)),
            max_session_duration=args.max_session_hours * 3600,
            tags=name_tags(tags, f"{name}-role"),
            opts=child_opts(self),
        )
        statements: list[Any] = []
        if args.ecr_repository_arns:
            statements.append(
                # AWS defines GetAuthorizationToken on no resource: "*" is the only value it accepts.
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            )
            statements.append(
                {
                    "Sid": "EcrPushPull",
                    "Effect": "Allow",
                    "Action": list(ECR_PUSH_PULL),
                    "Resource": list(args.ecr_repository_arns),
                }
            )
        if args.cluster_arn is not None:
            statements.append(
                {"Sid": "EksDescribe", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": args.cluster_arn}
            )
        if statements:
            aws.iam.RolePolicy(
                f"{name}-policy", role=role.id, policy=policy_output(statements), opts=child_opts(self)
            )

        self.role_arn: pulumi.Output[str] = role.arn
        self.role_name: pulumi.Output[str] = role.name
        self.oidc_provider_arn: pulumi.Output[str] = provider_arn
        self.register_outputs(
            {
                "role_name": self.role_name,
                "role_arn": role.arn,
                "oidc_provider_arn": provider_arn,
            }
        )
