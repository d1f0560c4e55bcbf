"""The CLI boundary: exit codes, messages, no traceback without --verbose, fast --help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]
STACKS = str(ROOT / "stacks")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--stacks-dir", STACKS, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("validate", "plan", "schema", "up", "preview", "destroy", "promote", "diff", "check", "cost", "init"):
        assert f"  {command} " in out or f"  {command}\n" in out, command


def test_help_imports_no_cloud_sdk():
    code = "import sys; from mlstack.cli import main; main(['--help']); print(sorted(m for m in sys.modules if m.startswith(('pulumi', 'pydantic', 'rich'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_validate_ok(capsys):
    code, out, err = run(capsys, "validate", "--env", "staging")
    assert (code, err) == (0, "")
    assert out == f"{Path(STACKS) / 'staging.yaml'}: valid (aws, 2 node pools, protect off)\n"


def test_env_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("MLSTACK_ENV", "prod")
    code, out, _ = run(capsys, "validate")
    assert code == 0 and "prod.yaml: valid (aws, 2 node pools, protect on)" in out


def test_unknown_environment_exits_2(capsys):
    code, out, err = run(capsys, "plan", "--env", "qa")
    assert code == 2 and out == ""
    assert err == f"error: unknown environment 'qa': {Path(STACKS) / 'qa.yaml'} does not exist. Environments: gcp-staging, onprem, prod, staging\n"


def test_missing_option_is_a_usage_error(capsys):
    code, _, err = run(capsys, "plan")
    assert code == 2
    assert "Missing option '--env'" in err


def bad_stacks(tmp_path: Path) -> Path:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for name in ("base.yaml", "staging.yaml"):
        (stacks / name).write_text((ROOT / "stacks" / name).read_text())
    text = (stacks / "staging.yaml").read_text().replace("    max: 1\n", "    max: -1\n")
    (stacks / "staging.yaml").write_text(text)
    return stacks


def test_spec_error_exits_2_without_traceback(capsys, tmp_path):
    stacks = bad_stacks(tmp_path)
    code = main(["--stacks-dir", str(stacks), "plan", "--env", "staging"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("spec error: 2 problems in the spec:\n")
    assert "staging.yaml:16:5: node_pools.a100.max: must be >= min (0), got -1\n" in err
    assert "base.yaml:27:31: teams.research.gpu_quota: 8 GPUs is more than the GPU pools can ever provide (0 at their max)" in err
    assert "Traceback" not in err


def test_verbose_shows_the_traceback(capsys, tmp_path):
    stacks = bad_stacks(tmp_path)
    code = main(["--verbose", "--stacks-dir", str(stacks), "validate", "--env", "staging"])
    assert code == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_internal_failure_exits_1(capsys, monkeypatch):
    import mlstack.engine.review.planning as planner

    def boom(spec, pins=None, platform=None):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(planner, "plan_spec", boom)
    code, out, err = run(capsys, "plan", "--env", "staging")
    assert code == 1
    assert err.startswith("internal error: RuntimeError: kaboom\n")
    assert "Traceback" not in err


def test_engine_error_exits_1(capsys, monkeypatch):
    import mlstack.engine.review.planning as planner
    from mlstack.errors import EngineError

    def fail(spec, pins=None, platform=None):
        raise EngineError("the plan cannot answer the invoke 'aws:ec2/getVpc:getVpc'")

    monkeypatch.setattr(planner, "plan_spec", fail)
    code, _, err = run(capsys, "plan", "--env", "staging")
    assert code == 1
    assert err == "error: the plan cannot answer the invoke 'aws:ec2/getVpc:getVpc'\n"


def test_plan_json_is_deterministic_and_complete(capsys):
    code, first, _ = run(capsys, "plan", "--env", "staging", "--format", "json")
    assert code == 0
    _, second, _ = run(capsys, "plan", "--env", "staging", "--format", "json")
    assert first == second
    data = json.loads(first)
    assert set(data) >= {"project", "env", "target", "resources", "outputs", "summary"}
    assert (data["project"], data["env"], data["target"]) == ("acme-ml", "staging", {"cloud": "aws", "region": "us-west-2"})
    assert set(data["resources"][0]) >= {"urn", "type", "name", "parent", "inputs", "protect", "retain_on_delete", "depends_on"}
    assert data["summary"]["resources"] == len(data["resources"])
    assert data["cost"]["total"]["complete"] is True and data["cost"]["total"]["monthly_min"] > 0
    counts = data["policy"]["counts"]
    assert data["policy"]["protected"] is False and counts["mandatory_violations"] == 0
    from mlstack.engine.review.policy import RULES

    assert counts["pass"] + counts["fail"] + counts["n/a"] + counts["waived"] == len(RULES) == 63


def test_plan_table_is_grouped_by_component(capsys):
    code, out, _ = run(capsys, "plan", "--env", "staging")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Plan for acme-ml/staging on aws us-west-2"
    env_line = next(i for i, l in enumerate(lines) if l.split() == ["acme-ml-staging", "mlstack:aws:Environment"])
    assert lines[env_line + 1].startswith("    acme-ml-staging-")  # children indented under their component
    assert any(l.endswith("resources to create:") for l in lines)
    assert "  kubeconfig: [secret]" in lines


def test_schema_matches_the_committed_file(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == (ROOT / "schema" / "spec.schema.json").read_text()
    assert json.loads(out)["properties"]["node_pools"]["type"] == "object"


def test_schema_kind_stack_file_matches_the_committed_file(capsys):
    code, out, _ = run(capsys, "schema", "--kind", "stack-file")
    assert code == 0
    assert out == (ROOT / "schema" / "stack-file.schema.json").read_text(), (
        "the spec models changed: run `mlstack schema --kind stack-file -o schema/stack-file.schema.json` "
        "(and `mlstack schema -o schema/spec.schema.json`)")
    assert json.loads(out)["properties"]["extends"]["type"] == "string"


def test_schema_output_writes_a_file(capsys, tmp_path):
    target = tmp_path / "s" / "spec.schema.json"
    code, out, _ = run(capsys, "schema", "--output", str(target))
    assert code == 0 and out == f"wrote {target}\n"
    assert json.loads(target.read_text())["title"] == "mlstack stack spec"


@pytest.mark.parametrize("argv", [["--help"], ["plan", "--help"]])
def test_console_script_exit_codes(argv):
    proc = subprocess.run([sys.executable, "-m", "mlstack", *argv], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
