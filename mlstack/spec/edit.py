"""Editing spec files: the round-trip YAML that keeps a user's formatting, and validating edited or generated
spec texts in a scratch copy of the stacks folder before anything is written (promote, new-env, init)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlstack.spec.errors import Problem, SpecError
from mlstack.spec.models import Spec


def round_trip_yaml() -> Any:
    """A ruamel.yaml instance that keeps a spec file's comments, key order, quotes and flow style, and never
    re-wraps long lines: the one way mlstack edits a user's spec file (promote, new-env)."""
    from ruamel.yaml import YAML

    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def load_in_scratch(
    texts: Mapping[str, str],
    stacks_dir: Path | None = None,
    envs: Sequence[str] | None = None,
    prefix: str = "mlstack-",
) -> dict[str, Spec]:
    """Loads spec texts as if they were written into ``stacks_dir``, without touching it.

    The scratch folder holds a copy of ``stacks_dir`` (lock files and dot-files left out), then ``texts`` written
    over it; the real files are untouched whatever happens.

    Args:
        texts: file name (e.g. ``prod.yaml``) -> the text it would hold.
        stacks_dir: the stacks folder to copy, or None for a folder holding only ``texts``.
        envs: the environments to load; None loads every environment of the scratch folder.
        prefix: the temporary folder's name prefix (names the command in a crash report).

    Returns:
        ``{env: Spec}`` in the order loaded.

    Raises:
        SpecError: a text does not validate; its problems name the real files (``stacks_dir/<name>``, or
            ``stacks/<name>`` without a stacks folder), never the scratch copy.
    """
    from mlstack.spec import list_envs, load_spec_file

    real = stacks_dir if stacks_dir is not None else Path("stacks")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        scratch = Path(tmp) / real.name
        if stacks_dir is not None:
            shutil.copytree(stacks_dir, scratch, ignore=shutil.ignore_patterns("*.lock.json", ".*"))
        else:
            scratch.mkdir()
        for name, text in texts.items():
            # Not through mlstack.fsio on purpose: the scratch folder is private and deleted on exit, so a torn
            # write loses nothing, and fsio's fault seam (tests/safety) must see only the project's own files.
            (scratch / name).write_text(text, encoding="utf-8")
        try:
            return {env: load_spec_file(scratch / f"{env}.yaml") for env in (list_envs(scratch) if envs is None else envs)}
        except SpecError as exc:
            raise SpecError([_renamed(p, scratch, real) for p in exc.problems]) from None


def _renamed(p: Problem, scratch: Path, real: Path) -> Problem:
    """A problem of the scratch copy, naming the real file instead (in its file and in its message)."""

    def swap(text: str) -> str:
        for shown in (str(scratch.resolve()), str(scratch)):
            text = text.replace(shown, str(real))
        return text

    return Problem(swap(p.file) if p.file else p.file, p.line, p.column, p.path, swap(p.message))
