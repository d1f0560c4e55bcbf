"""YAML loading that keeps where every value came from, refuses duplicate keys and resolves ``extends:``.

PyYAML's ``compose`` gives nodes with marks; we build plain data from them ourselves so that each value's
file, line and column is known by its field path, and so that a key given twice is an error rather than
silently the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlstack.spec.errors import Problem

try:  # the C loader is several times faster where libyaml is present
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the build of PyYAML
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str, ...]


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int


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
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _build(node: yaml.Node, path: Path_, file: str, locs: dict[Path_, Location], problems: list[Problem]) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _build(key_node, path, file, {}, problems)
            if not isinstance(key, (str, int, float, bool)):
                problems.append(_problem(file, key_node, ".".join(path), "a mapping key must be a plain scalar"))
                continue
            key = str(key)
            child = (*path, key)
            if key in out:
                first = locs[child]
                problems.append(
                    _problem(
                        file,
                        key_node,
                        ".".join(child),
                        f"duplicate key {key!r} (first given at line {first.line}); YAML would silently keep the "
                        "last one. Remove one of them.",
                    )
                )
                continue
            locs[child] = Location(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, child, file, locs, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            child = (*path, str(i))
            locs[child] = Location(file, item.start_mark.line + 1, item.start_mark.column + 1)
            items.append(_build(item, child, file, locs, problems))
        return items
    return _Loader("").construct_object(node)  # type: ignore[arg-type]


def _problem(file: str, node: yaml.Node, path: str, message: str) -> Problem:
    return Problem(file, node.start_mark.line + 1, node.start_mark.column + 1, path, message)


def read_yaml(path: Path) -> Loaded:
    """Reads one YAML file (no overlays) into data and locations.

    Raises:
        SpecError: the file is missing, is not YAML, is not a mapping, or repeats a key.
    """
    from mlstack.spec.errors import SpecError

    file = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem(file, 0, 0, "", "file not found")]) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise SpecError([Problem(file, line, col, "", f"not valid YAML: {exc.problem}")]) from None
    locs: dict[Path_, Location] = {(): Location(file, 1, 1)}
    problems: list[Problem] = []
    data = {} if node is None else _build(node, (), file, locs, problems)
    if not isinstance(data, dict):
        raise SpecError([Problem(file, 1, 1, "", f"the spec must be a mapping of fields, got a {type(data).__name__}")])
    if problems:
        raise SpecError(problems)
    return Loaded(data=data, locations=locs, files=[file])


def merge(base: Loaded, overlay: Loaded) -> Loaded:
    """Overlays ``overlay`` on ``base``: maps merge by key; scalars and lists replace."""

    def walk(b: Any, o: Any, path: Path_, locs: dict[Path_, Location]) -> Any:
        if isinstance(b, dict) and isinstance(o, dict):
            out = dict(b)
            for key, value in o.items():
                child = (*path, key)
                if key in b:
                    out[key] = walk(b[key], value, child, locs)
                else:
                    out[key] = value
                    _copy_locations(overlay.locations, child, locs)
                locs[child] = overlay.locations.get(child, locs.get(child))  # type: ignore[assignment]
            return out
        # Replaced: forget the base's locations below this path, take the overlay's.
        for p in [p for p in locs if p[: len(path)] == path and len(p) > len(path)]:
            del locs[p]
        _copy_locations(overlay.locations, path, locs)
        return o

    locations = dict(base.locations)
    data = walk(base.data, overlay.data, (), locations)
    return Loaded(data=data, locations=locations, files=[*base.files, *overlay.files])


def _copy_locations(source: dict[Path_, Location], prefix: Path_, into: dict[Path_, Location]) -> None:
    for p, loc in source.items():
        if p[: len(prefix)] == prefix:
            into[p] = loc


def load_with_extends(path: Path, _seen: tuple[Path, ...] = (), _root: Path | None = None) -> Loaded:
    """Reads ``path`` and, recursively, the files it ``extends``, merged base first.

    A base must lie inside the folder of the spec that is loaded (the stacks folder; subfolders allowed), once
    symlinks are followed: a base outside it is refused before it is read, so nothing of it is echoed.

    Raises:
        SpecError: a cycle of ``extends``, a missing base or one outside the stacks folder, or any error of the
            files themselves.
    """
    from mlstack.spec.errors import SpecError

    resolved = path.resolve()
    root = _root if _root is not None else resolved.parent
    if resolved in _seen:
        chain = " -> ".join(_display(p) for p in (*_seen, resolved))
        where = read_yaml(_seen[-1]).locations.get(("extends",))  # the link that closes the cycle
        line, column = (where.line, where.column) if where else (0, 0)
        raise SpecError([Problem(_display(_seen[-1]), line, column, "extends", f"extends forms a cycle: {chain}. Remove one link.")])
    loaded = read_yaml(path)
    parent = loaded.data.pop("extends", None)
    if parent is None:
        return loaded
    if not isinstance(parent, str) or not parent:
        loc = loaded.locations[("extends",)]
        raise SpecError([Problem(loc.file, loc.line, loc.column, "extends", "expected a file name such as base.yaml")])
    base_path = path.parent / parent
    if not base_path.resolve().is_relative_to(root):
        from mlstack.escape import printable

        loc = loaded.locations[("extends",)]
        raise SpecError([Problem(loc.file, loc.line, loc.column, "extends", (
            f"{printable(repr(parent), 80)} leads outside the stacks folder {_display(root)}: a spec extends only "
            "files inside it (subfolders are fine). Copy the base into the stacks folder"))])
    if not base_path.is_file():
        loc = loaded.locations[("extends",)]
        raise SpecError(
            [Problem(loc.file, loc.line, loc.column, "extends", f"the base file {_display(base_path)} does not exist")]
        )
    base = load_with_extends(base_path, (*_seen, resolved), root)
    base.data.pop("env", None)  # the environment is named by the file that is planned, never by its base
    for p in [p for p in base.locations if p[:1] == ("env",)]:
        del base.locations[p]
    return merge(base, loaded)
