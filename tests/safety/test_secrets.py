"""No error path echoes a secret, and a credential in a spec is refused (value hidden) before any output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.spec.credentials import credential_kind

ROOT = Path(__file__).resolve().parents[2]
SECRET = "hunter2-Zq81"
TOKEN = "ghp_" + "Ab3" * 12


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    dst = tmp_path / "project" / "stacks"
    shutil.copytree(ROOT / "stacks", dst, ignore=shutil.ignore_patterns("*.lock.json"))
    monkeypatch.chdir(tmp_path / "project")
    return dst


@pytest.mark.parametrize(("value", "kind"), [
    (f"https://ci:{SECRET}@gitlab.example.com", "a URL with a password in it"),
    (f"s3://AKIA1234567890ABCDEF:{SECRET}@state-bucket", "a URL with a password in it"),
    (TOKEN, "a GitHub token"),
    ("glpat-" + "x" * 20, "a GitLab token"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("AIza" + "B" * 35, "a Google API key"),
    ("xoxb-123456789012-abcdef", "a Slack token"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "a JSON Web Token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
])
def test_what_counts_as_a_credential(value, kind):
    assert credential_kind(value) == kind


@pytest.mark.parametrize("value", ["https://gitlab.com", "s3://bucket/path", "ghcr.io/mlflow/mlflow:v3.15.2",
                                   "arn:aws:iam::123456789012:role/acme-research", "user@example.com", "AKIA"])
def test_ordinary_values_are_not_credentials(value):
    assert credential_kind(value) is None


@pytest.mark.parametrize(("text", "path"), [
    (f"tags: {{cost-center: '1234', owner: {TOKEN}}}\n", "tags.owner"),
    ("tags: {cost-center: '1234', api_token: anything}\n", "tags.api_token"),
    (f"backend: s3://k:{SECRET}@bucket\n", "backend"),
    (f"ci: {{provider: gitlab, repository: acme/ml, gitlab_url: 'https://u:{SECRET}@gitlab.acme.dev'}}\n", "ci.gitlab_url"),
    (f"tracking: {{image: 'ghcr.io/x/mlflow:1@{TOKEN}'}}\n", "tracking.image"),
])
def test_a_credential_in_a_spec_is_a_located_error_that_hides_it(stacks, capsys, text, path):
    (stacks / "staging.yaml").write_text(_with_section((stacks / "staging.yaml").read_text(), text))
    for argv in (["validate"], ["plan"], ["cost"], ["check"]):
        assert main(["--stacks-dir", str(stacks), *argv, "--env", "staging"]) == 2
        err = capsys.readouterr().err
        assert f"stacks/staging.yaml:" in err and f": {path}: " in err and "(value hidden)" in err
        assert SECRET not in err and TOKEN not in err and "anything" not in err


def test_init_refuses_a_password_in_the_gitlab_url_and_writes_nothing(tmp_path, capsys, monkeypatch):
    from mlstack.cli import cmd_generate

    monkeypatch.setattr(cmd_generate, "_interactive", lambda: False)
    root = tmp_path / "p"
    argv = ["init", str(root), "--project", "acme-ml", "--cloud", "aws", "--region", "us-west-2", "--ci", "gitlab",
            "--repository", "acme/ml", "--gitlab-url", f"https://root:{SECRET}@gitlab.acme.dev"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "ci.gitlab_url: a URL with a password in it" in err and SECRET not in err
    assert not root.exists()


@pytest.mark.parametrize(("flag", "arg", "message"), [
    ("--set", f"tags.nosuch={SECRET}", "error: --set tags.nosuch=...: staging has no tags.nosuch"),
    ("--add", f"tags.api_token={SECRET}", "  --add tags.api_token=...: a key named like a secret in a free-form map"),
    ("--set", f"node_pools.system.max={SECRET}", "  --set node_pools.system.max=...: expected a whole number, got the value given"),
    ("--set", f"node_pools.system.max=!!binary {SECRET}", "error: --set node_pools.system.max=...: the value a tag"),
    ("--set", f"node_pools.system.max=[{SECRET}", "error: --set node_pools.system.max=...: the value is not valid YAML"),
    ("--set", f"{SECRET}", "error: --set: expected path=value (the argument has no '=')"),
])
def test_new_env_errors_do_not_echo_the_argument_value(stacks, capsys, flag, arg, message):
    assert main(["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging", flag, arg]) == 2
    err = capsys.readouterr().err
    assert message in err and SECRET not in err
    assert not (stacks / "perf.yaml").exists()


def _with_section(spec: str, text: str) -> str:
    """``spec`` with the top-level section ``text`` gives in place of its own (staging has a ``ci:`` section: a key
    given twice is a spec error of its own, which would hide the one under test)."""
    key = text.split(":", 1)[0]
    out, skipping = [], False
    for line in spec.splitlines(keepends=True):
        if line.startswith(f"{key}:"):
            skipping = True
        elif not (skipping and line[:1] in (" ", "\n", "#")):
            skipping = False
            out.append(line)
    return "".join(out) + text
