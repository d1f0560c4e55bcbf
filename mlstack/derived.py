"""Derived data kept between runs: the validated catalogue and the rendered spec schemas.

Both are pure functions of files mlstack ships (the catalogue's data and its models; the spec models and the
schema renderer) and of the pydantic release that interprets them, so an entry is keyed by the bytes of those
files and that version: an edited checkout or another release never reads an entry made by other code. A hit
saves a command the YAML parse and the validation of the catalogue (``validate``, every plan) or the whole
schema render (``schema``): tests compare each hit with a fresh result, value for value and byte for byte.

Entries are JSON, never pickle, and live in the user's cache folder, not in the project: a cached catalogue is
trusted as validated, and a project folder is what a pull request can write. The folder is
``$MLSTACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlstack``, else ``~/.cache/mlstack``; each kind keeps at most
``MAX_ENTRIES`` files there, oldest out, written through the atomic writer. A damaged or foreign entry is a
miss, and a folder mlstack cannot write only costs the saving. Only the command line turns the cache on
(``enable``); ``MLSTACK_NO_CACHE=1`` turns it off (the test suite does).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

FORMAT = 1
MAX_ENTRIES = 8
_PACKAGE = Path(__file__).resolve().parent  # mlstack/

T = TypeVar("T")
_enabled = False


def enable(on: bool = True) -> None:
    """Turns the cache on for this process (the CLI does; library use and tests keep it off)."""
    global _enabled
    _enabled = on


def active() -> bool:
    return _enabled and os.environ.get("MLSTACK_NO_CACHE", "") in ("", "0")


def folder() -> Path:
    """Where entries live: ``$MLSTACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/mlstack``, else ``~/.cache/mlstack``."""
    named = os.environ.get("MLSTACK_CACHE_DIR")
    if named:
        return Path(named)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mlstack"


def source_key(kind: str, files: Iterable[Path], *extra: str) -> str:
    """The key of an entry derived from ``files`` (their names relative to mlstack's package, and their bytes)
    and ``extra`` (versions of what interprets them)."""
    import hashlib

    import pydantic.version

    h = hashlib.sha256(f"{kind}\0{FORMAT}\0{pydantic.version.VERSION}\0".encode())
    for value in extra:
        h.update(value.encode() + b"\0")
    for path in sorted(files):
        name = path.relative_to(_PACKAGE.parent) if path.is_relative_to(_PACKAGE.parent) else path
        h.update(str(name).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cached(kind: str, key: str, make: Callable[[], T], encode: Callable[[T], str], decode: Callable[[str], T]) -> T:
    """``decode`` of the entry ``kind/key`` when there is one, else ``make()`` (then stored as ``encode`` of it).

    A ``decode`` that raises or returns None (a damaged or foreign entry) is a miss. With the cache off, just
    ``make()``.
    """
    if not active():
        return make()
    path = folder() / kind / f"{key}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None
    if text is not None:
        try:
            found = decode(text)
        except Exception:  # noqa: BLE001 - whatever is wrong with an entry, a fresh result replaces it
            found = None
        if found is not None:
            return found
    value = make()
    _store(path, encode(value))
    return value


def _store(path: Path, text: str) -> None:
    from mlstack import fsio
    from mlstack.errors import MlstackError

    try:
        fsio.atomic_write(path, text, root=path.parent.parent)
        entries = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except (MlstackError, OSError):
        pass  # a read-only or full cache folder only costs the saving
