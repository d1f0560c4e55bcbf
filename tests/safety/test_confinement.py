"""Nothing leaves the project: environment names are names, ``extends:`` stays in the stacks folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.cli import main

from .test_atomic import snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    (tmp_path / "x.yaml").write_text((root / "stacks" / "staging.yaml").read_text())  # a target outside
    return root


BAD_NAMES = ["../x", "a/b", "/etc/passwd", "..", ".hidden", "Staging", "x" * 25, "", "a\nb", "st\x1b[31mg"]
COMMANDS = [
    ["validate", "--env", "{}"],
    ["plan", "--env", "{}"],
    ["check", "--env", "{}"],
    ["cost", "--env", "{}"],
    ["diff", "--env", "staging", "--env", "{}"],
    ["promote", "--from", "staging", "--to", "{}", "--write"],
    ["promote", "--from", "{}", "--to", "prod", "--write"],
    ["new-env", "{}", "--from", "staging", "--force"],
    ["new-env", "dev", "--from", "{}"],
]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a))
def test_an_environment_is_a_name_not_a_path(project, tmp_path, capsys, name, argv):
    before = snapshot(tmp_path)
    code = main(["--stacks-dir", str(project / "stacks"), *(a.format(name) if a == "{}" else a for a in argv)])
    err = capsys.readouterr().err
    assert code == 2
    flag = argv[argv.index("{}") - 1] if argv.index("{}") > 0 and argv[argv.index("{}") - 1].startswith("--") else "NAME"
    assert err.startswith(f"error: {flag} ") and "an environment is named, not located" in err
    assert err.count("\n") == 1 and "\x1b" not in err  # one line, escaped
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("extends", ["../../x.yaml", "/etc/hostname", "link.yaml", "sub/../../../x.yaml"])
def test_extends_stays_in_the_stacks_folder_and_echoes_nothing_of_the_other_file(project, tmp_path, capsys, extends):
    stacks = project / "stacks"
    secret = tmp_path / "outside.yaml"
    secret.write_text("project: topsecret-value\npassword: hunter2\n")
    (stacks / "link.yaml").symlink_to(secret)
    (stacks / "evil.yaml").write_text(f"extends: {extends}\nenv: evil\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "evil"]) == 2
    err = capsys.readouterr().err
    assert f"evil.yaml:1:1: extends: {extends!r} leads outside the stacks folder" in err
    assert "Copy the base into the stacks folder" in err
    assert "topsecret" not in err and "hunter2" not in err


def test_extends_may_use_a_subfolder(project, capsys):
    stacks = project / "stacks"
    (stacks / "shared").mkdir()
    shutil.move(stacks / "base.yaml", stacks / "shared" / "base.yaml")
    staging = stacks / "staging.yaml"
    staging.write_text(staging.read_text().replace("extends: base.yaml", "extends: shared/base.yaml"))
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "staging"]) == 0
    assert "valid (aws" in capsys.readouterr().out
