"""docs/spec-reference.md is generated from the models and current: every field with its type, default, behaviour
and an example that has the field's type."""

from __future__ import annotations

from pathlib import Path

from mlstack.cli import main
from mlstack.spec.models import NodePool, Spec
from mlstack.spec.reference import _models, example_document, reference_text

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "spec-reference.md"


def test_the_committed_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == reference_text(), (
        "docs/spec-reference.md is stale: run `mlstack reference -o docs/spec-reference.md` and commit it")


def test_every_model_has_a_section_and_every_field_a_row_with_a_description():
    text = reference_text()
    paths = [p for p, _ in _models()]
    assert paths == ["", "target", "versions", "network", "cluster", "node_pools.<name>", "node_pools.<name>.reservation",
                     "storage", "storage.shared", "storage.scratch", "storage.buckets.<name>", "registry", "tracking",
                     "tracking.database", "tracking.access", "tracking.password_rotation", "ci", "ci.notebooks.<name>", "teams.<name>",
                     "workloads", "workloads.preemption", "audit"]
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(paths)
    for (path, model), section in zip(_models(), sections):
        assert section.startswith(f"{path or 'Top level'}\n"), path
        for name, field in model.model_fields.items():
            row = next(line for line in section.splitlines() if line.startswith(f"| `{field.alias or name}` |"))
            behaviour = row.split(" | ")[3]
            assert behaviour.strip(), f"{model.__name__}.{name} has no description"


def test_every_example_has_its_fields_type():
    # Every field set to its example at once: the strict models accept them all (the cross-field rules would
    # not: fields of three targets appear together, which is why the reference shows examples per field).
    doc = example_document()
    spec = Spec.model_validate(doc)
    assert spec.node_pools["example"].gpus_per_node == 8
    assert set(doc["node_pools"]["example"]) == set(NodePool.model_fields)


def test_every_field_but_a_section_has_an_example():
    from mlstack.spec.reference import _submodel

    missing = [f"{m.__name__}.{n}" for _, m in _models() for n, f in m.model_fields.items()
               if not f.examples and _submodel(f.annotation)[0] is None]
    assert missing == []


def test_rows_say_type_default_behaviour_and_example():
    text = reference_text()
    assert ("| `disk_size_gib` | integer (20..16384) | `200` | Root disk size, GiB. | `500` |") in text
    assert ("| `endpoint` | one of `private`, `public` | `\"private\"` | API endpoint reachability. Default private; "
            "public needs allowed_cidrs. | `\"public\"` |") in text
    assert ("| `env` | text (1..24 characters, matching `^[a-z]([a-z0-9-]*[a-z0-9])?$`) | the file's stem "
            "(`stacks/<env>.yaml`) |") in text
    assert "| `target` | [target](#target) | required | Where the environment runs. | see its section |" in text
    assert ("| `node_pools` | map of name to [node_pools.<name>](#node_poolsname) | `{}` | A pool of nodes.") in text
    assert "| `ci` | [ci](#ci), or unset | unset | CI trust:" in text


def test_the_command_prints_and_writes_it(capsys, tmp_path):
    assert main(["reference"]) == 0
    assert capsys.readouterr().out == reference_text()
    out = tmp_path / "ref.md"
    assert main(["reference", "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    assert out.read_text() == reference_text()
