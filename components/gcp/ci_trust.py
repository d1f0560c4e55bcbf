"""CI without keys: a Workload Identity Federation pool and provider pinned to one repository and its refs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts
from ._util import account_id, cel_list, cel_string, role_slug

TOKEN = "mlstack:gcp:CiTrust"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@dataclass(frozen=True, kw_only=True)
class RegistryRepository:
    """An Artifact Registry repository CI may push to.

    Attributes:
        location: the repository's region.
        repository_id: the repository's id.
    """

    location: str
    repository_id: str


@dataclass(frozen=True, kw_only=True)
class CiTrustArgs:
    """Inputs of :class:`CiTrust`.

    Attributes:
        project_id: the GCP project.
        provider: ``github`` or ``gitlab``.
        repository: ``owner/name`` (GitHub) or the project path ``group/project`` (GitLab).
        refs: the git refs CI may deploy from, e.g. ``("refs/heads/main",)``; GitLab refs are matched as
            ref type (branch / tag) and short name.
        gitlab_url: the GitLab instance, the token issuer. Default ``https://gitlab.com``.
        pool_id: the workload identity pool id (4-32 chars; a deleted id stays taken for 30 days).
        provider_id: the provider id within the pool. Default ``github`` or ``gitlab``.
        service_account_id: the CI service account id; default ``None``: derived from the component name.
        registry_repositories: the repositories CI pushes images to (``artifactregistry.writer`` on each).
        project_roles: project roles of the CI account. Default ``roles/container.clusterViewer`` only:
            enough to fetch the cluster's endpoint and credentials; what CI may do inside the cluster is
            Kubernetes RBAC bound to the account by the platform layer, not a project-wide IAM role such as
            ``container.developer`` (which grants every namespace).
    """

    project_id: str
    provider: Literal["github", "gitlab"]
    repository: str
    refs: tuple[str, ...]
    gitlab_url: str = "https://gitlab.com"
    pool_id: str
    provider_id: str | None = None
    service_account_id: str | None = None
    registry_repositories: tuple[RegistryRepository, ...] = ()
    project_roles: tuple[str, ...] = ("roles/container.clusterViewer",)


def attribute_condition(provider: str, repository: str, refs: tuple[str, ...]) -> str:
    """The CEL condition a CI token must satisfy: exactly this repository and one of these refs."""
    if not refs:
        raise ValueError("CI trust needs at least one ref")
    if provider == "github":
        return f"assertion.repository == {cel_string(repository)} && assertion.ref in {cel_list(list(refs))}"
    groups: dict[str, list[str]] = {}
    for ref in refs:
        if ref.startswith("refs/heads/"):
            groups.setdefault("branch", []).append(ref.removeprefix("refs/heads/"))
        elif ref.startswith("refs/tags/"):
            groups.setdefault("tag", []).append(ref.removeprefix("refs/tags/"))
        else:
            raise ValueError(f"GitLab ref {ref!r} must start with refs/heads/ or refs/tags/")
    clauses = [
        f"assertion.ref_type == {cel_string(kind)} && assertion.ref in {cel_list(names)}" for kind, names in sorted(groups.items())
    ]
    refs_clause = clauses[0] if len(clauses) == 1 else " || ".join(f"({c})" for c in clauses)
    if len(clauses) > 1:
        refs_clause = f"({refs_clause})"
    return f"assertion.project_path == {cel_string(repository)} && {refs_clause}"


class CiTrust(pulumi.ComponentResource):
    """Lets CI jobs of one repository impersonate one service account, with no long-lived key.

    Outputs:
        pool_name, provider_name (full resource name, the audience CI asks a token for),
        service_account_email.
    """

    def __init__(self, name: str, args: CiTrustArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        github = args.provider == "github"
        condition = attribute_condition(args.provider, args.repository, args.refs)
        pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=args.project_id,
            workload_identity_pool_id=args.pool_id,
            display_name=args.pool_id,
            description=f"CI of {args.repository}",
            opts=child_opts(self),
        )
        mapping = (
            {
                "google.subject": "assertion.sub",
                "attribute.actor": "assertion.actor",
                "attribute.ref": "assertion.ref",
                "attribute.repository": "assertion.repository",
            }
            if github
            else {
                "google.subject": "assertion.sub",
                "attribute.ref": "assertion.ref",
                "attribute.ref_type": "assertion.ref_type",
                "attribute.repository": "assertion.project_path",
            }
        )
        provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-provider",
            project=args.project_id,
            workload_identity_pool_id=pool.workload_identity_pool_id,
            workload_identity_pool_provider_id=args.provider_id or args.provider,
            display_name=args.provider_id or args.provider,
            attribute_mapping=mapping,
            # Without a condition any repository on github.com could exchange its tokens in this pool.
            attribute_condition=condition,
            oidc=gcp.iam.WorkloadIdentityPoolProviderOidcArgs(issuer_uri=GITHUB_ISSUER if github else args.gitlab_url),
            opts=child_opts(self),
        )
        sa = gcp.serviceaccount.Account(
            f"{name}-sa",
            project=args.project_id,
            account_id=args.service_account_id or account_id(name, "sa"),
            display_name=f"CI of {args.repository}",
            opts=child_opts(self),
        )
        gcp.serviceaccount.IAMMember(
            f"{name}-wi-user",
            service_account_id=sa.name,
            role="roles/iam.workloadIdentityUser",
            member=pool.name.apply(lambda n: f"principalSet://iam.googleapis.com/{n}/attribute.repository/{args.repository}"),
            opts=child_opts(self),
        )
        for repo in sorted(args.registry_repositories, key=lambda r: (r.location, r.repository_id)):
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-push-{repo.repository_id}",
                project=args.project_id,
                location=repo.location,
                repository=repo.repository_id,
                role="roles/artifactregistry.writer",
                member=sa.member,
                opts=child_opts(self),
            )
        for role in sorted(args.project_roles):
            gcp.projects.IAMMember(
                f"{name}-{role_slug(role)}", project=args.project_id, role=role, member=sa.member, opts=child_opts(self)
            )

        self.pool_name: pulumi.Output[str] = pool.name
        self.provider_name: pulumi.Output[str] = provider.name
        self.service_account_email: pulumi.Output[str] = sa.email
        self.attribute_condition: str = condition
        self.register_outputs(
            {
                "attribute_condition": self.attribute_condition,
                "pool_name": self.pool_name,
                "provider_name": self.provider_name,
                "service_account_email": self.service_account_email,
            }
        )
