"""ContainerRegistry: ECR repositories with immutable tags, scan on push, KMS encryption and a lifecycle."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import data_key_arn, name_tags

TOKEN = "mlstack:aws:ContainerRegistry"
_REPO = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")


@dataclass(frozen=True, kw_only=True)
class ContainerRegistryArgs:
    """Arguments of :class:`ContainerRegistry`.

    Attributes:
        repositories: repository names, e.g. ``["trainer", "serving"]``.
        prefix: namespace of every repository (``<prefix>/<repo>``), e.g. ``acme-ml-staging``; empty (default)
            uses the component's name.
        untagged_expiry_days: days after which untagged images (superseded layers of pushes) are deleted;
            default 14.
        kms_key_arn: KMS key for image encryption; None (default) creates one with rotation.
        kms_deletion_window_days: waiting period before an own key is deleted (7 to 30); default 30.
        protect: protect and retain the repositories (and the own key).
        tags: tags for every resource, merged with ``Name``.
    """

    repositories: Sequence[str]
    prefix: str = ""
    untagged_expiry_days: int = 14
    kms_key_arn: pulumi.Input[str] | None = None
    kms_deletion_window_days: int = 30
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for repo in [*([self.prefix] if self.prefix else []), *self.repositories]:
            if not _REPO.match(repo):
                raise ValueError(f"invalid ECR repository name part {repo!r}")
        if len(set(self.repositories)) != len(self.repositories):
            raise ValueError("repositories must be unique")
        if self.untagged_expiry_days < 1:
            raise ValueError("untagged_expiry_days must be at least 1")


def lifecycle_policy(untagged_expiry_days: int) -> str:
    """ECR lifecycle policy JSON expiring untagged images ``untagged_expiry_days`` after push."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                }
            ]
        },
        sort_keys=True,
    )


class ContainerRegistry(pulumi.ComponentResource):
    """ECR repositories under one prefix.

    Outputs:
        repository_urls (repository -> URL), repository_arns (repository -> ARN), kms_key_arn.
    """

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        tags = args.tags
        prefix = args.prefix or name
        if not _REPO.match(prefix):
            raise ValueError(f"invalid ECR repository prefix {prefix!r}")
        key_arn = data_key_arn(
            name,
            self,
            given=args.kms_key_arn,
            description=f"ECR repositories {prefix}/*",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            protect=args.protect,
        )

        urls: dict[str, pulumi.Output[str]] = {}
        arns: dict[str, pulumi.Output[str]] = {}
        for repo_name in sorted(args.repositories):
            full = f"{prefix}/{repo_name}"
            logical = f"{name}-{repo_name.replace('/', '-')}"
            repo = aws.ecr.Repository(
                logical,
                name=full,
                image_tag_mutability="IMMUTABLE",  # a tag names one image forever: deploys are reproducible
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key_arn)
                ],
                force_delete=False,
                tags=name_tags(tags, full),
                opts=stateful_opts(self, args.protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{logical}-lifecycle",
                repository=repo.name,
                policy=lifecycle_policy(args.untagged_expiry_days),
                opts=child_opts(self),
            )
            urls[repo_name] = repo.repository_url
            arns[repo_name] = repo.arn

        self.repository_urls: dict[str, pulumi.Output[str]] = urls
        self.repository_arns: dict[str, pulumi.Output[str]] = arns
        self.kms_key_arn: pulumi.Output[str] = key_arn
        self.register_outputs(
            {
                "kms_key_arn": self.kms_key_arn,
                "repository_urls": urls,
                "repository_arns": arns,
            }
        )
