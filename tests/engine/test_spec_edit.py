"""Validating spec texts in a scratch copy (promote, new-env and init share it): errors name the real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.spec import SpecError
from mlstack.spec.edit import load_in_scratch

STACKS = Path(__file__).resolve().parents[2] / "stacks"


@pytest.fixture
def stacks(tmp_path):
    folder = tmp_path / "stacks"
    shutil.copytree(STACKS, folder)
    return folder


def test_loads_an_edited_text_next_to_its_base_without_writing(stacks):
    before = {p.name: p.read_bytes() for p in stacks.iterdir()}
    text = (stacks / "staging.yaml").read_text().replace("env: staging", "env: qa")
    specs = load_in_scratch({"qa.yaml": text}, stacks, ["qa"])
    assert list(specs) == ["qa"]
    assert specs["qa"].env == "qa"
    assert {p.name: p.read_bytes() for p in stacks.iterdir()} == before  # nothing written, nothing left


def test_problems_name_the_real_folder_not_the_scratch_copy(stacks):
    with pytest.raises(SpecError) as caught:
        load_in_scratch({"qa.yaml": "extends: missing.yaml\nenv: qa\n"}, stacks, ["qa"])
    (problem,) = caught.value.problems
    assert problem.file == str(stacks / "qa.yaml")
    assert (problem.line, problem.column, problem.path) == (1, 1, "extends")
    assert problem.message == f"the base file {stacks / 'missing.yaml'} does not exist"


def test_without_a_folder_every_environment_of_the_texts_loads(stacks):
    texts = {name: (stacks / name).read_text() for name in ("base.yaml", "staging.yaml", "prod.yaml")}
    assert list(load_in_scratch(texts)) == ["prod", "staging"]
    with pytest.raises(SpecError) as caught:
        load_in_scratch({"base.yaml": texts["base.yaml"], "qa.yaml": "extends: base.yaml\nenv: qa\nbogus: 1\n"})
    assert [(p.file, p.line, p.path) for p in caught.value.problems] == [
        ("stacks/base.yaml", 1, "target"),  # qa.yaml has no target of its own: blamed on its base
        ("stacks/qa.yaml", 3, "bogus"),
    ]
