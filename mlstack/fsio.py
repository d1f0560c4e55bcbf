"""The one way mlstack writes files: atomically, all-or-nothing across files, inside the project.

Every file mlstack writes (specs, locks, generated projects, pipelines, the schema, reports) goes through
``write_files`` (a multi-file transaction) or ``atomic_write`` (a transaction of one file). A commit:

1. checks every target: a path whose real location (symlinks followed) lies outside ``root`` is refused unless
   the user named it (``outside_ok``); an existing file we may not write (read-only) is refused, not replaced;
2. writes each file's new bytes to a temporary file in the target's own folder, flushed and fsync'ed;
3. keeps the previous version of each existing target as a hard link (costs no space, so a full disk cannot
   stop the undo), then renames every temporary file over its target, with SIGINT/SIGTERM held off so that a
   Ctrl-C arrives before the renames or after them, never between them; then fsyncs the folders;
4. on any failure before the end, renames the previous versions back, removes new files, temporary files and
   folders it created: every file is byte-for-byte as it was, no ``.tmp`` left behind.

A SIGKILL (which no process can intercept) leaves each file either whole-old or whole-new; between the renames of
a multi-file commit it may leave a prefix of the files renamed. Each rename takes microseconds.

Filesystem errors become ``FileWriteError`` (exit 1) naming the file and the fix; a refused path is a
``UsageError`` (exit 2). ``faults`` is the fault-injection seam the tests use: a callable called with
``(point, path)`` at each step of a commit (see ``POINTS``), which may raise or kill the process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from mlstack.errors import MlstackError, UsageError

# The steps of a commit at which the fault seam is called, in order (per file, then per folder).
POINTS = ("mkdir", "open", "write", "fsync", "backup", "replace", "fsync_dir", "done")

_hook: Callable[[str, Path], None] | None = None


class FileWriteError(MlstackError):
    """A file could not be written (permission, read-only filesystem, full disk...): nothing was changed."""

    exit_code = 1


@contextlib.contextmanager
def faults(hook: Callable[[str, Path], None]) -> Iterator[None]:
    """Calls ``hook(point, path)`` at every step of every commit while active (the tests' fault seam)."""
    global _hook
    previous, _hook = _hook, hook
    try:
        yield
    finally:
        _hook = previous


def _at(point: str, path: Path) -> None:
    if _hook is not None:
        _hook(point, path)


def project_root(stacks_dir: Path | str) -> Path:
    """The project folder of a stacks folder (its real parent): what files mlstack picks itself stay inside."""
    return Path(stacks_dir).resolve().parent


def atomic_write(path: Path | str, data: str | bytes, *, root: Path | str | None = None, outside_ok: bool = False) -> Path:
    """Writes one file atomically; returns the path written (the symlink's target when ``path`` is a link).

    Args:
        path: the file.
        data: text (written UTF-8) or bytes.
        root: the project folder the file must stay in (symlinks followed); None: no confinement.
        outside_ok: the user named this path explicitly (``--output``): it may lie outside ``root``.

    Raises:
        UsageError: the path leaves ``root``, or is a folder.
        FileWriteError: the filesystem refused; the file is as it was.
    """
    return write_files({Path(path): data}, root=root, outside_ok=outside_ok)[0]


def write_files(files: Mapping[Path, str | bytes], *, root: Path | str | None = None, outside_ok: bool = False) -> list[Path]:
    """Writes every file or none (see the module docstring); returns the real paths written, in order given."""
    return _Commit(files, Path(root) if root is not None else None, outside_ok).run()


@dataclass
class _Target:
    shown: Path  # the path as the user knows it (for messages)
    real: Path  # where the bytes go (a symlink's final target)
    data: bytes
    existed: bool = False
    mode: int | None = None
    tmp: Path | None = None
    backup: Path | None = None
    old_bytes: bytes | None = None  # fallback undo when the filesystem has no hard links
    replaced: bool = False


class _Commit:
    def __init__(self, files: Mapping[Path, str | bytes], root: Path | None, outside_ok: bool):
        self.root = root.resolve() if root is not None else None
        self.outside_ok = outside_ok
        self.targets = [_Target(Path(p), Path(p), d.encode("utf-8") if isinstance(d, str) else bytes(d)) for p, d in files.items()]
        self.made_dirs: list[Path] = []

    def run(self) -> list[Path]:
        for t in self.targets:
            self._check(t)
        try:
            for t in self.targets:
                self._prepare(t)
            with _signals_held():
                for t in self.targets:
                    self._replace(t)
                for folder in dict.fromkeys(t.real.parent for t in self.targets):
                    _at("fsync_dir", folder)
                    _fsync_dir(folder)
                _at("done", self.targets[0].real if self.targets else Path("."))
        except BaseException as exc:
            self._undo()
            self._cleanup()
            self._remove_made_dirs()
            if isinstance(exc, OSError):
                raise _error(exc, self._blame(exc)) from None
            raise
        finally:
            self._cleanup()
        return [t.real for t in self.targets]

    # -- phases ---------------------------------------------------------------------------------------

    def _check(self, t: _Target) -> None:
        try:
            real = t.shown.resolve()  # follows every symlink, including one in a parent folder
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise UsageError(f"cannot write {t.shown}: its path is a symlink loop ({exc.__class__.__name__}); "
                             "replace the link with a file") from None
        if self.root is not None and not self.outside_ok and not real.is_relative_to(self.root):
            raise UsageError(f"refusing to write {t.shown}: it is a symlink (or lies in a linked folder) that leads "
                             f"outside the project folder {self.root}; replace the link with a regular file, or name "
                             "that path yourself where the command takes one")
        if real.is_dir():
            raise UsageError(f"cannot write {t.shown}: it is a folder; move it away or choose another path")
        t.real = real
        if real.exists():
            st = real.stat()
            t.existed, t.mode = True, st.st_mode & 0o7777
            # No write bit at all means the user made it read-only: respected even by root (whom access() lets write).
            if not st.st_mode & 0o222:
                raise FileWriteError(f"cannot write {t.shown}: the file is read-only (permissions {oct(t.mode)}); "
                                     f"make it writable (chmod u+w {t.shown}) and run again. Nothing was changed")
            if not os.access(real, os.W_OK):  # a rename would replace a file we may not write: refuse instead
                read_only = bool(os.statvfs(real).f_flag & os.ST_RDONLY)
                code = errno.EROFS if read_only else errno.EACCES
                raise _error(OSError(code, os.strerror(code), str(real)), t.shown)

    def _prepare(self, t: _Target) -> None:
        self._mkdirs(t.real.parent)
        _at("open", t.real)
        fd, name = tempfile.mkstemp(prefix=f".{t.real.name}.", suffix=".tmp", dir=t.real.parent)
        t.tmp = Path(name)
        with os.fdopen(fd, "wb") as fh:
            _at("write", t.real)
            fh.write(t.data)
            fh.flush()
            _at("fsync", t.real)
            os.fsync(fh.fileno())
        os.chmod(t.tmp, t.mode if t.mode is not None else 0o666 & ~_umask())
        if t.existed:
            _at("backup", t.real)
            t.backup = t.tmp.with_name(t.tmp.name.removesuffix(".tmp") + ".old")
            try:
                os.link(t.real, t.backup)
            except OSError as exc:
                t.backup = None
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
                    raise
                t.old_bytes = t.real.read_bytes()  # no hard links here: keep the old bytes to write them back

    def _replace(self, t: _Target) -> None:
        _at("replace", t.real)
        assert t.tmp is not None
        os.replace(t.tmp, t.real)
        t.tmp, t.replaced = None, True

    def _mkdirs(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for d in reversed(missing):
            _at("mkdir", d)
            d.mkdir()
            self.made_dirs.append(d)

    def _undo(self) -> None:
        for t in reversed(self.targets):
            if not t.replaced:
                continue
            with contextlib.suppress(OSError):
                if t.backup is not None:
                    os.replace(t.backup, t.real)
                    t.backup = None
                elif t.old_bytes is not None:
                    t.real.write_bytes(t.old_bytes)  # pragma: no cover - filesystems without hard links
                elif not t.existed:
                    t.real.unlink()

    def _cleanup(self) -> None:
        for t in self.targets:
            for leftover in (t.tmp, t.backup):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        leftover.unlink()
            t.tmp = t.backup = None

    def _remove_made_dirs(self) -> None:
        for d in reversed(self.made_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()

    def _blame(self, exc: OSError) -> Path:
        name = exc.filename
        for t in self.targets:
            if name and Path(name).parent == t.real.parent and Path(name).name.startswith(f".{t.real.name}."):
                return t.shown
            if name and Path(name) in (t.real, t.shown):
                return t.shown
        pending = [t for t in self.targets if not t.replaced]
        return (pending[0] if pending else self.targets[-1]).shown if self.targets else Path(name or ".")


def _error(exc: OSError, path: Path) -> FileWriteError:
    """A filesystem error -> the user's message: the file, what happened, what to do."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        why = "no space left on the device (or the quota is used up); free some space and run again"
    elif code == errno.EROFS:
        why = "the filesystem is mounted read-only; write to a writable folder or remount it"
    elif code in (errno.EACCES, errno.EPERM):
        why = "permission denied; make the file and its folder writable by you (or run where you may write)"
    elif code == errno.ENAMETOOLONG:
        why = "the file name is too long for the filesystem; choose a shorter name"
    else:
        why = f"{exc.strerror or exc.__class__.__name__}"
    return FileWriteError(f"cannot write {path}: {why}. Nothing was changed")


def _fsync_dir(folder: Path) -> None:
    """Makes the renames in ``folder`` durable (a rename lives in the folder's entry, not in the file)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms that cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # pragma: no cover - filesystems without folder fsync
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


_UMASK: int | None = None
_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process umask, for the mode of a new file (mkstemp creates 0600). Reading it means setting it, which
    races with other threads, so it is read once, under a lock."""
    global _UMASK
    with _UMASK_LOCK:
        if _UMASK is None:
            mask = os.umask(0o022)
            os.umask(mask)
            _UMASK = mask
    return _UMASK


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the renames are done (only the main thread can hold them)."""
    held = {signal.SIGINT, signal.SIGTERM}
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
