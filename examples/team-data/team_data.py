"""A team's data stack on AWS, composed from mlstack's components: a versioned, encrypted bucket for its datasets,
a container registry for its images, and an IRSA role that lets one service account of an existing EKS cluster
read the datasets (and nothing else).

Kept apart from ``__main__.py`` so that the tests (``test_team_data.py``) run it under ``mlstack.testing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from mlstack.components.aws import (
    Bucket,
    BucketArgs,
    ContainerRegistry,
    ContainerRegistryArgs,
    WorkloadRole,
    WorkloadRoleArgs,
)


@dataclass(frozen=True, kw_only=True)
class TeamData:
    """What the stack needs to know.

    Attributes:
        team: the team's name; names every resource and is the service account's namespace.
        oidc_provider_arn: the EKS cluster's IAM OIDC provider (e.g. an mlstack environment's output).
        oidc_provider_url: its issuer without ``https://``.
        images: the image repositories to create; default trainer.
        dataset_retention_days: overwritten dataset versions are kept this many days; default 30.
    """

    team: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_provider_url: pulumi.Input[str]
    images: tuple[str, ...] = ("trainer",)
    dataset_retention_days: int = 30


def build(config: TeamData) -> None:
    """Creates the stack and exports the bucket name, the repository URLs and the role ARN."""
    tags = {"team": config.team}
    datasets = Bucket(
        f"{config.team}-datasets",
        BucketArgs(versioning=True, noncurrent_version_expiration_days=config.dataset_retention_days, tags=tags),
    )
    registry = ContainerRegistry(
        f"{config.team}-images",
        ContainerRegistryArgs(repositories=list(config.images), prefix=config.team, tags=tags),
    )
    reader = WorkloadRole(
        f"{config.team}-reader",
        WorkloadRoleArgs(
            namespace=config.team,
            service_account="dataset-reader",
            policy_statements=[
                datasets.arn.apply(lambda arn: {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [arn]}),
                datasets.arn.apply(lambda arn: {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{arn}/*"]}),
                datasets.kms_key_arn.apply(lambda arn: {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [arn]}),
            ],
            oidc_provider_arn=config.oidc_provider_arn,
            oidc_provider_url=config.oidc_provider_url,
            tags=tags,
        ),
    )
    pulumi.export("datasets_bucket", datasets.bucket_name)
    pulumi.export("repository_urls", registry.repository_urls)
    pulumi.export("reader_role_arn", reader.role_arn)
