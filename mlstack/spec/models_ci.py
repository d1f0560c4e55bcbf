"""The spec's ``ci`` section: the CI system mlstack trusts (OIDC pinned to repository and ref) and the notebooks
its pipelines run as build steps (docs/notebooks.md). Re-exported by ``mlstack.spec.models``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlstack.spec.model_base import Model, Name
from mlstack.spec.names import DNS_LABEL


class CiNotebook(Model):
    """A notebook the pipeline runs as a build step after deploying the environment (papermill): the executed
    notebook is kept as a build artifact, the run is logged to the environment's MLflow, a failing cell fails
    the build."""

    path: str = Field(
        pattern=r"^[^/\s][^\s]*\.ipynb$",
        description="The notebook, relative to the project root (where stacks/ is).", examples=["notebooks/evaluate.ipynb"],
    )
    parameters: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description="Papermill parameters: injected after the notebook's cell tagged `parameters`, logged as the "
        "run's MLflow params. Default none.", examples=[{"epochs": 3, "dataset": "s3://acme-datasets/eval"}],
    )
    runner: Literal["ci", "kubernetes"] = Field(
        "ci",
        description="Where it runs: ci (default: on the CI runner, CPU only, MLflow credentials from the CI's "
        "secrets) or kubernetes (a Job in the team's namespace, on the pool and queue named here, with the "
        "team's MLflow credentials).", examples=["kubernetes"],
    )
    team: str | None = Field(None, description="kubernetes: the team whose namespace, queue and MLflow user the Job uses (required there).", examples=["research"])
    pool: str | None = Field(None, description="kubernetes: the node pool to run on (key of node_pools); default any node.", examples=["a100"])
    accelerators: int = Field(1, ge=1, le=16, description="kubernetes, on an accelerator pool: devices the Job requests.", examples=[2])
    queue: str = Field("default", pattern=DNS_LABEL, description="kubernetes: the Kueue LocalQueue in the team's namespace.", examples=["default"])
    image: str | None = Field(
        None,
        description="kubernetes: the Job's image (required there), with mlstack[notebook] and the notebook's own "
        "dependencies installed. Pin a tag or digest, never latest.", examples=["ghcr.io/acme/notebooks:1.4.0"],
    )
    cpu: int = Field(2, ge=1, le=512, description="kubernetes: CPU cores the Job requests.", examples=[4])
    memory_gib: int = Field(8, ge=1, le=4096, description="kubernetes: memory the Job requests and is limited to, GiB.", examples=[16])
    experiment: str | None = Field(
        None, min_length=1, description="MLflow experiment of the run; default `<team>-notebooks` (kubernetes) or `ci-notebooks`.", examples=["research-evaluation"],
    )
    timeout_minutes: int = Field(60, ge=1, le=1440, description="The build step fails when the notebook has not finished by then (minutes).", examples=[30])


class Ci(Model):
    """CI trust: the CI whose OIDC tokens may deploy, pinned to a repository and its refs; and the notebooks the
    pipelines run. None when unset. Without provider (e.g. Jenkins, which logs in its own way) no CI trust is
    created and only notebooks apply."""

    provider: Literal["github", "gitlab"] | None = Field(None, description="The CI whose OIDC tokens are trusted; required with repository. Default none: no CI trust.", examples=["github"])
    repository: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", description="owner/repo (GitHub) or group/project (GitLab); required with provider.", examples=["acme/ml-platform"])
    refs: list[str] = Field(default_factory=lambda: ["refs/heads/main"], min_length=1, description="Git refs allowed to deploy.", examples=[["refs/heads/main", "refs/tags/v*"]])
    gitlab_url: str = Field("https://gitlab.com", description="GitLab instance URL (gitlab only).", examples=["https://gitlab.acme.internal"])
    teams: list[str] | None = Field(None, description="Team namespaces CI may deploy jobs into; default every team.", examples=[["research"]])
    notebooks: dict[Name, CiNotebook] = Field(
        default_factory=dict,
        description="Notebooks run as build steps after this environment is deployed and verified, by name "
        "(`mlstack notebook run NAME`). Default none.",
        examples=[{"evaluate": {"path": "notebooks/evaluate.ipynb", "parameters": {"epochs": 3}}}],
    )

    @property
    def trusted(self) -> bool:
        """Whether a CI trust (OIDC) is provisioned: a provider is named."""
        return self.provider is not None
