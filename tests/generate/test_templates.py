"""Every template, rendered for each cloud and CI provider: golden files, published schemas, no keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .helpers import compare_golden, options


def _load(text: str):
    """YAML 1.2, as GitHub and GitLab read it (PyYAML's YAML 1.1 turns the key `on` into True)."""
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)

CLOUDS = ("aws", "gcp", "onprem")
PROVIDERS = ("github", "gitlab", "jenkins")
LOCKS = {
    "aws": {"staging": {"ci_role_arn": "arn:aws:iam::123456789012:role/acme-ml-staging-ci-role"},
            "prod": {"ci_role_arn": "arn:aws:iam::123456789012:role/acme-ml-prod-ci-role"}},
    "gcp": {
        env: {
            "ci_workload_identity_provider": f"projects/123456789/locations/global/workloadIdentityPools/acme-ml-{env}-ci/providers/github",
            "ci_service_account_email": f"acme-ml-{env}-ci@acme-ml-1234.iam.gserviceaccount.com",
        }
        for env in ("staging", "prod")
    },
}


def _render(cloud: str, ci: str, **extra) -> dict[str, str]:
    from mlstack.engine.scaffold.generate import SCHEMA_FILE, STACK_FILE_SCHEMA_FILE, project_files

    files = project_files(options(cloud, ci, **extra))
    files.pop(SCHEMA_FILE)  # the schemas are not templates: tested in test_cli
    files.pop(STACK_FILE_SCHEMA_FILE)
    return files


def _deployed_ci(cloud: str, ci: str) -> str:
    """The pipeline once staging and prod are deployed (identities read from their lock outputs)."""
    from mlstack.engine.scaffold.generate import CI_FILES, validate_stacks
    from mlstack.engine.scaffold.generate_ci import ci_files

    files = _render(cloud, ci, backend="s3://acme-ml-pulumi-state" if cloud != "gcp" else "gs://acme-ml-pulumi-state")
    specs = validate_stacks({k: v for k, v in files.items() if k.startswith("stacks/")}, hint="test")
    return ci_files(ci, specs["staging"], specs["prod"], LOCKS.get(cloud, {}))[CI_FILES[ci][1]]


@pytest.mark.parametrize("ci", PROVIDERS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_golden_project(cloud, ci):
    for rel, text in _render(cloud, ci).items():
        compare_golden(golden_of(cloud, ci, rel), text)


# Files the same for every target and CI, and files the same for every CI of a target: one golden each.
SHARED_BY_ALL = frozenset({".gitignore", "Pulumi.yaml", "__main__.py", "requirements.txt"})
SHARED_BY_TARGET = frozenset({"stacks/staging.yaml", "stacks/prod.yaml"})


def golden_of(cloud: str, ci: str, rel: str) -> str:
    """Where the golden render of a project file lives: all/, <cloud>/ or <cloud>-<ci>/."""
    if rel in SHARED_BY_ALL:
        return f"all/{rel}"
    if rel in SHARED_BY_TARGET:
        return f"{cloud}/{rel}"
    return f"{cloud}-{ci}/{rel}"


def test_no_two_golden_files_are_byte_identical():
    """A render that two cases share has one golden file (``golden_of``), so a change is reviewed once."""
    from collections import defaultdict

    from .helpers import GOLDEN

    by_content: dict[bytes, list[str]] = defaultdict(list)
    for path in sorted(p for p in GOLDEN.rglob("*") if p.is_file()):
        by_content[path.read_bytes()].append(str(path.relative_to(GOLDEN)))
    assert [names for names in by_content.values() if len(names) > 1] == []


@pytest.mark.parametrize("ci", PROVIDERS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_golden_deployed_pipeline(cloud, ci):
    from mlstack.engine.scaffold.generate import CI_FILES

    compare_golden(f"{cloud}-{ci}-deployed/{CI_FILES[ci][1]}", _deployed_ci(cloud, ci))


def _schema(name: str) -> dict:
    import check_jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / name
    return json.loads(path.read_text(encoding="utf-8"))


def _validate(document: dict, schema_name: str) -> None:
    import jsonschema

    schema = _schema(schema_name)
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors)


@pytest.mark.parametrize("deployed", [False, True])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_github_workflow_validates_against_published_schema(cloud, deployed):
    text = _deployed_ci(cloud, "github") if deployed else _render(cloud, "github")[".github/workflows/mlstack.yml"]
    doc = _load(text)
    _validate(doc, "github-workflows.json")
    jobs = doc["jobs"]
    assert set(jobs) == {"review", "deploy-staging", "changes", "promote", "deploy-prod"}
    review = "\n".join(s.get("run", "") for s in jobs["review"]["steps"])
    assert "mlstack check --env staging --fail-on mandatory" in review
    assert 'mlstack diff --base "origin/$BASE_REF" --format markdown --fail-on mandatory > comment.md' in review
    assert "gh api --method PATCH" in review and "<!-- mlstack-report -->" in review
    staging = jobs["deploy-staging"]
    assert staging["permissions"] == {"contents": "read", "id-token": "write"}
    runs = [s.get("run") for s in staging["steps"]]
    assert runs.index("mlstack up --env staging --yes") < runs.index("mlstack verify --env staging")
    assert jobs["promote"]["environment"] == "production"
    assert "mlstack promote --from staging --to prod --write" in [s.get("run") for s in jobs["promote"]["steps"]]
    assert "mlstack up --env prod --locked --yes --approve prod" in [s.get("run") for s in jobs["deploy-prod"]["steps"]]
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert all(re.search(r"@v\d+$", u) for u in uses), uses  # pinned by major version tag


def test_github_login_uses_lock_outputs_or_marked_placeholders():
    aws = _load(_deployed_ci("aws", "github"))["jobs"]
    step = next(s for s in aws["deploy-staging"]["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert step["with"]["role-to-assume"] == "arn:aws:iam::123456789012:role/acme-ml-staging-ci-role"
    assert step["with"]["aws-region"] == "us-west-2"
    assert not any(s.get("name") == "Refuse local state" for s in aws["deploy-staging"]["steps"])
    fresh = _load(_render("aws", "github")[".github/workflows/mlstack.yml"])["jobs"]
    step = next(s for s in fresh["deploy-prod"]["steps"] if s.get("uses", "").startswith("aws-actions/"))
    assert step["with"]["role-to-assume"] == "${{ vars.MLSTACK_PROD_AWS_ROLE_ARN }}"
    assert fresh["deploy-staging"]["steps"][4]["name"] == "Refuse local state"  # local state: CI refuses
    gcp = _load(_deployed_ci("gcp", "github"))["jobs"]
    auth = next(s for s in gcp["deploy-prod"]["steps"] if s.get("uses", "").startswith("google-github-actions/auth"))
    assert auth["with"] == {
        "workload_identity_provider": "projects/123456789/locations/global/workloadIdentityPools/acme-ml-prod-ci/providers/github",
        "service_account": "acme-ml-prod-ci@acme-ml-1234.iam.gserviceaccount.com",
    }


@pytest.mark.parametrize("deployed", [False, True])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_gitlab_ci_validates_against_published_schema(cloud, deployed):
    text = _deployed_ci(cloud, "gitlab") if deployed else _render(cloud, "gitlab")[".gitlab-ci.yml"]
    doc = _load(text)
    _validate(doc, "gitlab-ci.json")
    assert doc["stages"] == ["review", "staging", "promote", "prod"]
    assert "mlstack check --env staging --fail-on mandatory" in doc["review"]["script"]
    assert doc["promote"]["rules"][-1]["when"] == "manual"
    assert doc["promote"]["environment"] == {"name": "production", "action": "prepare"}
    assert "mlstack up --env staging --yes" in doc["deploy-staging"]["script"]
    assert "mlstack up --env prod --locked --yes --approve prod" in doc["deploy-prod"]["script"]
    if cloud != "onprem":
        assert "MLSTACK_ID_TOKEN" in doc["deploy-staging"]["id_tokens"]
    if cloud == "aws" and deployed:
        assert doc["deploy-staging"]["variables"]["AWS_ROLE_ARN"] == "arn:aws:iam::123456789012:role/acme-ml-staging-ci-role"
        assert doc["deploy-staging"]["id_tokens"]["MLSTACK_ID_TOKEN"]["aud"] == "https://gitlab.com"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_jenkinsfile_has_its_stages(cloud):
    text = _render(cloud, "jenkins")["Jenkinsfile"]
    assert re.findall(r"stage\('([^']+)'\)", text) == ["Install", "Review", "Deploy staging", "Promote to prod", "Deploy prod"]
    assert text.count("{") == text.count("}")
    assert "when { changeRequest() }" in text
    assert "input message: 'Promote the versions staging runs to prod?'" in text
    for command in ("mlstack check --env staging --fail-on mandatory", "--format markdown --fail-on mandatory > comment.md",
                    "mlstack up --env staging --yes", "mlstack verify --env staging",
                    "mlstack promote --from staging --to prod --write", "mlstack up --env prod --locked --yes --approve prod"):
        assert command in text, command


FORBIDDEN = re.compile(
    r"AWS_SECRET_ACCESS_KEY|aws_secret_access_key|AWS_ACCESS_KEY_ID|aws_access_key_id|private_key|PRIVATE KEY|"
    r"GOOGLE_CREDENTIALS|credentials_json|\"type\":\s*\"service_account\"|AmazonWebServicesCredentialsBinding|"
    r"AKIA[0-9A-Z]{16}",
)


@pytest.mark.parametrize("ci", PROVIDERS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_no_long_lived_cloud_keys_anywhere(cloud, ci):
    files = {**_render(cloud, ci), "deployed": _deployed_ci(cloud, ci)}
    for rel, text in files.items():
        assert not FORBIDDEN.search(text), f"{rel}: {FORBIDDEN.search(text).group(0)}"


def test_environment_is_built_once_with_strict_undefined():
    import jinja2

    from mlstack.engine.scaffold.generate import environment, render

    assert environment() is environment()
    assert environment().undefined is jinja2.StrictUndefined and environment().keep_trailing_newline
    with pytest.raises(jinja2.UndefinedError):
        render("project/Pulumi.yaml.j2", {})


def test_templates_ship_as_package_data():
    """pyproject's package data globs cover every template, so a wheel can render them."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["mlstack.templates"]
    templates = [p.relative_to(root / "templates") for p in (root / "templates").rglob("*") if p.is_file() and p.suffix != ".py"]
    templates = [p for p in templates if "__pycache__" not in p.parts]
    assert templates and all(any(p.match(glob) or p.suffix == Path(glob).suffix for glob in data) for p in templates)


def _promotion_script(cloud: str, ci: str) -> str:
    """The shell that commits the promotion, from each provider's parsed pipeline (or the Jenkins stage)."""
    text = _deployed_ci(cloud, ci)
    if ci == "github":
        return "\n".join(s.get("run", "") for s in _load(text)["jobs"]["promote"]["steps"])
    if ci == "gitlab":
        return "\n".join(_load(text)["promote"]["script"])
    return text[text.index("stage('Promote to prod')"): text.index("stage('Deploy prod')")]


@pytest.mark.parametrize("ci", PROVIDERS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_promotion_commits_the_target_lock(cloud, ci):
    """`promote --write` pins stacks/prod.lock.json too, and `up --env prod --locked` after the merge needs it."""
    script = _promotion_script(cloud, ci)
    adds = [line.strip() for line in script.splitlines() if line.strip().startswith("git add ")]
    assert len(adds) == 1, adds
    assert set(adds[0].split()[2:]) == {"stacks/prod.yaml", "stacks/prod.lock.json", "stacks/staging.lock.json"}
    assert script.index("mlstack promote --from staging --to prod --write") < script.index("git add ")


@pytest.mark.parametrize("deployed", [False, True])
@pytest.mark.parametrize("ci", PROVIDERS)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_pipelines_install_the_catalogue_pulumi_cli(cloud, ci, deployed):
    """`up --locked` compares the CLI version exactly: every job that deploys installs the pinned CLI."""
    from mlstack.catalog import load_catalog
    from mlstack.engine.scaffold.generate import CI_FILES

    pin = load_catalog().versions.pulumi_cli
    text = _deployed_ci(cloud, ci) if deployed else _render(cloud, ci)[CI_FILES[ci][1]]
    assert "get.pulumi.com | sh\n" not in text and "get.pulumi.com | sh &&" not in text  # never unpinned
    if ci == "github":
        jobs = _load(text)["jobs"]
        for job in ("deploy-staging", "deploy-prod"):
            step = next(s for s in jobs[job]["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
            assert step["uses"] == "pulumi/actions@v7" and step["with"] == {"pulumi-version": pin}
        installs = [s for job in jobs.values() for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
        assert len(installs) == 2
    elif ci == "gitlab":
        doc = _load(text)
        for job in ("deploy-staging", "deploy-prod"):
            script = doc[job]["script"]
            install = f'curl -fsSL https://get.pulumi.com | sh -s -- --version {pin} && export PATH="$HOME/.pulumi/bin:$PATH"'
            assert install in script
            assert script.index(install) < next(i for i, line in enumerate(script) if line.startswith("mlstack up "))
    else:
        assert (f'[ "$("$HOME/.pulumi/bin/pulumi" version 2>/dev/null)" = "v{pin}" ] || '
                f"curl -fsSL https://get.pulumi.com | sh -s -- --version {pin}\n") in text
        assert text.count("get.pulumi.com") == 1


@pytest.mark.parametrize("cloud", CLOUDS)
def test_gitlab_deploy_jobs_install_what_the_kubeconfig_runs(cloud):
    """The python image has neither the aws CLI nor gke-gcloud-auth-plugin, which the kubeconfigs execute."""
    doc = _load(_deployed_ci(cloud, "gitlab"))
    for job in ("deploy-staging", "deploy-prod"):
        script = doc[job]["script"]
        up = next(i for i, line in enumerate(script) if line.startswith("mlstack up "))
        if cloud == "aws":
            assert script.index("command -v aws > /dev/null || python -m pip install awscli") < up
        elif cloud == "gcp":
            install = next(i for i, line in enumerate(script) if "gke-gcloud-auth-plugin" in line)
            assert install < up
            assert "apt-get install -y -qq --no-install-recommends google-cloud-cli google-cloud-cli-gke-gcloud-auth-plugin" in script[install]
            assert "https://packages.cloud.google.com/apt cloud-sdk main" in script[install]
            # gcloud (called by the plugin) logs in with the same Workload Identity Federation configuration
            assert script.index('export CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE="$GOOGLE_APPLICATION_CREDENTIALS"') < up
        else:
            assert not any("awscli" in line or "google-cloud-cli" in line for line in script)
