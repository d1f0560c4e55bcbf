"""Cross-field rules of ``ci:``: the CI trust's provider, repository and refs, and the notebooks the pipelines
run (``ci.notebooks``)."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.spec.models import Spec

Finding = tuple[str, str]
#: Fields that only a Kubernetes Job uses: on the CI runner they would be ignored, so they are refused there.
JOB_ONLY = ("team", "pool", "image")


def check(spec: Spec) -> Iterator[Finding]:
    ci = spec.ci
    if ci is None:
        return
    if ci.provider is not None and ci.repository is None:
        yield "ci.repository", (f"the {ci.provider} CI trust is pinned to one repository. Add repository: "
                                "OWNER/REPO (GitHub) or group/project (GitLab)")
    if ci.provider is None and ci.repository is not None:
        yield "ci.provider", "repository names the repository a CI trust accepts: add provider: github or gitlab, or remove repository"
    for i, ref in enumerate(ci.refs):
        if not ref.startswith(("refs/heads/", "refs/tags/")) or ("*" in ref and not ref.startswith("refs/tags/")):
            yield f"ci.refs.{i}", f"expected a full git ref such as refs/heads/main (wildcards only under refs/tags/), got {ref!r}"
    if ci.provider != "gitlab" and ci.gitlab_url != "https://gitlab.com":
        yield "ci.gitlab_url", "only for provider gitlab. Remove it"
    if not ci.gitlab_url.startswith("https://"):
        yield "ci.gitlab_url", "must be an https:// URL (the OIDC issuer)"
    for name in sorted(ci.notebooks):
        yield from _notebook(spec, name)


def _notebook(spec: Spec, name: str) -> Iterator[Finding]:
    assert spec.ci is not None
    nb = spec.ci.notebooks[name]
    at = f"ci.notebooks.{name}"
    if ".." in nb.path.split("/"):
        yield f"{at}.path", f"must stay inside the project: a path relative to the project root without '..', got {nb.path!r}"
    if nb.runner == "ci":
        for field in JOB_ONLY:
            if getattr(nb, field) is not None:
                yield f"{at}.{field}", (f"only for runner: kubernetes (a Job in a team's namespace); the CI runner "
                                        f"ignores it. Set runner: kubernetes, or remove {field}")
        return
    teams = ", ".join(sorted(spec.teams)) or "none"
    if nb.team is None:
        yield f"{at}.team", f"runner kubernetes runs the notebook in a team's namespace with its queue and MLflow user: name the team (teams: {teams})"
    elif nb.team not in spec.teams:
        yield f"{at}.team", f"unknown team {nb.team!r} (teams: {teams}). Add it under teams:, or name one of them"
    elif spec.ci.teams is not None and nb.team not in spec.ci.teams:
        yield f"{at}.team", (f"CI may run Jobs only in the namespaces of ci.teams ({', '.join(spec.ci.teams)}). "
                             f"Add {nb.team!r} to ci.teams, or name one of them")
    if nb.pool is not None and nb.pool not in spec.node_pools:
        pools = ", ".join(sorted(spec.node_pools)) or "none"
        yield f"{at}.pool", f"no node pool {nb.pool!r} (node_pools: {pools}). Name one, or remove pool to run on any node"
    if nb.image is None:
        yield f"{at}.image", ("runner kubernetes needs the Job's image: one with mlstack[notebook] and the notebook's "
                              "dependencies, pinned, e.g. image: ghcr.io/acme/notebooks:1.4.0")
    elif (":" not in nb.image.rsplit("/", 1)[-1] and "@" not in nb.image) or nb.image.endswith(":latest"):
        yield f"{at}.image", f"pin a tag or digest (not latest), e.g. ghcr.io/acme/notebooks:1.4.0, got {nb.image!r}"
    if nb.queue != "default" and not spec.workloads.enabled:
        yield f"{at}.queue", "workloads.enabled is false: there is no Kueue queue to submit to. Remove queue, or enable workloads"
