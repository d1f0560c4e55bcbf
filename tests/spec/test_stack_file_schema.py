"""The editor schema accepts what mlstack accepts: every example stack, every generated stack and every valid
fixture validates under check-jsonschema (an independent validator, run as its own command), and a set of
malformed files fails there as it fails in `mlstack validate`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = Path(__file__).resolve().parent / "stack_files"
SCHEMA = ROOT / "schema" / "stack-file.schema.json"
CHECK = Path(sys.executable).parent / "check-jsonschema"

# Each malformed file, with what check-jsonschema says about it (its own words) and what mlstack says.
MALFORMED = {
    "bad-unknown-key": ("$: Additional properties are not allowed ('colour' was unexpected)", "colour: unknown field 'colour'"),
    "bad-pool-key": ("$.node_pools.gpu: Additional properties are not allowed ('gpus' was unexpected)",
                     "node_pools.gpu.gpus: unknown field 'gpus'"),
    "bad-type": ("$.node_pools.gpu.max: '8' is not valid under any of the given schemas",
                 "node_pools.gpu.max: expected a whole number, got '8'"),
    "bad-cloud": ("$.target.cloud: 'azure' is not one of ['aws', 'gcp', 'onprem']", "target.cloud: must be one of"),
    "bad-project": ("$.project: 'Acme_ML' does not match '^[a-z]([a-z0-9-]*[a-z0-9])?$'", "project: expected a DNS-safe name"),
    "bad-bound": ("$.node_pools.gpu.disk_size_gib: 10 is less than the minimum of 20",
                  "node_pools.gpu.disk_size_gib: must be >= 20, got 10"),
    "bad-extends": ("$.extends: ['base.yaml'] is not of type 'string'", "extends: expected the name of a YAML file in the stacks folder"),
    "bad-version-float": ("$.versions.kubernetes: 1.33 is not valid under any of the given schemas",
                          "versions.kubernetes: expected a string, got 1.33"),
    "bad-endpoint": ("$.cluster.endpoint: 'open' is not one of ['private', 'public']", "cluster.endpoint: must be one of"),
    "bad-quota": ("$.teams.research.gpu_quota: -1 is less than the minimum of 0", "teams.research.gpu_quota: must be >= 0"),
}


def check_jsonschema(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CHECK), "--schemafile", str(SCHEMA), *map(str, files)], capture_output=True, text=True)


def _generated_stacks(tmp: Path) -> list[Path]:
    """The stacks of every project `mlstack init` generates (3 clouds x 3 CIs) and of a `new-env`."""
    from generate.helpers import init_argv

    from mlstack.cli import main

    paths: list[Path] = []
    for cloud in ("aws", "gcp", "onprem"):
        for ci in ("github", "gitlab", "jenkins"):
            root = tmp / f"{cloud}-{ci}"
            assert main(init_argv(root, cloud, ci)) == 0
            paths += sorted((root / "stacks").glob("*.yaml"))
    stacks = tmp / "aws-github" / "stacks"
    assert main(["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging", "--set", "node_pools.l4.max=8"]) == 0
    assert main(["--stacks-dir", str(stacks), "new-env", "qa", "--from", "staging", "--extend-source"]) == 0
    return [*paths, stacks / "perf.yaml", stacks / "qa.yaml"]


def test_the_committed_stack_file_schema_is_current():
    from mlstack.spec.schema import schema_text

    assert SCHEMA.read_text() == schema_text("stack-file")


def test_a_stack_file_may_extend_and_leave_out_what_it_inherits():
    schema = json.loads(SCHEMA.read_text())
    assert schema["properties"]["extends"]["type"] == "string"
    assert "required" not in schema
    assert not [name for name, d in schema["$defs"].items() if "required" in d]
    # The same constraints as the merged spec's schema, field by field.
    spec = json.loads((ROOT / "schema" / "spec.schema.json").read_text())
    assert set(schema["properties"]) == set(spec["properties"]) | {"extends"}
    pool, spec_pool = schema["$defs"]["PartialNodePool"], spec["$defs"]["NodePool"]
    # A pool's nested models (its reservation) are the Partial variants of the spec's.
    partial = json.loads(json.dumps(pool["properties"]).replace('"#/$defs/Partial', '"#/$defs/'))
    assert partial == spec_pool["properties"] and pool["additionalProperties"] is False
    assert spec["required"] == ["project", "env", "target"]


def test_every_example_generated_and_valid_fixture_stack_validates(tmp_path, capsys, monkeypatch):
    from mlstack.cli import cmd_generate
    from mlstack.spec import load_spec_file

    monkeypatch.setattr(cmd_generate, "_interactive", lambda: False)
    examples = sorted((ROOT / "stacks").glob("*.yaml"))
    golden = sorted((ROOT / "tests" / "golden" / "generate").glob("*/stacks/*.yaml"))
    fixtures = sorted((FIXTURES / "valid").glob("*.yaml"))
    generated = _generated_stacks(tmp_path)
    files = [*examples, *golden, *fixtures, *generated]
    assert (len(examples), len(golden), len(fixtures), len(generated)) == (5, 15, 4, 29)  # golden: one copy per distinct file (tests/golden.py dedups)
    for path in files:  # each is a file mlstack accepts (a base is checked through the files that extend it)
        # A golden folder keeps only the files that differ from the shared copy (tests/golden.py), so its base
        # may live elsewhere: those are checked by the schema below, and loaded where their base sits beside them.
        if path.stem != "base" and (path.parent / "base.yaml").exists():
            load_spec_file(path)
        assert path.read_text().startswith("# yaml-language-server: $schema=../schema/stack-file.schema.json\n") \
            or path.is_relative_to(FIXTURES)
    result = check_jsonschema(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok -- validation done"


def test_malformed_files_fail_under_check_jsonschema_and_mlstack():
    from mlstack.spec import SpecError, load_spec_file

    files = sorted((FIXTURES / "malformed").glob("bad-*.yaml"))
    assert [p.stem for p in files] == sorted(MALFORMED)
    result = check_jsonschema(*files)
    assert result.returncode == 1
    for path in files:
        schema_says, mlstack_says = MALFORMED[path.stem]
        reported = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(f"{path}::")]
        assert reported == [f"{path}::{schema_says}"], result.stdout
        with pytest.raises(SpecError) as info:
            load_spec_file(path)
        assert mlstack_says in str(info.value)


def test_the_base_of_the_malformed_files_is_itself_valid():
    assert check_jsonschema(FIXTURES / "malformed" / "base.yaml").returncode == 0
    assert (FIXTURES / "malformed" / "base.yaml").read_text() == (FIXTURES / "valid" / "base.yaml").read_text()
    assert re.match(r"^# A base", (FIXTURES / "valid" / "base.yaml").read_text())
