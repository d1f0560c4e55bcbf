"""JSON Schemas of the spec, for editors (`# yaml-language-server: $schema=...`) and `mlstack schema`.

Two schemas, because a stack *file* is not a spec: ``stacks/staging.yaml`` may say ``extends: base.yaml`` and
set only what differs, and ``stacks/base.yaml`` has no ``target``. The merged spec's schema (``spec``) checks
what ``extends`` produces; the stack-file schema (``stack-file``) checks each file as written: every field of
the spec with the same types, patterns and bounds, plus ``extends``, and nothing required, since maps merge by
key (an overlay may set one field of a node pool). Lists replace whole, so an object inside a list would keep
its required fields (the spec has none today). What ties fields together (a GPU pool's machine, onprem's
NFS server) is checked by `mlstack validate`, which sees the merged spec.
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_ID = "https://mlstack.dev/schema/spec.json"
STACK_FILE_SCHEMA_ID = "https://mlstack.dev/schema/stack-file.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("spec", "stack-file")
SCHEMA_FILES = {"spec": "schema/spec.schema.json", "stack-file": "schema/stack-file.schema.json"}
_PARTIAL = "Partial"  # prefix of the $defs of the stack-file schema whose required fields an overlay inherits
EXTENDS = {
    "description": "A stack file this one overlays, relative to this file (e.g. base.yaml): maps merge by key; "
    "scalars and lists replace.",
    "minLength": 1,
    "title": "Extends",
    "type": "string",
}


def json_schema() -> dict[str, Any]:
    """The schema of a merged spec (every required field present)."""
    from mlstack.spec.models import Spec

    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = DRAFT
    schema["$id"] = SCHEMA_ID
    schema["title"] = "mlstack stack spec"
    return schema


def stack_file_schema() -> dict[str, Any]:
    """The schema of one stack file as written (a base or an overlay); see the module docstring."""
    full = json_schema()
    defs: dict[str, Any] = full.pop("$defs", {})
    partial_defs: dict[str, Any] = {}

    def partial(node: Any) -> Any:
        if isinstance(node, list):
            return [partial(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "required":
                continue  # inherited from a base, or given by an overlay
            if key in ("items", "prefixItems"):
                out[key] = copy.deepcopy(value)  # a list replaces whole: its items keep their required fields
            elif key == "$ref" and value.startswith("#/$defs/"):
                name = value.removeprefix("#/$defs/")
                if name not in partial_defs:
                    partial_defs[name] = {}  # placeholder first: a recursive definition terminates
                    partial_defs[name] = partial(defs[name])
                out[key] = f"#/$defs/{_PARTIAL}{name}"
            else:
                out[key] = partial(value)
        return out

    schema = partial(full)
    schema["properties"] = dict(sorted({**schema["properties"], "extends": EXTENDS}.items()))
    schema["$id"] = STACK_FILE_SCHEMA_ID
    schema["title"] = "mlstack stack file (a base or an overlay, before extends is merged)"
    all_defs = {**defs, **{_PARTIAL + name: value for name, value in partial_defs.items()}}
    schema["$defs"] = {name: all_defs[name] for name in sorted(_reachable(schema, all_defs))}
    return schema


def _reachable(node: Any, defs: dict[str, Any]) -> set[str]:
    """Names of the ``$defs`` that ``node`` refers to, directly or through other definitions."""
    found: set[str] = set()
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] not in found:
                found.add(ref[8:])
                todo.append(defs[ref[8:]])
            todo.extend(v for k, v in item.items() if k != "$defs")
        elif isinstance(item, list):
            todo.extend(item)
    return found


def schema_text(kind: str = "spec") -> str:
    """A schema as the exact text `mlstack schema --kind KIND` prints (sorted keys, trailing newline).

    With the command line's cache on, the text rendered by an earlier run of the same spec layer (every module
    of ``mlstack/spec/`` and the contract constants the models read, byte for byte) is read back instead:
    rendering builds every spec model first, which is most of what `mlstack schema` costs (``mlstack.derived``).
    """
    from mlstack import derived

    if not derived.active():
        return render(kind)
    import sys
    from pathlib import Path

    spec_dir = Path(__file__).resolve().parent
    contract = spec_dir.parent / "components" / "contract.py"
    key = derived.source_key("schema", [*spec_dir.glob("*.py"), contract], kind, sys.version)
    return derived.cached("schema", key, lambda: render(kind), lambda text: text, _checked)


def render(kind: str = "spec") -> str:
    """The schema text, rendered from the models (what ``schema_text`` caches)."""
    import json

    document = stack_file_schema() if kind == "stack-file" else json_schema()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _checked(text: str) -> str:
    """A stored schema text, if it is one (a JSON object and the trailing newline ``render`` writes)."""
    import json

    if not (text.endswith("}\n") and isinstance(json.loads(text), dict)):
        raise ValueError("not a schema text")
    return text
