"""CI pipelines: the context a pipeline template renders with (cloud identities from the environments' locks)
and the pipeline files of a project."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlstack.engine.deploy.lock import lock_path, read_lock_outputs
from mlstack.engine.scaffold.render import check_choice, render
from mlstack.errors import UsageError

CI_PROVIDERS = ("github", "gitlab", "jenkins")
# Provider -> (template, file it renders, relative to the project root).
CI_FILES: dict[str, tuple[str, str]] = {
    "github": ("ci/github.yml.j2", ".github/workflows/mlstack.yml"),
    "gitlab": ("ci/gitlab-ci.yml.j2", ".gitlab-ci.yml"),
    "jenkins": ("ci/Jenkinsfile.j2", "Jenkinsfile"),
}

# Stack outputs the CI trust exports (read from stacks/<env>.lock.json after a good `up`).
OUTPUT_AWS_ROLE_ARN = "ci_role_arn"
OUTPUT_GCP_PROVIDER = "ci_workload_identity_provider"
OUTPUT_GCP_SERVICE_ACCOUNT = "ci_service_account_email"  # "ci_service_account" is the Kubernetes one
NOTEBOOK_DIR = "build/notebooks"  # where `mlstack notebook run` writes the executed notebooks (the artifacts)
NOTEBOOK_STAGE_OVERHEAD_MINUTES = 15


@dataclass(frozen=True)
class NotebookStep:
    """One notebook of ``ci.notebooks``, as the pipeline's notebook stage runs it (``mlstack notebook run``)."""

    name: str
    runner: str  # ci or kubernetes
    timeout_minutes: int


@dataclass(frozen=True)
class EnvCi:
    """How a pipeline authenticates to one environment: values from its lock file, or None (placeholder)."""

    name: str
    region: str | None
    project_id: str | None
    passphrase: bool
    remote_backend: bool
    role_arn: str | None = None
    wif_provider: str | None = None
    service_account: str | None = None
    outputs_from: str | None = None  # the lock file the values came from
    notebooks: tuple[NotebookStep, ...] = ()

    @property
    def notebook_jobs(self) -> bool:
        """Whether a notebook runs as a Kubernetes Job: the stage then logs in to the cloud as the deploy does."""
        return any(n.runner == "kubernetes" for n in self.notebooks)

    @property
    def notebook_minutes(self) -> int:
        """The notebook stage's time limit: every notebook's, plus the install and a Job's time in the queue."""
        return sum(n.timeout_minutes for n in self.notebooks) + NOTEBOOK_STAGE_OVERHEAD_MINUTES


@dataclass(frozen=True)
class CiContext:
    provider: str
    project: str
    cloud: str
    ci_snippets: str  # the target pack's CI login steps, one template per pipeline part
    branch: str
    repository: str | None
    gitlab_url: str
    staging: EnvCi
    prod: EnvCi | None
    pulumi_cli: str  # the catalogue's pin: `up --locked` compares the CLI version exactly with the lock's
    notebook_requirement: str = "mlstack-iac[notebook]"  # what the notebook stage adds to requirements.txt
    notebook_dir: str = NOTEBOOK_DIR
    python: str = "3.12"
    notes: list[str] = field(default_factory=list)


def _env_ci(spec, lock: dict[str, Any] | None, lock_name: str) -> EnvCi:
    def out(key: str) -> str | None:
        value = (lock or {}).get(key)
        return value if isinstance(value, str) and value else None

    return EnvCi(
        name=spec.env,
        region=spec.target.region,
        project_id=spec.target.project_id,
        passphrase=not spec.secrets_provider or spec.secrets_provider.startswith("passphrase"),
        remote_backend=bool(spec.backend) and not spec.backend.startswith("file://"),
        role_arn=out(OUTPUT_AWS_ROLE_ARN),
        wif_provider=out(OUTPUT_GCP_PROVIDER),
        service_account=out(OUTPUT_GCP_SERVICE_ACCOUNT),
        outputs_from=lock_name if lock else None,
        notebooks=tuple(NotebookStep(name, nb.runner, nb.timeout_minutes)
                        for name, nb in sorted((spec.ci.notebooks if spec.ci else {}).items())),
    )


def ci_context(provider: str, staging, prod, locks: dict[str, dict[str, Any] | None]) -> CiContext:
    check_choice("provider", provider, CI_PROVIDERS)
    if provider != "jenkins":
        if staging.ci is None or not staging.ci.trusted:
            raise UsageError(
                f"stacks/staging.yaml has no ci: block, so no {provider} CI trust exists to log in with. "
                f"Add ci: {{provider: {provider}, repository: OWNER/REPO}} (usually in stacks/base.yaml), deploy, then run again"
            )
        if staging.ci.provider != provider:
            raise UsageError(
                f"ci.provider is {staging.ci.provider!r} in stacks/staging.yaml: a {provider} pipeline could not log in "
                f"to the cloud. Generate the {staging.ci.provider} pipeline, or set ci.provider: {provider} and deploy first"
            )
    from mlstack.catalog import load_catalog
    from mlstack.distribution import DISTRIBUTION

    refs = staging.ci.refs if staging.ci else ["refs/heads/main"]
    branch = next((r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/")), "main")
    return CiContext(
        provider=provider,
        project=staging.project,
        cloud=staging.target.cloud,
        ci_snippets=f"targets/{staging.target.cloud}/ci",
        branch=branch,
        repository=staging.ci.repository if staging.ci else None,
        notebook_requirement=f"{DISTRIBUTION}[notebook]",
        gitlab_url=staging.ci.gitlab_url if staging.ci else "https://gitlab.com",
        staging=_env_ci(staging, locks.get("staging"), "stacks/staging.lock.json"),
        prod=_env_ci(prod, locks.get("prod"), "stacks/prod.lock.json") if prod is not None else None,
        pulumi_cli=load_catalog().versions.pulumi_cli,
    )


def ci_files(provider: str, staging, prod, locks: dict[str, dict[str, Any] | None]) -> dict[str, str]:
    """``{path: text}`` of the pipeline for ``provider`` (github, gitlab or jenkins)."""
    ctx = ci_context(provider, staging, prod, locks)
    template, out = CI_FILES[provider]
    return {out: render(template, {"c": ctx})}


def project_ci_files(provider: str, stacks_dir: Path) -> dict[str, str]:
    """The pipeline of an existing project: reads its staging (and prod) spec and their lock files."""
    from mlstack.spec import list_envs, load_spec

    check_choice("provider", provider, CI_PROVIDERS)
    envs = list_envs(stacks_dir)
    if "staging" not in envs:
        have = ", ".join(envs) or "none"
        raise UsageError(f"{stacks_dir} has no staging.yaml (environments: {have}): the pipelines deploy staging, then promote to prod")
    staging = load_spec("staging", stacks_dir)
    prod = load_spec("prod", stacks_dir) if "prod" in envs else None
    locks = {env: read_lock_outputs(lock_path(env, stacks_dir)) for env in ("staging", "prod")}
    for spec in (staging, prod):
        check_notebooks(spec, stacks_dir)
    return ci_files(provider, staging, prod, locks)


def check_notebooks(spec, stacks_dir: Path) -> None:
    """Every notebook a pipeline would run exists: a missing one is found now, not by the first build."""
    from mlstack.fsio import project_root

    if spec is None or spec.ci is None:
        return
    root = project_root(stacks_dir)
    for name, nb in sorted(spec.ci.notebooks.items()):
        if not (root / nb.path).is_file():
            raise UsageError(f"stacks/{spec.env}.yaml: ci.notebooks.{name}.path: {nb.path} does not exist in {root}. "
                             "Add the notebook, or fix the path (relative to the project root)")


# -- writing ---------------------------------------------------------------------------------------------
