"""Read the stacks folder as it was at a git ref, without touching the working tree or the index.

``git archive REF -- <stacks>`` streams the folder's files at that commit; they are unpacked into a temporary
folder so that ``extends:`` resolves against the base files of the same commit. Only the spec files come from
the ref: the mlstack code (components, catalogue) that plans them is the working tree's.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlstack.errors import UsageError


@dataclass
class StacksAtRef:
    """A temporary copy of the stacks folder at ``ref``; use as a context manager to delete it."""

    ref: str
    commit: str
    path: Path  # the folder holding <env>.yaml files (may not exist when the ref had no stacks folder)
    repo_relative: str  # the stacks folder's path inside the repository
    _tmp: Path

    def display(self, file: Path) -> str:
        """How reports name a materialised file: ``REF:stacks/prod.yaml``."""
        try:
            rel = file.resolve().relative_to(self.path.resolve())
        except ValueError:
            return str(file)
        prefix = f"{self.repo_relative}/" if self.repo_relative else ""
        return f"{self.ref}:{prefix}{rel.as_posix()}"

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> StacksAtRef:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _git(args: list[str], cwd: Path, *, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary, check=False)
    except FileNotFoundError:
        raise UsageError("--base needs git on PATH") from None


def materialise(ref: str, stacks_dir: Path) -> StacksAtRef:
    """Copies ``stacks_dir`` as committed at ``ref`` into a temporary folder.

    Raises:
        UsageError: not a git repository, or ``ref`` names no commit.
    """
    start = stacks_dir if stacks_dir.is_dir() else Path.cwd()
    top = _git(["rev-parse", "--show-toplevel"], start)
    if top.returncode != 0:
        raise UsageError(f"--base {ref}: {start} is not inside a git repository")
    root = Path(top.stdout.strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if commit.returncode != 0:
        raise UsageError(f"--base {ref}: no such commit, branch or tag (fetch it first, e.g. git fetch origin {ref})")
    try:
        relative = stacks_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"--base {ref}: the stacks folder {stacks_dir} is outside the repository {root}") from None
    relative = "" if relative == "." else relative
    tmp = Path(tempfile.mkdtemp(prefix="mlstack-base-"))
    target = tmp / "stacks"
    target.mkdir()
    listing = _git(["ls-tree", "--name-only", commit.stdout.strip(), "--", relative or "."], root)
    if listing.returncode == 0 and listing.stdout.strip():
        archive = _git(["archive", "--format=tar", commit.stdout.strip(), "--", relative or "."], root, binary=True)
        if archive.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise UsageError(f"--base {ref}: git archive failed: {archive.stderr.decode(errors='replace').strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp / "tree", filter="data")
        source = tmp / "tree" / relative if relative else tmp / "tree"
        if source.is_dir():
            for file in source.iterdir():
                if file.is_file():
                    shutil.copy2(file, target / file.name)
    return StacksAtRef(ref, commit.stdout.strip(), target, relative, tmp)
