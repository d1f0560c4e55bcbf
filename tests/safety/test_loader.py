"""The hardened YAML loader: every hostile file is a located spec error (exit 2) with a fix, within the limits."""

from __future__ import annotations

import errno
import textwrap
import time
from pathlib import Path
from unittest import mock

import pytest

from mlstack.cli import main
from mlstack.spec import SpecError, load_spec_file
from mlstack.spec.yaml_loader import LIMITS

ROOT = Path(__file__).resolve().parents[2]
BASE = textwrap.dedent("""\
    project: acme-ml
    target: {cloud: aws, region: us-west-2}
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
    tags: {owner: ml}
    """)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files are shown relative to the working folder


def problems(tmp_path: Path, text: str | bytes, name: str = "staging.yaml") -> list[str]:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SpecError) as e:
        load_spec_file(path)
    return [str(p) for p in e.value.problems]


def test_the_base_is_valid(tmp_path):
    (tmp_path / "staging.yaml").write_text(BASE)
    assert load_spec_file(tmp_path / "staging.yaml").tags == {"owner": "ml"}


@pytest.mark.parametrize(("text", "expected"), [
    (BASE.replace("acme-ml", "acme\x07ml"), "staging.yaml:1:14: (top level): a control character (U+0007) is not allowed raw"),
    (BASE.replace("owner: ml", "owner: m\x1b[31ml"), "staging.yaml:8:16: (top level): a control character (U+001B)"),
    (BASE.replace("owner", "own\u202eer"), "staging.yaml:8:11: (top level): a bidirectional or zero-width control (U+202E)"),
    (BASE.replace("min: 2", "min: !!int abc"), "staging.yaml:4:38: node_pools.system.min: the tag !!int: YAML tags"),
    (BASE.replace("cloud: aws", "cloud: !foo aws"), "staging.yaml:2:17: target.cloud: the tag !foo: YAML tags"),
    (BASE + "x: !!binary '&&&'\n", "staging.yaml:9:4: x: the tag !!binary"),
    (BASE.replace("owner: ml", "owner: !!timestamp 2020-13-45"), "staging.yaml:8:15: tags.owner: the tag !!timestamp"),
    (BASE.replace("min: 2", "min: 010"), "node_pools.system.min: 010 is 8 in YAML 1.1 (octal) and 10 in YAML 1.2: write 10, or quote it ('010')"),
    (BASE.replace("min: 2", "min: 1:30"), "node_pools.system.min: 1:30 is a base-60 number in YAML 1.1 and text in YAML 1.2: quote it ('1:30')"),
    (BASE.replace("owner: ml", "owner: on"), "tags.owner: on is a boolean in YAML 1.1 and text in YAML 1.2"),
    (BASE.replace("min: 2", "min: 1_0"), "node_pools.system.min: 1_0 is a number in YAML 1.1 and text in YAML 1.2: write 10"),
    (BASE.replace("min: 2", "min: 2e0"), "node_pools.system.min: 2e0 is a number in YAML 1.2 and text in YAML 1.1"),
    (BASE + "audit: &a {x: *a}\n", "staging.yaml:9:15: audit.x: alias *a refers to the collection that contains it (a recursive alias)"),
    (BASE + "audit: *nope\n", "staging.yaml:9:8: audit: alias *nope has no anchor &nope before it"),
    (BASE + "---\nproject: x\n", "staging.yaml:9:1: (top level): a second YAML document ('---')"),
    (BASE + "project: other\n", "staging.yaml:9:1: project: duplicate key 'project' (first given at line 1)"),
    (BASE + "waivers: {" + "k" * 300 + ": v}\n", "staging.yaml:9:11: waivers: a key of 300 characters (keys are names, at most 256)"),
    (BASE + "[a]: b\n", "staging.yaml:9:1: (top level): a mapping or list used as a mapping key"),
    (BASE + "x: [\n", "staging.yaml:10:1: (top level): not valid YAML: did not find expected node content (while parsing a flow node); Fix the syntax"),
    (BASE.replace("  system", "\tsystem"), "staging.yaml:4:1: (top level): not valid YAML: found character that cannot start any token (while scanning for the next token); a tab: YAML indents with spaces only"),
    (BASE.encode("utf-16"), "staging.yaml:1:1: (top level): is UTF-16; a spec file is UTF-8. Save it as UTF-8"),
    (BASE.replace("acme-ml", "acme-\xe9").encode("latin-1"), "staging.yaml:1:15: (top level): byte 0xe9 is not UTF-8"),
])
def test_hostile_yaml_is_a_located_problem(tmp_path, text, expected):
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_a_tag_on_a_secret_field_echoes_nothing_of_it(tmp_path):
    found = problems(tmp_path, BASE + "x-creds: {db_password: !hunter2 hunter2, api_token: 0777}\n")
    assert found == [
        "staging.yaml:9:24: x-creds.db_password: a tag: YAML tags (!!int, !!binary, !foo, ...) are not part of a spec, "
        "whose values are plain strings, numbers, true/false, lists and mappings. Remove the tag (value hidden: the "
        "field holds a secret)",
        "staging.yaml:9:53: x-creds.api_token: a value that YAML 1.1 and YAML 1.2 read differently (hidden: the field "
        "holds a secret); quote it",
    ]
    assert not any("hunter2" in p or "0777" in p for p in found)


@pytest.mark.parametrize(("text", "expected"), [
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
                                                         for p, c in zip("abcdefgh", "bcdefghi")),
     "would expand the file past 100,000 values (the limit, which stops alias bombs)"),
    ("x: [" + ",".join(["1"] * 10_001) + "]\n", "more than 10,000 items in one list"),
    ("x: {" + ",".join(f"k{i}: 1" for i in range(10_001)) + "}\n", "more than 10,000 keys in one mapping"),
    ("x: " + "{a: " * 40 + "1" + "}" * 40 + "\n", "nested deeper than 32 levels"),
    ("x: '" + "y" * 70_000 + "'\n", "a value of 70,000 characters (values are at most 65,536)"),
    ("x: &a [1]\n" + "".join(f"y{i}: *a\n" for i in range(1001)), "more than 1,000 alias uses in the file"),
    ("x: " + "[" * 100_000 + "]" * 100_000 + "\n", "not valid YAML: exceeded maximum nesting depth"),
])
def test_limits_stop_before_expansion_quickly(tmp_path, text, expected):
    start = time.perf_counter()
    found = problems(tmp_path, text)
    assert time.perf_counter() - start < 10.0  # generous: a shared, loaded machine; quadratic took minutes
    assert len(found) == 1 and expected in found[0], found


def test_file_size_is_checked_before_reading(tmp_path):
    big = "tags:\n" + "".join(f"  k{i}: v\n" for i in range(120_000))
    assert len(big) > LIMITS.file_bytes
    assert problems(tmp_path, big) == [f"staging.yaml: (top level): is {len(big):,} bytes; a spec file is at most "
                                        "1,048,576 bytes (1 MiB), which keeps validation fast. Move shared settings "
                                        "into a base file with extends:, or shorten it"]


def test_files_that_cannot_be_read(tmp_path):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "dir.yaml").mkdir()
    for name, expected in [("loop.yaml", "is a symlink loop (a link that leads back to itself). Replace the link with the file"),
                           ("dir.yaml", "is a folder, not a spec file")]:
        with pytest.raises(SpecError) as e:
            load_spec_file(tmp_path / name)
        assert str(e.value.problems[0]) == f"{name}: (top level): {expected}"
    (tmp_path / "locked.yaml").write_text(BASE)
    denied = PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "locked.yaml"))
    with mock.patch("mlstack.spec.yaml_loader.open", side_effect=denied, create=True), pytest.raises(SpecError) as e:
        load_spec_file(tmp_path / "locked.yaml")
    assert "cannot be read: permission denied. Make it readable (chmod u+r)" in str(e.value)


def test_merge_keys_and_extension_fields(tmp_path):
    text = BASE.replace("node_pools:\n  system: {machine: m6i.xlarge, min: 2, max: 4}",
                        "x-pool: &pool\n  machine: m6i.xlarge\n  min: 2\nnode_pools:\n  system:\n    <<: *pool\n    max: 4\n"
                        "  other:\n    <<: [*pool, {max: 9}]\n    min: 3")
    (tmp_path / "staging.yaml").write_text(text)
    spec = load_spec_file(tmp_path / "staging.yaml")
    assert (spec.node_pools["system"].machine, spec.node_pools["system"].min, spec.node_pools["system"].max) == ("m6i.xlarge", 2, 4)
    assert (spec.node_pools["other"].min, spec.node_pools["other"].max) == (3, 9)
    # a problem in merged values is located where they are written: in the anchor
    found = problems(tmp_path, text.replace("min: 2", "min: many"))
    assert found == ["staging.yaml:5:3: node_pools.system.min: expected a whole number, got 'many'"]
    assert problems(tmp_path, BASE + "audit: {<<: 3}\n") == [
        "staging.yaml:9:14: audit.<<: the merge key << takes a mapping or a list of mappings (<<: *defaults, or "
        "<<: [*a, *b]). Fix its value"]


def test_yaml_12_scalars(tmp_path):
    (tmp_path / "staging.yaml").write_text(BASE.replace("owner: ml", "owner: '010', day: 2024-01-01, ratio: '1:30'")
                                           .replace("min: 2", "min: 0x2"))
    spec = load_spec_file(tmp_path / "staging.yaml")
    assert spec.tags == {"owner": "010", "day": "2024-01-01", "ratio": "1:30"} and spec.node_pools["system"].min == 2


def test_an_overlay_problem_is_blamed_on_the_overlay_and_merging_is_linear(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "staging.yaml").write_text("extends: base.yaml\nnode_pools:\n  system: {max: lots}\n")
    assert problems(tmp_path, (tmp_path / "staging.yaml").read_text()) == [
        "staging.yaml:3:12: node_pools.system.max: expected a whole number, got 'lots'"]

    def merge_time(n: int) -> float:
        tags = "".join(f"  k{i}: v\n" for i in range(n))
        (tmp_path / "staging.yaml").write_text(f"extends: base.yaml\ntags:\n{tags}")
        start = time.perf_counter()
        load_spec_file(tmp_path / "staging.yaml")
        return time.perf_counter() - start

    merge_time(100)
    small, large = min(merge_time(1_000) for _ in range(3)), min(merge_time(8_000) for _ in range(3))
    assert large < small * 8 * 3  # linear (8x the keys) with slack for a loaded machine; quadratic was 64x


def test_deep_extends_chain_is_refused(tmp_path):
    (tmp_path / "b0.yaml").write_text(BASE)
    for i in range(1, 9):
        (tmp_path / f"b{i}.yaml").write_text(f"extends: b{i - 1}.yaml\n")
    (tmp_path / "staging.yaml").write_text("extends: b8.yaml\n")
    with pytest.raises(SpecError) as e:
        load_spec_file(tmp_path / "staging.yaml")
    assert [str(p) for p in e.value.problems] == [
        "b2.yaml:1:1: extends: the extends chain is longer than 8 files (the limit). Extend a file "
        "nearer the root, or merge some bases"]


def test_cli_exit_2_one_located_line_no_traceback(tmp_path, capsys):
    (tmp_path / "staging.yaml").write_text(BASE + "audit: &a {x: *a}\n")
    assert main(["--stacks-dir", str(tmp_path), "validate", "--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 2 and "recursive alias" in err


def test_an_environment_file_that_is_a_loop_or_a_folder_is_named_as_such(tmp_path, capsys):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "dir.yaml").mkdir()
    assert main(["--stacks-dir", str(tmp_path), "validate", "--env", "loop"]) == 2
    assert "loop.yaml: (top level): is a symlink loop" in capsys.readouterr().err
    assert main(["--stacks-dir", str(tmp_path), "validate", "--env", "dir"]) == 2
    assert "dir.yaml: (top level): is a folder, not a spec file" in capsys.readouterr().err


@pytest.mark.parametrize("extends", ["x" * 300 + ".yaml", "base", "../" * 200 + "b.yaml", "a" * 250 + ".yaml"])
def test_extends_names_that_are_not_files_here(tmp_path, extends):
    found = problems(tmp_path, f"extends: {extends}\n" + BASE)
    assert len(found) == 1 and found[0].startswith("staging.yaml:1:1: extends: "), found
    assert "Traceback" not in found[0] and ("expected the name of a YAML file" in found[0] or "does not exist" in found[0]
                                            or "leads outside the stacks folder" in found[0]
                                            or "cannot be opened" in found[0]), found
