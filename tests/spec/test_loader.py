"""The YAML loader: locations, duplicate keys, overlays, cycles, env defaults, secrets never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.spec import SpecError, list_envs, load_spec, load_spec_file
from mlstack.spec.errors import show
from mlstack.spec.yaml_loader import load_with_extends, read_yaml

ROOT = Path(__file__).resolve().parents[2]

BASE = """\
project: acme-ml
versions: {kubernetes: "1.33"}
tags: {team: platform}
node_pools:
  system: {machine: m6i.xlarge, min: 2, max: 4}
storage:
  shared: {size_gib: 1024}
  buckets: {artifacts: {}, datasets: {versioning: true}}
registry: {repositories: [trainer, serving]}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_locations_are_kept_for_every_field(tmp_path):
    loaded = read_yaml(write(tmp_path, "x.yaml", BASE))
    assert loaded.locations[("node_pools", "system", "max")].line == 5
    assert loaded.locations[("node_pools", "system", "max")].column == 41
    assert loaded.locations[("registry", "repositories", "1")].line == 9
    assert loaded.locate(("node_pools", "system", "nope")).line == 5


def test_duplicate_keys_are_an_error(tmp_path):
    path = write(tmp_path, "staging.yaml", "project: a\ntarget: {cloud: aws}\nproject: b\n")
    with pytest.raises(SpecError) as info:
        read_yaml(path)
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.path) == (3, 1, "project")
    assert "duplicate key 'project' (first given at line 1)" in problem.message


def test_nested_duplicate_keys_are_an_error(tmp_path):
    path = write(tmp_path, "staging.yaml", "node_pools:\n  a: {min: 1}\n  a: {min: 2}\n")
    with pytest.raises(SpecError) as info:
        read_yaml(path)
    assert [p.path for p in info.value.problems] == ["node_pools.a"]


def test_yaml_syntax_error_has_a_location(tmp_path):
    path = write(tmp_path, "staging.yaml", "project: [a\n")
    with pytest.raises(SpecError) as info:
        read_yaml(path)
    assert info.value.problems[0].line == 2
    assert "not valid YAML" in info.value.problems[0].message


def test_a_spec_must_be_a_mapping(tmp_path):
    with pytest.raises(SpecError, match="the spec must be a mapping of fields, got a list"):
        read_yaml(write(tmp_path, "staging.yaml", "- a\n- b\n"))


def test_extends_merges_maps_and_replaces_scalars_and_lists(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(
        tmp_path,
        "staging.yaml",
        "extends: base.yaml\ntarget: {cloud: aws, region: us-west-2}\n"
        "node_pools:\n  system: {max: 6}\nregistry: {repositories: [trainer]}\ntags: {env: staging}\n",
    )
    loaded = load_with_extends(child)
    assert loaded.data["node_pools"]["system"] == {"machine": "m6i.xlarge", "min": 2, "max": 6}
    assert loaded.data["registry"]["repositories"] == ["trainer"]
    assert loaded.data["tags"] == {"team": "platform", "env": "staging"}
    assert "extends" not in loaded.data
    # Each field is located in the file that wrote it.
    assert loaded.locations[("node_pools", "system", "max")].file.endswith("staging.yaml")
    assert loaded.locations[("node_pools", "system", "machine")].file.endswith("base.yaml")
    assert ("registry", "repositories", "1") not in loaded.locations


def test_errors_point_into_the_base_file(tmp_path):
    write(tmp_path, "base.yaml", BASE.replace("min: 2, max: 4", "min: 2, max: 4, colour: red"))
    child = write(tmp_path, "staging.yaml", "extends: base.yaml\ntarget: {cloud: aws, region: us-west-2}\n")
    with pytest.raises(SpecError) as info:
        load_spec_file(child)
    (problem,) = info.value.problems
    assert problem.file.endswith("base.yaml")
    assert (problem.line, problem.path) == (5, "node_pools.system.colour")


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(SpecError, match=r"extends forms a cycle: .*a.yaml -> .*b.yaml -> .*a.yaml") as info:
        load_with_extends(tmp_path / "a.yaml")
    (problem,) = info.value.problems
    assert (problem.file.endswith("b.yaml"), problem.line, problem.column) == (True, 1, 1)


def test_extends_missing_base(tmp_path):
    child = write(tmp_path, "staging.yaml", "extends: nowhere.yaml\nproject: a\n")
    with pytest.raises(SpecError) as info:
        load_with_extends(child)
    assert info.value.problems[0].path == "extends"
    assert "nowhere.yaml does not exist" in info.value.problems[0].message


def test_env_defaults_to_the_file_stem_and_is_never_inherited(tmp_path):
    write(tmp_path, "base.yaml", BASE + "env: base\n")
    child = write(tmp_path, "qa.yaml", "extends: base.yaml\ntarget: {cloud: aws, region: us-east-1}\n")
    assert load_spec_file(child).env == "qa"


def test_protect_defaults_on_for_prod(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    for env, expected in (("prod", True), ("prod-eu", True), ("staging", False)):
        child = write(tmp_path, f"{env}.yaml", "extends: base.yaml\ntarget: {cloud: aws, region: us-east-1}\n")
        assert load_spec_file(child).protected is expected


def test_example_stacks_are_valid():
    stacks = ROOT / "stacks"
    assert {"staging", "prod"} <= set(list_envs(stacks))
    staging, prod = load_spec("staging", stacks), load_spec("prod", stacks)
    assert (staging.protected, prod.protected) == (False, True)
    assert staging.versions == prod.versions


def test_secret_values_are_never_echoed():
    assert "hunter2" not in show("hunter2", "target.db_password")
    assert show("hunter2", "target.db_password") == "a str (value hidden: the field holds a secret)"
    assert show("us-west-2", "target.region") == "'us-west-2'"


def test_unknown_field_that_looks_secret_is_not_echoed(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "staging.yaml", "extends: base.yaml\ntarget: {cloud: aws, region: us-west-2}\napi_token: s3cr3t-value\n")
    with pytest.raises(SpecError) as info:
        load_spec_file(child)
    assert "s3cr3t-value" not in str(info.value)
    assert "unknown field 'api_token'" in str(info.value)


def test_secret_looking_value_is_not_quoted_back(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "staging.yaml", "extends: base.yaml\ntarget: {cloud: aws, region: us-west-2}\nsecrets_provider: 12345678\n")
    with pytest.raises(SpecError) as info:
        load_spec_file(child)
    assert "12345678" not in str(info.value)
    assert "secrets_provider: expected a string, got a int (value hidden: the field holds a secret)" in str(info.value)
