"""`--set`/`--add path=value` overrides for `mlstack new-env`, checked against the spec models, and the new file.

A path must exist in the models. Named collections (``node_pools``, ``tags``, ``teams`` ...) take any key in the
models, but ``--set`` may only change a key the source environment has (``node_pools.h100.max=8`` when the
source has no ``h100`` pool is a typo until proven otherwise); ``--add`` is the explicit way to create one.
The value is a YAML scalar (or flow collection) and is type-checked by validating the whole resulting
environment, in a scratch copy of the stacks folder, before anything is written.
"""

from __future__ import annotations

import io
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from mlstack.spec.edit import round_trip_yaml
from mlstack.errors import UsageError

SKIP_FIELDS = {"schema_", "env"}  # `$schema` is an editor hint; the file name names the environment
SCHEMA_LINE = "# yaml-language-server: $schema=../schema/stack-file.schema.json"


@dataclass(frozen=True)
class Override:
    path: tuple[str, ...]
    value: Any
    text: str  # as given, for messages
    flag: str = "--set"  # or "--add": may create keys of named collections
    map_keys: tuple[int, ...] = ()  # indexes of the path segments that are keys of a named collection

    @property
    def label(self) -> str:
        """The argument in messages, its value left out (it may be a secret): ``--set node_pools.l4.max=...``."""
        return shown(self.flag, self.text)


def shown(flag: str, item: str) -> str:
    """``--set a.b=...``: an argument in an error message, escaped and without its value."""
    from mlstack.escape import printable

    path = item.split("=", 1)[0]
    return f"{flag} {printable(path, 120)}=..." if "=" in item else f"{flag} {printable(path, 120)}"


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> X; ``Annotated[X, ...]`` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {name: f.annotation for name, f in model.model_fields.items() if name not in SKIP_FIELDS}


def _wants_text(annotation: Any) -> bool:
    """Whether a leaf holds text, so that `1.33` or `1234` given on the command line stay strings."""
    annotation = _unwrap(annotation)
    if annotation is str:
        return True
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(a, str) for a in typing.get_args(annotation))
    return False


def resolve(path: tuple[str, ...], text: str, flag: str = "--set") -> tuple[Any, tuple[int, ...]]:
    """Checks ``path`` against the spec models; returns the leaf's annotation and which segments are map keys.

    Raises:
        UsageError: a segment the models do not have, listing the keys allowed there, with a suggestion.
    """
    from mlstack.spec.models import Spec

    node: Any = Spec
    map_keys: list[int] = []
    for i, segment in enumerate(path):
        where = ".".join(path[:i]) or "the top level"
        node = _unwrap(node)
        if _is_model(node):
            fields = _fields(node)
            if segment not in fields:
                allowed = sorted(fields)
                raise UsageError(
                    f"{shown(flag, text)}: {'.'.join(path[: i + 1])} does not exist: no key {segment!r} at {where}"
                    f"{_did_you_mean(segment, allowed)}. Allowed there: {', '.join(allowed)}"
                )
            node = fields[segment]
        elif typing.get_origin(node) is dict:
            if not segment:
                raise UsageError(f"{shown(flag, text)}: an empty key at {where}")
            map_keys.append(i)
            node = typing.get_args(node)[1]
        else:
            is_list = typing.get_origin(node) is list
            kind = "a list" if is_list else "a single value"
            hint = f"set the whole list, e.g. --set {where}=[a, b]" if is_list else f"set {where} itself"
            raise UsageError(f"{shown(flag, text)}: {where} is {kind} and has no key {segment!r}: {hint}")
    return node, tuple(map_keys)


def parse(item: str, flag: str = "--set") -> Override:
    """``node_pools.l4.max=8`` -> Override(("node_pools", "l4", "max"), 8)."""
    from mlstack.spec.yaml_build import parse_value

    if "=" not in item:
        raise UsageError(f"{flag}: expected path=value (the argument has no '='), e.g. {flag} node_pools.l4.max=8")
    raw_path, raw_value = item.split("=", 1)
    path = tuple(raw_path.strip().split("."))
    if not raw_path.strip() or any(not p for p in path):
        raise UsageError(f"{shown(flag, item)}: the path must be dotted keys, e.g. node_pools.l4.max")
    leaf, map_keys = resolve(path, item, flag)
    try:  # the spec's own YAML semantics (mlstack.spec.yaml_scalars), and no echo of the value
        value = parse_value(raw_value) if raw_value.strip() else None
    except ValueError as exc:
        raise UsageError(f"{shown(flag, item)}: the value {exc}") from None
    if isinstance(value, (int, float, bool)) and _wants_text(leaf):
        value = raw_value.strip()
    return Override(path, value, item, flag, map_keys)


def _missing_keys(o: Override, source) -> list[tuple[int, list[str]]]:
    """The map-key segments of ``o.path`` that the source environment (a loaded Spec) does not have,
    each with the keys it has at that place."""
    node: Any = source
    missing: list[tuple[int, list[str]]] = []
    for i, segment in enumerate(o.path):
        if i in o.map_keys:
            keys = sorted(node) if isinstance(node, Mapping) else []
            if segment in keys:
                node = node[segment]
                continue
            missing.append((i, keys))
            node = None
        elif isinstance(node, BaseModel):
            node = getattr(node, segment, None)
        else:
            node = None
    return missing


def check_keys(overrides: list[Override], source) -> None:
    """``--set`` changes only keys the source has (or an ``--add`` creates); ``--add`` must create one.

    Raises:
        UsageError: a --set key missing from the source (existing keys listed, with a suggestion), or an --add
            that creates nothing.
    """
    added = {o.path[: i + 1] for o in overrides if o.flag == "--add" for i, _ in _missing_keys(o, source)}
    for o in overrides:
        missing = _missing_keys(o, source)
        if o.flag == "--add":
            if not o.map_keys:
                raise UsageError(f"{o.label}: {'.'.join(o.path)} is not in a named collection, so there is no key to add: use --set")
            if not missing:
                raise UsageError(
                    f"{o.label}: {'.'.join(o.path[: o.map_keys[-1] + 1])} exists already in {source.env}: use --set to change it"
                )
            continue
        for i, keys in missing:
            if o.path[: i + 1] in added:
                continue
            where = ".".join(o.path[:i])
            have = f"Existing keys at {where}: {', '.join(keys)}" if keys else f"{where} has no keys in {source.env}"
            raise UsageError(
                f"{o.label}: {source.env} has no {'.'.join(o.path[: i + 1])}{_did_you_mean(o.path[i], keys)}. "
                f"{have}. To create it, use {shown('--add', o.text)}"
            )


def new_env_file(
    stacks_dir: Path, name: str, source: str, sets: list[str], *, extend_source: bool, adds: list[str] | tuple[str, ...] = ()
) -> tuple[str, str]:
    """The new environment's file name (relative to ``stacks_dir``) and text, validated.

    By default the new file is a sibling of the source: it extends what the source extends (usually
    base.yaml) and holds a copy of the source's own settings, so later edits to the source (staging changes
    first and most) never reach it unreviewed. ``extend_source`` writes ``extends: <source>.yaml`` instead.
    ``adds`` are applied before ``sets``, so a --set may refine an entry an --add creates.

    Raises:
        UsageError: bad name, unknown source, bad --set/--add path or value syntax, a --set key the source
            lacks (a typo unless given as --add).
        SpecError: the resulting environment does not validate (e.g. a value of the wrong type); problems of
            the new file name the --set/--add argument that caused them.
    """
    from mlstack.spec import load_spec, spec_path
    from mlstack.spec.names import check_env_name

    check_env_name(name, "NAME")
    check_env_name(source, "--from")
    if name == "base" or name.endswith("-lock"):
        raise UsageError(
            f"environment name {name!r}: use a lowercase DNS label of at most 24 characters (not 'base'), e.g. perf"
        )
    source_path = spec_path(source, stacks_dir)
    if name == source:
        raise UsageError(f"new-env {name} --from {source}: the new environment needs another name")
    overrides = [parse(a, "--add") for a in adds] + [parse(s) for s in sets]
    if overrides:
        check_keys(overrides, load_spec(source, stacks_dir))
    source_text = source_path.read_text(encoding="utf-8")
    schema_line = next((ln for ln in source_text.splitlines() if ln.startswith("# yaml-language-server:")), SCHEMA_LINE)
    how = "extends" if extend_source else "copied from"
    settings = ", ".join(o.text if o.flag == "--set" else f"{o.text} (added)" for o in overrides)
    header = [
        schema_line,
        f"# {name}: {how} {source_path.name} by `mlstack new-env`{' with ' + settings if settings else ''}.",
    ]
    data = _start(source_path, source_text, extend_source)
    for o in overrides:
        _put(data, o)
    text = "\n".join(header) + "\n" + _dump(data)
    _validate(stacks_dir, f"{name}.yaml", text, overrides)
    return f"{name}.yaml", text


def _start(source_path: Path, text: str, extend_source: bool):
    from ruamel.yaml.comments import CommentedMap

    if extend_source:
        data = CommentedMap()
        data["extends"] = source_path.name
        return data
    # Drop the source's leading comment block (it describes the source), keep every other comment.
    lines = text.splitlines(keepends=True)
    while lines and (lines[0].lstrip().startswith("#") or not lines[0].strip()):
        lines.pop(0)
    data = round_trip_yaml().load("".join(lines)) or CommentedMap()
    data.pop("env", None)
    return data


def _put(data, o: Override) -> None:
    from ruamel.yaml.comments import CommentedMap

    node = data
    for key in o.path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = CommentedMap()
            node[key] = child
        node = child
    node[o.path[-1]] = o.value


def _dump(data) -> str:
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


def _validate(stacks_dir: Path, file_name: str, text: str, overrides: Sequence[Override] = ()) -> None:
    """Loads the new file next to copies of the existing stacks; errors name the real files.

    The new file is not written yet, so its line numbers mean nothing to the user: a problem there names the
    --set/--add argument whose path it concerns, else the file as "(not written)".
    """
    from mlstack.spec import SpecError
    from mlstack.spec.edit import load_in_scratch

    new_path = stacks_dir / file_name
    try:
        load_in_scratch({file_name: text}, stacks_dir, [Path(file_name).stem], prefix="mlstack-new-env-")
    except SpecError as exc:
        raise SpecError([_blame(p, overrides, new_path) if p.file == str(new_path) else p for p in exc.problems]) from None


def _blame(p, overrides: Sequence[Override], new_path: Path):
    """A problem of the unwritten file -> the override it comes from: the last one whose path contains the
    problem's, lies inside it, or is a sibling field of it (cross-field rules such as min <= max)."""
    from mlstack.spec.errors import Problem

    parts = tuple(p.path.split(".")) if p.path else ()
    for o in reversed(overrides):
        n = min(len(parts), len(o.path))
        sibling = len(o.path) > 1 and parts[: len(o.path) - 1] == o.path[:-1]
        if parts and (parts[:n] == o.path[:n] or sibling):
            return Problem("", 0, 0, o.label if parts == o.path else f"{o.label}: {p.path}", _masked(p.message, overrides))
    return Problem(f"{new_path} (not written)", 0, 0, p.path, _masked(p.message, overrides))


def _masked(message: str, overrides: Sequence[Override]) -> str:
    """``message`` without the text of any --set/--add value (an argument may carry a secret)."""
    for o in overrides:
        values = [o.value] if isinstance(o.value, str) else []
        for value in values:
            for form in (repr(value), repr(value[:57] + "...") if len(value) > 60 else None):
                if form and form in message:
                    message = message.replace(form, "the value given")
    return message


def _did_you_mean(value: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
