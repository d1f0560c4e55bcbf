"""Reading spec files: bounded, located, and with one meaning of YAML.

Every problem is a ``SpecError`` (exit 2) at file:line:column with a fix, never an internal error:
unreadable files, symlink loops, bytes that are not UTF-8, control and bidirectional characters, YAML syntax,
tags, ambiguous YAML 1.1/1.2 scalars (``yaml_scalars``), duplicate keys, recursive or undefined aliases, and the
limits below, which are checked while the file is parsed, before any alias is expanded (``yaml_build``).

``extends:`` overlays a file on its base: maps merge by key, scalars and lists replace. Merging and locating
are linear in the size of both files; a problem in the overlay is located in the overlay.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlstack.spec.errors import Problem
from mlstack.spec.limits import LIMITS, Limits
from mlstack.spec.yaml_build import Builder, Location, Path_, Stop

__all__ = ["LIMITS", "Limits", "Loaded", "Location", "load_with_extends", "merge", "read_yaml"]


EXTENSION_PREFIX = "x-"  # top-level keys for YAML anchors only (as in Compose files): read, then dropped

# Characters a spec file may not hold raw: C0/C1 controls but tab, LF and CR (YAML forbids most; the rest would
# be invisible or reach a terminal), lone surrogates and non-characters, and the zero-width and bidirectional
# controls that make text read differently from what it is ("Trojan source").
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Loaded:
    """Plain data plus where each field path was written."""

    data: dict[str, Any]
    locations: dict[Path_, Location]
    files: list[str]

    def locate(self, path: Path_) -> Location | None:
        """The location of ``path`` or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            loc = self.locations.get(path[:end])
            if loc is not None:
                return loc
        return None


def _display(path: Path) -> str:
    from mlstack.escape import printable

    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        real = Path(os.path.abspath(path))
    try:
        shown = str(real.relative_to(Path.cwd()))
    except ValueError:  # elsewhere
        shown = str(path)
    return printable(shown, 200)


def _fail(file: str, message: str, line: int = 0, column: int = 0, path: str = "") -> None:
    from mlstack.spec.errors import SpecError

    raise SpecError([Problem(file, line, column, path, message)])


def _read_bytes(path: Path, file: str, limits: Limits) -> bytes:
    """The file's bytes, at most the limit; every way of not being a readable file is a located error."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            _fail(file, "is a folder, not a spec file" if stat.S_ISDIR(st.st_mode) else
                  "is not a regular file (a pipe or a device); a spec is a YAML file")
        if st.st_size > limits.file_bytes:
            _fail(file, f"is {st.st_size:,} bytes; a spec file is at most {limits.file_bytes:,} bytes (1 MiB), which "
                  "keeps validation fast. Move shared settings into a base file with extends:, or shorten it")
        with open(path, "rb") as fh:
            data = fh.read(limits.file_bytes + 1)
    except FileNotFoundError:
        _fail(file, "file not found")
    except PermissionError:
        _fail(file, "cannot be read: permission denied. Make it readable (chmod u+r), or run as its owner")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            _fail(file, "is a symlink loop (a link that leads back to itself). Replace the link with the file")
        _fail(file, f"cannot be read: {exc.strerror or exc}")
    if len(data) > limits.file_bytes:
        _fail(file, f"is larger than {limits.file_bytes:,} bytes (1 MiB), the limit of a spec file. Shorten it")
    return data


def _decode(data: bytes, file: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _fail(file, "is UTF-16; a spec file is UTF-8. Save it as UTF-8", 1, 1)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        _fail(file, f"byte 0x{data[exc.start]:02x} is not UTF-8: a spec file is UTF-8 text. Save it as UTF-8 (or "
              "remove the byte)", line, column)
    raise AssertionError("unreachable")  # pragma: no cover


def _check_characters(text: str, file: str) -> None:
    from mlstack.spec.errors import SpecError

    problems = []
    for match in _BAD_CHARS.finditer(text):
        pos = match.start()
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        code = f"U+{ord(match.group()):04X}"
        kind = "a bidirectional or zero-width control" if ord(match.group()) >= 0x200B else "a control character"
        problems.append(Problem(file, line, column, "", f"{kind} ({code}) is not allowed raw in a spec: it is invisible "
                                "and can make the file read differently from what it holds. Remove it (inside a "
                                "double-quoted string, write an escape such as \\t instead)"))
        if len(problems) == 10:
            break
    if problems:
        raise SpecError(problems)


def read_yaml(path: Path, limits: Limits = LIMITS) -> Loaded:
    """Reads one YAML file (no overlays) into data and locations.

    Raises:
        SpecError: the file cannot be read, is not UTF-8 YAML within the limits, is not a mapping, repeats a key,
            or uses a tag, an ambiguous scalar or a broken alias.
    """
    from mlstack.escape import printable
    from mlstack.spec.errors import SpecError

    file = _display(path)
    text = _decode(_read_bytes(path, file, limits), file)
    _check_characters(text, file)
    builder = Builder(file, limits)
    try:
        data = builder.build(text)
    except Stop as stop:
        raise SpecError([*builder.problems, stop.problem]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = printable(exc.problem or "", 200)
        context = f" ({printable(exc.context, 100)})" if exc.context else ""
        lines = text.split("\n")
        tab = mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t"
        fix = ("a tab: YAML indents with spaces only. Replace the tab with spaces" if tab else
               "Fix the syntax here (indent with spaces, quote values holding ': ' or '#')")
        raise SpecError([*builder.problems, Problem(file, line, col, "", f"not valid YAML: {what}{context}; {fix}")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - the characters libyaml refuses are refused above
        raise SpecError([Problem(file, 0, 0, "", f"not valid YAML: {printable(exc, 200)}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError([Problem(file, 1, 1, "", f"the spec must be a mapping of fields, got a {type(data).__name__}")])
    if builder.problems:
        raise SpecError(builder.problems)
    locations = builder.locations
    extensions = [k for k in data if k.startswith(EXTENSION_PREFIX)]
    if extensions:  # a place for anchors (x-defaults: &defaults {...}), not configuration
        for key in extensions:
            del data[key]
        locations = {p: loc for p, loc in locations.items() if not (p and p[0] in extensions)}
    return Loaded(data=data, locations=locations, files=[file])


def merge(base: Loaded, overlay: Loaded) -> Loaded:
    """Overlays ``overlay`` on ``base``: maps merge by key; scalars and lists replace. Linear in both sizes."""

    def walk(b: Any, o: Any) -> Any:
        if isinstance(b, dict) and isinstance(o, dict):
            out = dict(b)
            for key, value in o.items():
                out[key] = walk(b[key], value) if key in b else value
            return out
        return o

    data = walk(base.data, overlay.data)
    # Each field of the result was written by the overlay if the overlay has it, else by the base.
    locations: dict[Path_, Location] = {}
    todo: list[tuple[Path_, Any]] = [((), data)]
    while todo:
        path, value = todo.pop()
        # (the root stays the base's: a required field missing from both is blamed on the base, as before)
        loc = (base.locations.get(path) or overlay.locations.get(path)) if not path else (
            overlay.locations.get(path) or base.locations.get(path))
        if loc is not None:
            locations[path] = loc
        if isinstance(value, dict):
            todo.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            todo.extend(((*path, str(i)), v) for i, v in enumerate(value))
    return Loaded(data=data, locations=locations, files=[*base.files, *overlay.files])


def load_with_extends(path: Path, _seen: tuple[Path, ...] = (), _root: Path | None = None, limits: Limits = LIMITS) -> Loaded:
    """Reads ``path`` and, recursively, the files it ``extends``, merged base first.

    A base must lie inside the folder of the spec that is loaded (the stacks folder; subfolders allowed), once
    symlinks are followed: a base outside it is refused before it is read, so nothing of it is echoed.

    Raises:
        SpecError: a cycle of ``extends``, a chain longer than ``limits.extends_depth``, a missing base or one
            outside the stacks folder, or any error of the files themselves.
    """
    from mlstack.escape import printable
    from mlstack.spec.errors import SpecError

    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        resolved = path.absolute()  # a symlink loop: reading it reports the loop
    root = _root if _root is not None else resolved.parent
    if resolved in _seen:
        chain = " -> ".join(_display(p) for p in (*_seen, resolved))
        where = read_yaml(_seen[-1], limits).locations.get(("extends",))  # the link that closes the cycle
        line, column = (where.line, where.column) if where else (0, 0)
        raise SpecError([Problem(_display(_seen[-1]), line, column, "extends", f"extends forms a cycle: {chain}. Remove one link.")])
    loaded = read_yaml(path, limits)
    parent = loaded.data.pop("extends", None)
    if parent is None:
        return loaded
    loc = loaded.locations[("extends",)]
    bad_name = SpecError([Problem(loc.file, loc.line, loc.column, "extends", "expected the name of a YAML file in "
                                  "the stacks folder (at most 255 characters), such as base.yaml")])
    if not isinstance(parent, str) or not parent or len(parent) > 255:
        raise bad_name
    if len(_seen) + 1 >= limits.extends_depth:
        raise SpecError([Problem(loc.file, loc.line, loc.column, "extends", (
            f"the extends chain is longer than {limits.extends_depth} files (the limit). Extend a file nearer the "
            "root, or merge some bases"))])
    base_path = path.parent / parent
    try:
        inside = base_path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        raise SpecError([Problem(loc.file, loc.line, loc.column, "extends", (
            f"{printable(repr(parent), 80)} leads outside the stacks folder {_display(root)} (or is a symlink loop): "
            "a spec extends only files inside it (subfolders are fine). Copy the base into the stacks folder"))])
    if not parent.endswith((".yaml", ".yml")):
        raise bad_name
    try:
        exists = base_path.is_file()
    except OSError as exc:  # a name the filesystem refuses (too long, ...)
        raise SpecError([Problem(loc.file, loc.line, loc.column, "extends", (
            f"the base file cannot be opened ({exc.strerror or exc.__class__.__name__}). Name a file in the stacks folder"))]) from None
    if not exists:
        raise SpecError(
            [Problem(loc.file, loc.line, loc.column, "extends", f"the base file {_display(base_path)} does not exist")]
        )
    base = load_with_extends(base_path, (*_seen, resolved), root, limits)
    base.data.pop("env", None)  # the environment is named by the file that is planned, never by its base
    base.locations.pop(("env",), None)
    return merge(base, loaded)
