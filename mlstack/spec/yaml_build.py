"""Plain data and locations from YAML parser events, with every limit enforced before anything is expanded.

The builder reads libyaml's event stream (no composed node graph, no recursion) and keeps an explicit stack, so
nesting depth, collection sizes, scalar and key lengths, alias uses and the expanded node count are checked as
each event arrives: an alias bomb stops at the alias that would pass the node budget, not after expanding it.
Aliases and merge keys (``<<:``) are resolved here; tags are refused; plain scalars mean what
``yaml_scalars`` says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from mlstack.escape import printable
from mlstack.spec.errors import Problem, is_secret_path
from mlstack.spec.yaml_scalars import Ambiguous, plain_value

try:  # the C parser is several times faster where libyaml is present
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the build of PyYAML
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path_ = tuple[str, ...]
MAX_PROBLEMS = 50  # a file with more problems than this is reported in part
# An aliased node of at most this many values keeps the locations inside its anchor (a problem in it is shown
# where it is written); a larger one is located at the alias, so expanding it costs no location bookkeeping.
LOCATED_ALIAS_NODES = 1_000
_NO_KEY = object()
_MERGE = "<<"


class _Dup(str):
    """The key of a duplicate entry: read (to report its own problems) and then dropped."""


class Stop(Exception):
    """A problem that ends reading the file (a limit, a broken alias)."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    column: int


@dataclass
class _Frame:
    kind: str  # "map" | "seq"
    value: Any
    path: Path_
    anchor: str | None
    nodes_at_start: int
    log_at_start: int
    key: Any = _NO_KEY
    key_mark: Any = None
    merge_at: int | None = None  # log position where the value of this map's << key starts
    merge_value: list[Any] = field(default_factory=list)


@dataclass
class _Anchor:
    value: Any
    entries: list[tuple[Path_, Location]]  # locations inside the anchored node, relative to it
    nodes: int


class Builder:
    """Builds one document. ``locations`` maps field paths to where they were written."""

    def __init__(self, file: str, limits: Any):
        self.file, self.limits = file, limits
        self.locations: dict[Path_, Location] = {(): Location(file, 1, 1)}
        self.log: list[tuple[Path_, Location] | None] = []
        self.problems: list[Problem] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.alias_uses = 0
        self.quiet = False  # messages never quote a value (a command-line argument may be a secret)

    # -- reporting ----------------------------------------------------------------------------------------

    def _where(self, mark: Any) -> tuple[int, int]:
        return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)

    def problem(self, mark: Any, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.file, *self._where(mark), ".".join(path), message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise Stop(Problem(self.file, *self._where(mark), ".".join(path),
                               f"more than {MAX_PROBLEMS} problems: fix these first (the rest of the file was not read)"))

    def stop(self, mark: Any, path: Path_, message: str) -> None:
        raise Stop(Problem(self.file, *self._where(mark), ".".join(path), message))

    # -- events -------------------------------------------------------------------------------------------

    def build(self, text: str) -> Any:
        stack: list[_Frame] = []
        root: list[Any] = []
        documents = 0
        for ev in yaml.parse(text, Loader=_Loader):
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    self.stop(ev.start_mark, (), "a second YAML document ('---'): a spec file holds one. Remove the "
                              "'---' line and what follows, or put that environment in its own file")
            elif isinstance(ev, yaml.ScalarEvent):
                if stack and stack[-1].kind == "map" and stack[-1].key is _NO_KEY:
                    self._key(stack[-1], ev)
                else:
                    path = self._enter(stack, ev, ev.start_mark)
                    self._place(stack, root, self._scalar(ev, path), path)
            elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if stack and stack[-1].kind == "map" and stack[-1].key is _NO_KEY:
                    self.stop(ev.start_mark, stack[-1].path, "a mapping or list used as a mapping key: keys are plain "
                              "names. Write the key as text")
                path = self._enter(stack, ev, ev.start_mark)
                if len(stack) >= self.limits.depth:
                    self.stop(ev.start_mark, path, f"nested deeper than {self.limits.depth} levels (the limit of a spec, "
                              "whose deepest field is 5 levels down). Flatten it")
                self._tag(ev, path)
                kind = "map" if isinstance(ev, yaml.MappingStartEvent) else "seq"
                if ev.anchor is not None:
                    self.open_anchors.add(ev.anchor)
                stack.append(_Frame(kind, {} if kind == "map" else [], path, ev.anchor, self.nodes, len(self.log)))
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame = stack.pop()
                if frame.kind == "map" and frame.merge_at is not None:
                    self._merge(frame, ev.start_mark)
                if frame.anchor is not None:
                    self._keep_anchor(frame.anchor, frame.value, frame.path, frame.log_at_start, frame.nodes_at_start)
                self._place(stack, root, frame.value, frame.path)
            elif isinstance(ev, yaml.AliasEvent):
                if stack and stack[-1].kind == "map" and stack[-1].key is _NO_KEY:
                    self.stop(ev.start_mark, stack[-1].path, f"alias *{printable(ev.anchor, 40)} used as a mapping key: "
                              "keys are plain names. Write the key")
                path = self._enter(stack, ev, ev.start_mark)
                self._place(stack, root, self._alias(ev, path), path)
        return root[0] if root else None

    def _enter(self, stack: list[_Frame], ev: Any, mark: Any) -> Path_:
        """The path of the node that starts with ``ev``; records its location and counts it."""
        self.nodes += 1
        if self.nodes > self.limits.nodes:
            self.stop(mark, stack[-1].path if stack else (), f"more than {self.limits.nodes:,} values in the file "
                      "(aliases counted expanded): the limit keeps validation fast. Split the spec")
        if not stack:
            return ()
        parent = stack[-1]
        if parent.kind == "seq":
            if len(parent.value) >= self.limits.items:
                self.stop(mark, parent.path, f"more than {self.limits.items:,} items in one list (the limit of a spec "
                          "collection). Shorten it")
            path = (*parent.path, str(len(parent.value)))
            loc_mark = mark
        else:
            if len(parent.value) >= self.limits.items:
                self.stop(mark, parent.path, f"more than {self.limits.items:,} keys in one mapping (the limit of a spec "
                          "collection). Shorten it")
            path = (*parent.path, str(parent.key))
            loc_mark = parent.key_mark
            if parent.key == _MERGE and parent.merge_at is None:
                parent.merge_at = len(self.log)
        loc = Location(self.file, *self._where(loc_mark))
        self.locations[path] = loc
        self.log.append((path, loc))
        return path

    def _key(self, frame: _Frame, ev: Any) -> None:
        plain = ev.implicit[0]
        key = ev.value
        path = (*frame.path, key)
        if ev.tag is not None and ev.tag != "!":
            self.problem(ev.start_mark, path, f"a YAML tag ({printable(ev.tag.replace('tag:yaml.org,2002:', '!!'), 30)}) on a key: keys are plain names. "
                         "Remove the tag")
        if len(key) > self.limits.key_chars:
            self.stop(ev.start_mark, frame.path, f"a key of {len(key):,} characters (keys are names, at most "
                      f"{self.limits.key_chars}). Shorten it")
        if key == _MERGE and plain:
            if frame.merge_at is not None:
                self.problem(ev.start_mark, frame.path, "a second merge key '<<': give one, with a list of mappings "
                             "to merge several (<<: [*a, *b])")
        elif key in frame.value:
            first = self.locations.get(path)
            at = f" (first given at line {first.line})" if first else ""
            self.problem(ev.start_mark, path, f"duplicate key {printable(repr(key), 60)}{at}; YAML would silently keep "
                         "the last one. Remove one of them.")
            key = _Dup(key)  # read on (its own problems count), then drop it: the first one stays
        frame.key, frame.key_mark = key, ev.start_mark

    def _place(self, stack: list[_Frame], root: list[Any], value: Any, path: Path_) -> None:
        if not stack:
            root.append(value)
            return
        parent = stack[-1]
        if parent.kind == "seq":
            parent.value.append(value)
            return
        key = parent.key
        parent.key = _NO_KEY
        if key == _MERGE and parent.merge_at is not None and not parent.merge_value:
            parent.merge_value.append(value)
        elif not isinstance(key, _Dup):
            parent.value[key] = value

    def _scalar(self, ev: Any, path: Path_) -> Any:
        self._tag(ev, path)
        text = ev.value
        if len(text) > self.limits.scalar_chars:
            self.stop(ev.start_mark, path, f"a value of {len(text):,} characters (values are at most "
                      f"{self.limits.scalar_chars:,}). Shorten it")
        value: Any = text
        if ev.implicit[0] and ev.tag is None:  # plain
            try:
                value = plain_value(text)
            except Ambiguous as exc:
                if self.quiet:
                    message = "reads differently in YAML 1.1 and YAML 1.2: quote it"
                elif is_secret_path(".".join(path)):
                    message = "a value that YAML 1.1 and YAML 1.2 read differently (hidden: the field holds a secret); quote it"
                else:
                    message = str(exc)
                self.problem(ev.start_mark, path, message)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = _Anchor(value, [], 1)
        return value

    def _tag(self, ev: Any, path: Path_) -> None:
        if ev.tag is None or ev.tag == "!":
            return
        secret = self.quiet or is_secret_path(".".join(path))
        tag = ev.tag.replace("tag:yaml.org,2002:", "!!", 1)
        shown = "a tag" if secret else f"the tag {printable(tag, 40)}"
        self.problem(ev.start_mark, path, f"{shown}: YAML tags (!!int, !!binary, !foo, ...) are not part of a spec, "
                     "whose values are plain strings, numbers, true/false, lists and mappings. Remove the tag"
                     + (" (value hidden: the field holds a secret)" if secret else ""))

    def _alias(self, ev: Any, path: Path_) -> Any:
        name = printable(ev.anchor, 40)
        if ev.anchor in self.open_anchors:
            self.stop(ev.start_mark, path, f"alias *{name} refers to the collection that contains it (a recursive "
                      "alias). Copy the values instead")
        anchor = self.anchors.get(ev.anchor)
        if anchor is None:
            self.stop(ev.start_mark, path, f"alias *{name} has no anchor &{name} before it. Define the anchor first")
        self.alias_uses += 1
        if self.alias_uses > self.limits.aliases:
            self.stop(ev.start_mark, path, f"more than {self.limits.aliases:,} alias uses in the file (the limit of a "
                      "spec). Write the values out, or use extends: for shared settings")
        self.nodes += anchor.nodes - 1
        if self.nodes > self.limits.nodes:
            self.stop(ev.start_mark, path, f"alias *{name} would expand the file past {self.limits.nodes:,} values "
                      "(the limit, which stops alias bombs). Write the values out, or use fewer aliases")
        for rel, loc in anchor.entries:
            self.locations[(*path, *rel)] = loc
            self.log.append(((*path, *rel), loc))
        # Shared, not copied: nothing mutates loaded data in place (merges build new mappings), and the node
        # budget above already counts the expansion that validation will walk.
        return anchor.value

    def _keep_anchor(self, name: str, value: Any, path: Path_, log_at: int, nodes_at: int) -> None:
        n, nodes = len(path), self.nodes - nodes_at + 1
        entries = [] if nodes > LOCATED_ALIAS_NODES else [
            (e[0][n:], e[1]) for e in self.log[log_at:] if e is not None and e[0][:n] == path and len(e[0]) > n]
        self.open_anchors.discard(name)
        self.anchors[name] = _Anchor(value, entries, nodes)

    def _merge(self, frame: _Frame, mark: Any) -> None:
        """Applies ``<<:``: keys of the merged mapping(s) the map does not set itself; the first source wins."""
        source = frame.merge_value[0] if frame.merge_value else None
        prefix = (*frame.path, _MERGE)
        sources = [(source, prefix)] if isinstance(source, dict) else (
            [(s, (*prefix, str(i))) for i, s in enumerate(source)] if isinstance(source, list) else [])
        if not sources or not all(isinstance(s, dict) for s, _ in sources):
            self.problem(mark, prefix, "the merge key << takes a mapping or a list of mappings (<<: *defaults, or "
                         "<<: [*a, *b]). Fix its value")
            sources = [(s, p) for s, p in sources if isinstance(s, dict)]
        moved: dict[Path_, list[tuple[Path_, Location]]] = {}
        start = frame.merge_at or 0
        for i in range(start, len(self.log)):
            entry = self.log[i]
            if entry is None or entry[0][: len(prefix)] != prefix:
                continue
            self.log[i] = None
            self.locations.pop(entry[0], None)
            moved.setdefault(entry[0][: len(prefix) + (1 if isinstance(source, dict) else 2)], []).append(entry)
        for src, src_prefix in sources:
            for key, value in src.items():
                if key in frame.value:
                    continue
                frame.value[key] = value
                for old_path, loc in moved.get((*src_prefix, key), []):
                    new_path = (*frame.path, key, *old_path[len(src_prefix) + 1:])
                    self.locations[new_path] = loc
                    self.log.append((new_path, loc))
        self.locations.pop(prefix, None)


def parse_value(text: str, limits: Any = None) -> Any:
    """One value given on the command line (``--set a.b=<text>``), read like a spec value: YAML 1.2 without
    tags or ambiguous scalars, within the limits.

    Raises:
        ValueError: why not, without the text (it may be a secret).
    """
    from mlstack.spec.limits import LIMITS

    builder = Builder("", limits or LIMITS)
    builder.quiet = True
    try:
        value = builder.build(text)
    except Stop as stop:
        raise ValueError(f"is too large or nested ({stop.problem.message.split(':')[0]})") from None
    except yaml.YAMLError:
        raise ValueError("is not valid YAML; quote it") from None
    if builder.problems:
        raise ValueError(builder.problems[0].message)
    return value
