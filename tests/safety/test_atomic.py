"""mlstack.fsio: atomic, all-or-nothing, confined writes; faults injected at every step leave every file as it was."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack import fsio
from mlstack.errors import UsageError


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every entry under root: file bytes, None for a folder (so new folders and stray temp files show up)."""
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "stacks" / "prod.yaml").write_text("project: acme\nenv: prod\n")
    (root / "stacks" / "prod.lock.json").write_text('{"env": "prod"}\n')
    return root


def three_files(root: Path) -> dict[Path, str]:
    """Two existing files rewritten and one new file in a folder that does not exist yet."""
    return {
        root / "stacks" / "prod.yaml": "project: acme\nenv: prod\nversions: {}\n",
        root / "stacks" / "prod.lock.json": '{"env": "prod", "lock_version": 1}\n',
        root / ".github" / "workflows" / "mlstack.yml": "name: mlstack\n",
    }


def test_writes_every_file_and_leaves_nothing_else(project):
    written = fsio.write_files(three_files(project), root=project)
    assert written == [p.resolve() for p in three_files(project)]
    assert snapshot(project) == {
        ".github": None,
        ".github/workflows": None,
        ".github/workflows/mlstack.yml": b"name: mlstack\n",
        "stacks": None,
        "stacks/prod.lock.json": b'{"env": "prod", "lock_version": 1}\n',
        "stacks/prod.yaml": b"project: acme\nenv: prod\nversions: {}\n",
    }


def test_modes_kept_for_existing_files_and_umask_for_new(project):
    spec = project / "stacks" / "prod.yaml"
    spec.chmod(0o640)
    fsio.atomic_write(spec, "x: 1\n", root=project)
    new = fsio.atomic_write(project / "stacks" / "dev.yaml", b"y: 2\n", root=project)
    assert stat.S_IMODE(spec.stat().st_mode) == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    assert new.read_bytes() == b"y: 2\n"


# (step, which of the three files fails): every step of every file (the new file has no backup step)
FAULTS = [(point, which) for which in (0, 1, 2) for point in fsio.POINTS if not (which == 2 and point == "backup")]


@pytest.mark.parametrize(("point", "which"), FAULTS)
def test_a_full_disk_at_any_step_changes_nothing(project, point, which):
    files = three_files(project)
    before = snapshot(project)
    order = [p.resolve() for p in files]
    seen = []

    def hook(at: str, path: Path) -> None:
        seen.append((at, path))
        # file-specific points fail on the chosen file; folder points (mkdir, fsync_dir, done) on their first call
        target = order[which]
        if at == point and (path == target or at in ("mkdir", "fsync_dir", "done")):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with fsio.faults(hook), pytest.raises(fsio.FileWriteError) as e:
        fsio.write_files(files, root=project)
    assert "no space left on the device" in str(e.value) and str(e.value).endswith("Nothing was changed")
    assert e.value.exit_code == 1
    assert snapshot(project) == before  # byte-identical, the new folder gone, no .tmp/.old left


@pytest.mark.parametrize("point", fsio.POINTS)
def test_ctrl_c_at_any_step_changes_nothing(project, point):
    files = three_files(project)
    before = snapshot(project)

    def hook(at: str, path: Path) -> None:
        if at == point:
            raise KeyboardInterrupt

    with fsio.faults(hook), pytest.raises(KeyboardInterrupt):
        fsio.write_files(files, root=project)
    assert snapshot(project) == before


@pytest.mark.parametrize(("code", "words"), [
    (errno.EACCES, "permission denied"),
    (errno.EROFS, "mounted read-only"),
    (errno.EDQUOT, "quota is used up"),
    (errno.EIO, "Input/output error"),
])
def test_filesystem_errors_name_the_file(project, code, words):
    spec = project / "stacks" / "prod.yaml"

    def hook(at: str, path: Path) -> None:
        if at == "open":
            raise OSError(code, os.strerror(code), str(path))

    with fsio.faults(hook), pytest.raises(fsio.FileWriteError) as e:
        fsio.atomic_write(spec, "x: 1\n", root=project)
    assert str(e.value).startswith(f"cannot write {spec}: ") and words in str(e.value)


def test_a_read_only_file_is_refused_not_replaced(project):
    spec = project / "stacks" / "prod.yaml"
    spec.chmod(0o444)
    with pytest.raises(fsio.FileWriteError, match=r"the file is read-only \(permissions 0o444\); make it writable \(chmod u\+w"):
        fsio.atomic_write(spec, "x: 1\n", root=project)
    assert spec.read_text() == "project: acme\nenv: prod\n"


def test_a_symlink_out_of_the_project_is_refused(project, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("theirs\n")
    link = project / "stacks" / "staging.yaml"
    link.symlink_to(outside)
    with pytest.raises(UsageError, match="refusing to write .*staging.yaml: it is a symlink .* outside the project folder") as e:
        fsio.atomic_write(link, "mine\n", root=project)
    assert e.value.exit_code == 2
    assert outside.read_text() == "theirs\n" and link.is_symlink()
    # a linked folder leading out is the same thing
    (project / "ci").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(UsageError, match="refusing to write"):
        fsio.atomic_write(project / "ci" / "x.yml", "x\n", root=project)
    # ... unless the user named the path
    assert fsio.atomic_write(link, "mine\n", root=project, outside_ok=True) == outside
    assert outside.read_text() == "mine\n"


def test_a_symlink_inside_the_project_is_followed_and_kept(project):
    real = project / "shared" / "prod.yaml"
    real.parent.mkdir()
    real.write_text("old\n")
    link = project / "stacks" / "prod2.yaml"
    link.symlink_to(Path("..") / "shared" / "prod.yaml")
    assert fsio.atomic_write(link, "new\n", root=project) == real
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_symlink_loop_and_a_folder_are_usage_errors(project):
    loop = project / "stacks" / "loop.yaml"
    loop.symlink_to(loop)
    with pytest.raises(UsageError, match="symlink loop"):
        fsio.atomic_write(loop, "x\n", root=project)
    with pytest.raises(UsageError, match="it is a folder"):
        fsio.atomic_write(project / "stacks", "x\n", root=project)


KILL_CHILD = r"""
import os, signal, sys
from pathlib import Path
from mlstack import fsio
point, target, text = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
def hook(at, path):
    if at == point:
        os.kill(os.getpid(), signal.SIGKILL)
with fsio.faults(hook):
    fsio.atomic_write(target, text)
"""


@pytest.mark.parametrize("point", ["open", "write", "fsync", "backup", "replace", "fsync_dir", "done"])
def test_sigkill_at_any_step_leaves_the_whole_old_or_the_whole_new_file(project, point):
    spec = project / "stacks" / "prod.yaml"
    old = spec.read_text()
    new = "project: acme\nenv: prod\n" + "# padding\n" * 2000
    proc = subprocess.run([sys.executable, "-c", KILL_CHILD, point, str(spec), new], capture_output=True, timeout=60)
    assert proc.returncode == -9
    assert spec.read_text() in (old, new)  # never empty, never half
    if point in ("open", "write", "fsync", "backup", "replace"):
        assert spec.read_text() == old
    else:
        assert spec.read_text() == new


# -- a real full filesystem and a real read-only mount -----------------------------------------------------


@pytest.fixture
def small_fs(tmp_path):
    """A 256 KiB tmpfs mounted for the test (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_really_full_disk_changes_nothing(small_fs):
    root = small_fs / "project"
    (root / "stacks").mkdir(parents=True)
    spec = root / "stacks" / "prod.yaml"
    spec.write_text("project: acme\n" * 100)
    filler = small_fs / "filler"
    with pytest.raises(OSError) as full:  # fill the disk to the last block
        with filler.open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    assert full.value.errno == errno.ENOSPC
    before = snapshot(root)
    with pytest.raises(fsio.FileWriteError, match=r"cannot write .*prod.yaml: no space left on the device"):
        fsio.write_files({spec: "project: acme\n" * 5000, root / "stacks" / "prod.lock.json": "{}\n"}, root=root)
    assert snapshot(root) == before


def test_a_really_read_only_mount_is_a_clear_error(small_fs):
    root = small_fs / "project"
    (root / "stacks").mkdir(parents=True)
    spec = root / "stacks" / "prod.yaml"
    spec.write_text("project: acme\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        with pytest.raises(fsio.FileWriteError, match=r"cannot write .*prod.yaml: the filesystem is mounted read-only"):
            fsio.atomic_write(spec, "project: other\n", root=root)
        assert spec.read_text() == "project: acme\n"
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
