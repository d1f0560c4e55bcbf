"""Artifact Registry Docker repositories with immutable tags and a cleanup policy."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from .._base import stateful_opts

TOKEN = "mlstack:gcp:ContainerRegistry"


@dataclass(frozen=True, kw_only=True)
class ContainerRegistryArgs:
    """Inputs of :class:`ContainerRegistry`.

    Attributes:
        project_id: the GCP project.
        location: the repositories' region, e.g. ``us-central1``.
        repositories: repository ids (one Docker repository each), e.g. ``("serving", "trainer")``.
        immutable_tags: a tag, once pushed, cannot move to another image. Default True.
        delete_untagged_after_days: delete untagged images older than this. Default 30.
        keep_recent_versions: always keep this many most recent versions of each image. Default 10.
        kms_key_name: a Cloud KMS key for CMEK; default ``None``: Google-managed encryption.
        protect: Pulumi ``protect`` and ``retain_on_delete``. Default False.
        labels: labels on the repositories.
    """

    project_id: str
    location: str
    repositories: tuple[str, ...]
    immutable_tags: bool = True
    delete_untagged_after_days: int = 30
    keep_recent_versions: int = 10
    kms_key_name: pulumi.Input[str] | None = None
    protect: bool = False
    labels: dict[str, str] = field(default_factory=dict)


class ContainerRegistry(pulumi.ComponentResource):
    """One Docker repository per id, ``<location>-docker.pkg.dev/<project>/<id>``.

    Outputs:
        urls: repository id -> image URL prefix. repository_names: repository id -> full resource name
        (``projects/<p>/locations/<l>/repositories/<id>``), for IAM grants.
    """

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        self.urls: dict[str, str] = {}
        self.repository_names: dict[str, pulumi.Output[str]] = {}
        for repo_id in sorted(set(args.repositories)):
            repo = gcp.artifactregistry.Repository(
                f"{name}-{repo_id}",
                project=args.project_id,
                location=args.location,
                repository_id=repo_id,
                format="DOCKER",
                docker_config=gcp.artifactregistry.RepositoryDockerConfigArgs(immutable_tags=args.immutable_tags),
                cleanup_policy_dry_run=False,
                cleanup_policies=[
                    gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                        id="delete-untagged",
                        action="DELETE",
                        condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                            tag_state="UNTAGGED", older_than=f"{args.delete_untagged_after_days * 86400}s"
                        ),
                    ),
                    # KEEP wins over DELETE: the newest versions survive whatever their age or tags.
                    gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                        id="keep-recent",
                        action="KEEP",
                        most_recent_versions=gcp.artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs(
                            keep_count=args.keep_recent_versions
                        ),
                    ),
                ],
                kms_key_name=args.kms_key_name,
                labels=dict(sorted(args.labels.items())),
                opts=stateful_opts(self, args.protect),
            )
            self.urls[repo_id] = f"{args.location}-docker.pkg.dev/{args.project_id}/{repo_id}"
            self.repository_names[repo_id] = repo.id
        self.register_outputs({"urls": self.urls, "repository_names": self.repository_names})
