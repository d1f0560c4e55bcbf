"""validate is the truth: what `check`, `plan` and the review commands reject because of the spec, validate
rejects first, in one run and located: policy waivers, Kubernetes versions without a support window. The
offline plan reads no local file a target names (target.kubeconfig_path)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def stacks(tmp_path):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    return tmp_path / "stacks"


def _append(path: Path, text: str) -> int:
    """Appends ``text``; returns the line number its first line lands on."""
    before = path.read_text()
    path.write_text(before + text)
    return len(before.splitlines()) + 1


def test_a_bad_waiver_fails_validate_as_it_fails_check(stacks, capsys):
    staging = stacks / "staging.yaml"
    line = _append(staging, "waivers:\n  no-such-rule: because\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spec error: 1 problem in the spec:\n")
    assert f"{staging}:{line + 1}:3: waivers.no-such-rule: unknown policy rule 'no-such-rule'. Known rules: " in err
    assert main(["--stacks-dir", str(stacks), "check", "--env", "staging"]) == 2
    assert capsys.readouterr().err == err  # the same problem, the same words


def test_spec_problems_and_waiver_problems_in_one_run(stacks, capsys):
    staging = stacks / "staging.yaml"
    line = _append(staging, "colour: red\nwaivers:\n  no-such-rule: because\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "staging"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "spec error: 2 problems in the spec:"
    assert lines[1].startswith(f"  {staging}:{line}:1: colour: unknown field 'colour'.")
    assert lines[2].startswith(f"  {staging}:{line + 2}:3: waivers.no-such-rule: unknown policy rule 'no-such-rule'.")


def test_a_waiver_without_a_reason(stacks, capsys):
    prod = stacks / "prod.yaml"
    line = _append(prod, "waivers:\n  MLS-AWS-001: \"  \"\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "prod", "--format", "json"]) == 2
    import json

    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["file"], problem["line"], problem["path"]) == (str(prod), line + 1, "waivers.MLS-AWS-001")
    assert problem["message"].startswith("a waiver needs a reason")


@pytest.mark.parametrize(("env", "cloud"), [("staging", "aws"), ("gcp-staging", "gcp")])
def test_a_kubernetes_version_without_a_support_window_is_a_spec_error(stacks, capsys, env, cloud):
    from mlstack.catalog import load_catalog

    listed = sorted(load_catalog().kubernetes_support[cloud], key=lambda m: tuple(map(int, m.split("."))))
    path = stacks / f"{env}.yaml"
    text = path.read_text()
    assert "versions:" not in text or "kubernetes:" not in text.split("versions:", 1)[1].split("\n\n")[0]
    _append(path, 'versions: {kubernetes: "1.29"}\n')
    assert main(["--stacks-dir", str(stacks), "validate", "--env", env]) == 2
    err = capsys.readouterr().err
    assert (f"versions.kubernetes: {cloud} Kubernetes 1.29 has no support window in the catalogue (it lists "
            f"{', '.join(listed)}; support.yaml). Set one of them, e.g. versions.kubernetes: \"{listed[-1]}\"") in err


def test_onprem_kubernetes_versions_are_the_operators(stacks, capsys):
    _append(stacks / "onprem.yaml", 'versions: {kubernetes: "1.29"}\n')
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "onprem"]) == 0


def test_the_offline_plan_reads_no_kubeconfig_file(stacks, capsys, tmp_path):
    missing = tmp_path / "nowhere" / "kubeconfig"
    onprem = stacks / "onprem.yaml"
    onprem.write_text(onprem.read_text().replace("  kube_context: lab\n", f"  kube_context: lab\n  kubeconfig_path: {missing}\n"))
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "onprem"]) == 0
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "onprem", "--format", "json"]) == 0
    assert not missing.parent.exists()


def test_a_missing_kubeconfig_is_reported_by_the_command_that_needs_it(tmp_path):
    from mlstack.engine.deploy.verify_kube import api_client
    from mlstack.errors import UsageError

    missing = tmp_path / "kubeconfig"
    with pytest.raises(UsageError) as info:
        api_client({}, "lab", str(missing))
    message = str(info.value)
    assert message.startswith(f"cannot use kube context 'lab' from {missing}: ")
    assert message.endswith("Check target.kube_context and target.kubeconfig_path, or `kubectl config get-contexts`")
