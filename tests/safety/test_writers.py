"""Every writer of mlstack goes through mlstack.fsio: a fault at any write leaves every file byte-identical."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from mlstack import fsio
from mlstack.cli import main

from .test_atomic import snapshot

ROOT = Path(__file__).resolve().parents[2]
INIT = ["--project", "acme-ml", "--cloud", "aws", "--region", "us-west-2", "--repository", "acme/ml"]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", root / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    shutil.copytree(ROOT / "examples" / "notebooks", root / "examples" / "notebooks")  # the notebooks the stacks name
    return root


def fail_at(point: str, nth: int = 0, code: int = errno.ENOSPC):
    """A fault hook raising ``code`` at the ``nth`` call of ``point``; records every (point, path) seen."""
    seen: list[tuple[str, Path]] = []

    def hook(at: str, path: Path) -> None:
        seen.append((at, path))
        if at == point and sum(1 for a, _ in seen if a == point) == nth + 1:
            raise OSError(code, "injected", str(path))

    hook.seen = seen  # type: ignore[attr-defined]
    return hook


def test_promote_write_is_one_transaction_of_spec_and_lock(project, monkeypatch, capsys):
    from mlstack.engine.deploy import lock as lk
    from mlstack.spec import load_spec

    from lifecycle.fakes import tiny_plan

    monkeypatch.setattr("mlstack.engine.deploy.promote._default_plan", lambda spec: tiny_plan(spec.env, spec.versions.postgres or "16"))
    stacks = project / "stacks"
    staging = load_spec("staging", stacks)
    lk.write_lock(lk.lock_path("staging", stacks), {**lk.build_lock(staging, {}, {}), "versions": {"postgres": "17"}})
    lk.write_lock(lk.lock_path("prod", stacks), lk.build_lock(load_spec("prod", stacks), {}, {}))
    before = snapshot(project)
    argv = ["--stacks-dir", str(stacks), "promote", "--from", "staging", "--to", "prod", "--write"]
    # each of the two files' steps in turn; the second replace is the lock's, after the spec was already renamed
    for point, nth in [("open", 0), ("open", 1), ("fsync", 1), ("backup", 1), ("replace", 0), ("replace", 1), ("fsync_dir", 0)]:
        hook = fail_at(point, nth)
        with fsio.faults(hook):
            assert main(argv) == 1, (point, nth)
        err = capsys.readouterr().err
        assert err.startswith("error: cannot write ") and err.endswith("no space left on the device (or the quota is "
                                                                      "used up); free some space and run again. Nothing was changed\n")
        assert snapshot(project) == before, (point, nth)
    seen: list[tuple[str, Path]] = []
    with fsio.faults(lambda at, path: seen.append((at, path.name))):
        assert main(argv) == 0
    # one commit: both temp files are written before either is renamed
    assert [s for s in seen if s[0] in ("fsync", "replace", "done")] == [
        ("fsync", "prod.yaml"), ("fsync", "prod.lock.json"), ("replace", "prod.yaml"), ("replace", "prod.lock.json"),
        ("done", "prod.yaml")]
    assert 'postgres: "17"' in (stacks / "prod.yaml").read_text()
    assert lk.read_lock(lk.lock_path("prod", stacks), "acme-ml", "prod")["promoted_from"] == "staging"


def test_promote_refuses_a_spec_linked_out_of_the_project(project, tmp_path, monkeypatch, capsys):
    from mlstack.engine.deploy import lock as lk
    from mlstack.spec import load_spec

    from lifecycle.fakes import tiny_plan

    monkeypatch.setattr("mlstack.engine.deploy.promote._default_plan", lambda spec: tiny_plan(spec.env, spec.versions.postgres or "16"))
    stacks = project / "stacks"
    outside = tmp_path / "outside-prod.yaml"
    shutil.move(stacks / "prod.yaml", outside)
    (stacks / "prod.yaml").symlink_to(outside)
    theirs = outside.read_text()
    staging = load_spec("staging", stacks)
    lk.write_lock(lk.lock_path("staging", stacks), {**lk.build_lock(staging, {}, {}), "versions": {"postgres": "17"}})
    assert main(["--stacks-dir", str(stacks), "promote", "--from", "staging", "--to", "prod", "--write"]) == 2
    assert "refusing to write" in capsys.readouterr().err
    assert outside.read_text() == theirs and not lk.lock_path("prod", stacks).exists()


def test_lock_after_up_goes_through_the_writer(project):
    from mlstack.engine.deploy import lock as lk

    path = lk.lock_path("staging", project / "stacks")
    before = snapshot(project)
    with fsio.faults(fail_at("replace")), pytest.raises(fsio.FileWriteError, match=r"cannot write .*staging.lock.json"):
        lk.write_lock(path, {"env": "staging"})
    assert snapshot(project) == before
    lk.write_lock(path, {"env": "staging"})
    assert path.read_text() == '{\n  "env": "staging"\n}\n'


def test_new_env_force_keeps_the_old_file_on_a_fault(project, capsys):
    stacks = project / "stacks"
    (stacks / "dev.yaml").write_text("# mine\n")
    before = snapshot(project)
    argv = ["--stacks-dir", str(stacks), "new-env", "dev", "--from", "staging", "--force"]
    for point in ("open", "write", "fsync", "backup", "replace", "fsync_dir"):
        with fsio.faults(fail_at(point)):
            assert main(argv) == 1
        assert f"cannot write {stacks / 'dev.yaml'}: no space left" in capsys.readouterr().err
        assert snapshot(project) == before
    assert main(argv) == 0 and (stacks / "dev.yaml").read_text() != "# mine\n"


def test_init_writes_the_whole_project_or_nothing(tmp_path, capsys, monkeypatch):
    from mlstack.cli import cmd_generate

    monkeypatch.setattr(cmd_generate, "_interactive", lambda: False)
    root = tmp_path / "platform"
    for nth in (0, 4, 10):  # the first, a middle and the last of the eleven files
        with fsio.faults(fail_at("replace", nth, errno.EACCES)):
            assert main(["init", str(root), *INIT]) == 1
        assert "permission denied" in capsys.readouterr().err
        assert not root.exists()  # every file and folder it created is gone
    assert main(["init", str(root), *INIT]) == 0
    assert len([p for p in root.rglob("*") if p.is_file()]) == 11


def test_ci_and_schema_output_go_through_the_writer(project, tmp_path, capsys):
    before = snapshot(project)
    with fsio.faults(fail_at("write", 0, errno.EROFS)):
        assert main(["--stacks-dir", str(project / "stacks"), "ci", "github"]) == 1
    assert "the filesystem is mounted read-only" in capsys.readouterr().err and snapshot(project) == before
    out = tmp_path / "elsewhere" / "spec.schema.json"  # a path the user names may lie outside the project
    with fsio.faults(fail_at("fsync")):
        assert main(["schema", "--output", str(out)]) == 1
    assert not out.parent.exists()
    assert main(["schema", "--output", str(out)]) == 0 and out.read_text().startswith("{")


def test_read_only_spec_files_do_not_break_a_dry_run(project, monkeypatch, capsys):
    from mlstack.engine.deploy import lock as lk
    from mlstack.spec import load_spec

    from lifecycle.fakes import tiny_plan

    monkeypatch.setattr("mlstack.engine.deploy.promote._default_plan", lambda spec: tiny_plan(spec.env, spec.versions.postgres or "16"))
    stacks = project / "stacks"
    staging = load_spec("staging", stacks)
    lk.write_lock(lk.lock_path("staging", stacks), {**lk.build_lock(staging, {}, {}), "versions": {"postgres": "17"}})
    for f in stacks.glob("*.yaml"):
        f.chmod(0o444)
    before = snapshot(project)
    argv = ["--stacks-dir", str(stacks), "promote", "--from", "staging", "--to", "prod"]
    assert main(argv) == 0 and "dry run: pass --write" in capsys.readouterr().out
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "prod"]) == 0
    assert main([*argv, "--write"]) == 1
    assert "prod.yaml: the file is read-only (permissions 0o444); make it writable" in capsys.readouterr().err
    assert snapshot(project) == before
