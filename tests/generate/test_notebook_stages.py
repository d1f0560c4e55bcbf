"""The notebook stage of every pipeline (``ci.notebooks``), rendered from the repository's own stacks (staging:
``evaluate`` on the runner and ``evaluate-a100`` as a Job; prod: ``evaluate``): golden files, the published
schemas, and what each stage runs, waits for and keeps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.engine.scaffold.generate_ci import CI_FILES, project_ci_files
from mlstack.errors import UsageError

from .helpers import compare_golden
from .test_templates import _load, _validate

ROOT = Path(__file__).resolve().parents[2]
RUN = 'mlstack notebook run {} --env {} --git-commit "{}"'
COMMIT = {"github": "$GITHUB_SHA", "gitlab": "$CI_COMMIT_SHA", "jenkins": "$GIT_COMMIT"}


def _project(tmp_path: Path, ci: str) -> Path:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    (tmp_path / "examples" / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "notebooks" / "evaluate.ipynb", tmp_path / "examples" / "notebooks")
    if ci == "gitlab":
        base = tmp_path / "stacks" / "base.yaml"
        base.write_text(base.read_text().replace("provider: github", "provider: gitlab"))
    return tmp_path / "stacks"


def pipeline(tmp_path: Path, ci: str) -> str:
    return project_ci_files(ci, _project(tmp_path, ci))[CI_FILES[ci][1]]


@pytest.mark.parametrize("ci", ["github", "gitlab", "jenkins"])
def test_golden_notebook_pipelines(tmp_path, ci):
    compare_golden(f"notebooks/{ci}/{CI_FILES[ci][1]}", pipeline(tmp_path, ci))


def test_github_notebook_jobs(tmp_path):
    doc = _load(pipeline(tmp_path, "github"))
    _validate(doc, "github-workflows.json")
    jobs = doc["jobs"]
    staging, prod = jobs["notebooks-staging"], jobs["notebooks-prod"]
    assert staging["needs"] == ["deploy-staging"] and prod["needs"] == ["deploy-prod"]
    assert jobs["promote"]["needs"] == ["deploy-staging", "changes", "notebooks-staging"]  # a failing notebook stops promotion
    assert staging["timeout-minutes"] == 60 + 30 + 15 and prod["timeout-minutes"] == 60 + 15
    # a Job needs the cluster: OIDC login as the deploy does; runner-only notebooks need none
    assert staging["permissions"] == {"contents": "read", "id-token": "write"}
    assert prod["permissions"] == {"contents": "read"}
    assert any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in staging["steps"])
    assert not any(s.get("uses", "").startswith(("aws-actions/", "pulumi/")) for s in prod["steps"])
    assert staging["env"]["MLFLOW_TRACKING_URI"] == "${{ vars.MLSTACK_STAGING_MLFLOW_TRACKING_URI }}"
    assert staging["env"]["MLFLOW_TRACKING_PASSWORD"] == "${{ secrets.MLSTACK_STAGING_MLFLOW_PASSWORD }}"
    assert prod["env"]["MLFLOW_TRACKING_USERNAME"] == "${{ secrets.MLSTACK_PROD_MLFLOW_USERNAME }}"
    runs = [s.get("run") for s in staging["steps"]]
    assert 'python -m pip install -r requirements.txt "mlstack-iac[notebook]"' in runs
    assert [r for r in runs if r and r.startswith("mlstack notebook")] == [
        RUN.format("evaluate", "staging", "$GITHUB_SHA"), RUN.format("evaluate-a100", "staging", "$GITHUB_SHA")]
    keep = staging["steps"][-1]
    assert keep == {"name": "Keep the executed notebooks", "if": "always()", "uses": "actions/upload-artifact@v7",
                    "with": {"name": "notebooks-staging", "path": "build/notebooks/", "if-no-files-found": "ignore"}}


def test_gitlab_notebook_jobs(tmp_path):
    doc = _load(pipeline(tmp_path, "gitlab"))
    _validate(doc, "gitlab-ci.json")
    assert doc["stages"] == ["review", "staging", "staging-notebooks", "promote", "prod", "prod-notebooks"]
    staging, prod = doc["notebooks-staging"], doc["notebooks-prod"]
    assert (staging["stage"], staging["needs"], staging["timeout"]) == ("staging-notebooks", ["deploy-staging"], "105m")
    assert (prod["stage"], prod["needs"], prod["timeout"]) == ("prod-notebooks", ["deploy-prod"], "75m")
    assert doc["promote"]["needs"] == ["deploy-staging", "notebooks-staging"]
    # MLflow credentials: CI/CD variables scoped to the environment the job declares (verify: no deployment)
    assert staging["environment"] == {"name": "staging", "action": "verify"}
    assert prod["environment"] == {"name": "production", "action": "verify"}
    assert prod["rules"] == doc["deploy-prod"]["rules"] and staging["rules"] == doc["deploy-staging"]["rules"]
    assert "MLSTACK_ID_TOKEN" in staging["id_tokens"] and "id_tokens" not in prod
    assert staging["script"][-2:] == [RUN.format("evaluate", "staging", "$CI_COMMIT_SHA"),
                                      RUN.format("evaluate-a100", "staging", "$CI_COMMIT_SHA")]
    assert prod["script"] == ['python -m pip install "mlstack-iac[notebook]"', RUN.format("evaluate", "prod", "$CI_COMMIT_SHA")]
    assert staging["artifacts"] == prod["artifacts"] == {"when": "always", "paths": ["build/notebooks/"]}


def test_jenkins_notebook_stages(tmp_path):
    import re

    text = pipeline(tmp_path, "jenkins")
    assert re.findall(r"stage\('([^']+)'\)", text) == [
        "Install", "Review", "Deploy staging", "Notebooks (staging)", "Promote to prod", "Deploy prod", "Notebooks (prod)"]
    assert text.count("{") == text.count("}")
    staging = text[text.index("stage('Notebooks (staging)')"):text.index("stage('Promote to prod')")]
    prod = text[text.index("stage('Notebooks (prod)')"):]
    for part, env in ((staging, "staging"), (prod, "prod")):
        assert f"usernamePassword(credentialsId: 'mlstack-{env}-mlflow', usernameVariable: 'MLFLOW_TRACKING_USERNAME'" in part
        assert f'withEnv(["MLFLOW_TRACKING_URI=${{env.MLSTACK_{env.upper()}_MLFLOW_TRACKING_URI}}"])' in part
        assert f".venv/bin/{RUN.format('evaluate', env, '$GIT_COMMIT')}" in part
        assert "archiveArtifacts artifacts: 'build/notebooks/*.ipynb', allowEmptyArchive: true" in part
    assert ".venv/bin/" + RUN.format("evaluate-a100", "staging", "$GIT_COMMIT") in staging
    assert "timeout(time: 105, unit: 'MINUTES')" in staging and "timeout(time: 75, unit: 'MINUTES')" in prod
    # the Job needs the cluster: the deploy stage's login; the runner-only prod stage has none
    assert "mlstack-oidc-token" in staging and "mlstack-oidc-token" not in prod


def test_a_missing_notebook_is_refused_when_the_pipeline_is_generated(tmp_path):
    stacks = _project(tmp_path, "github")
    (tmp_path / "examples" / "notebooks" / "evaluate.ipynb").unlink()
    with pytest.raises(UsageError) as info:
        project_ci_files("github", stacks)
    assert str(info.value) == (f"stacks/staging.yaml: ci.notebooks.evaluate.path: examples/notebooks/evaluate.ipynb "
                               f"does not exist in {tmp_path}. Add the notebook, or fix the path (relative to the project root)")
