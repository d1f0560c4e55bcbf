"""The spec reference (``docs/spec-reference.md``), generated from the models: every field with its type, default,
the behaviour it implies (its description) and an example (its ``examples``).

``mlstack reference -o docs/spec-reference.md`` regenerates it; ``tests/spec/test_reference.py`` fails when the
committed file differs from what the models give. The types come from each field's JSON Schema (the same
bounds and patterns ``validate`` and editors apply), the defaults from the model itself. No Pulumi here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mlstack.spec.models import Spec

TITLE = "# Spec reference"
INTRO = """\
Generated from the models in `mlstack/spec/models.py` by `mlstack reference -o docs/spec-reference.md`; do not
edit by hand (`tests/spec/test_reference.py` fails when this file is stale). One section per part of a stack
spec, in the order a spec reads. **Type** is what `mlstack validate` accepts for the field alone (the editor
schema, `schema/stack-file.schema.json`, says the same); what ties fields together (a field only one target takes,
a pool's accelerator offered on the target's cloud, quotas within a pool's size) is checked by `mlstack validate`
on the merged spec, with the file, line and a fix. **Default** is what an unset field means. What the catalogue
offers (accelerators, machine types, TPU topologies, regions, versions): `mlstack catalog`.
Named collections (`node_pools`, `storage.buckets`, `teams`) are maps: the key names the resources, so renaming
a key replaces them and reordering changes nothing.
"""


def _models() -> Iterator[tuple[str, type[BaseModel]]]:
    """(path, model) for the spec and every model under it, depth first in field order."""
    seen: set[type[BaseModel]] = set()

    def walk(path: str, model: type[BaseModel]) -> Iterator[tuple[str, type[BaseModel]]]:
        if model in seen:
            return
        seen.add(model)
        yield path, model
        for name, field in model.model_fields.items():
            sub, keyed = _submodel(field.annotation)
            if sub is not None:
                key = f"{path}.{field.alias or name}" if path else field.alias or name
                yield from walk(f"{key}.<name>" if keyed else key, sub)

    yield from walk("", Spec)


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (``X``, ``X | None`` or ``dict[str, X]``) and whether it is a keyed map of them."""
    args = getattr(annotation, "__args__", ())
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = getattr(annotation, "__origin__", None)
    if origin is dict and len(args) == 2 and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return args[1], True
    for arg in args:  # X | None
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg, False
    return None, False


def _anchor(path: str) -> str:
    """The GitHub-style anchor of a section heading ``path`` (lowercase; dots, brackets and spaces dropped)."""
    return "".join(c for c in path.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def _type(node: dict[str, Any], defs: dict[str, Any], links: dict[str, str]) -> str:
    """A field's JSON Schema in words: the type, then its bounds and pattern."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{links[name]}](#{_anchor(links[name])})"
    if "anyOf" in node:
        kinds = [k for k in node["anyOf"] if k.get("type") != "null"]
        text = " or ".join(_type(k, defs, links) for k in kinds)
        return text + (", or unset" if len(kinds) < len(node["anyOf"]) else "")
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type")
    if kind == "array":
        return "list of " + _type(node.get("items", {}), defs, links)
    if kind == "object":
        inner = node.get("additionalProperties")
        return "map of name to " + (_type(inner, defs, links) if isinstance(inner, dict) else "anything")
    words = {"string": "text", "integer": "integer", "boolean": "true or false", "number": "number"}.get(kind, str(kind))
    bounds = [b for b in (_range(node.get("minimum"), node.get("maximum"), ""),
                          _range(node.get("minLength"), node.get("maxLength"), " characters")) if b]
    if "pattern" in node:
        bounds.append(f"matching `{node['pattern']}`")
    return words + (f" ({', '.join(bounds)})" if bounds else "")


def _range(low: int | None, high: int | None, unit: str) -> str:
    if low is not None and high is not None:
        return f"{low}..{high}{unit}"
    if low is not None:
        return f"at least {low}{unit}"
    return f"at most {high}{unit}" if high is not None else ""


def _value(value: Any) -> str:
    """A value as it would be written in YAML flow style (JSON is a subset), in code."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    return f"`{json.dumps(value, sort_keys=True)}`"


# Defaults the loader fills in before validation (mlstack.spec.load_spec), which the models see as required.
LOADER_DEFAULTS = {(Spec, "env"): "the file's stem (`stacks/<env>.yaml`)"}


def _default(model: type[BaseModel], name: str, field: Any) -> str:
    if (model, name) in LOADER_DEFAULTS:
        return LOADER_DEFAULTS[(model, name)]
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "its section's defaults"
        return _value(value)
    return "unset" if field.default in (None, PydanticUndefined) else _value(field.default)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section(path: str, model: type[BaseModel], links: dict[str, str]) -> list[str]:
    schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs = schema.get("$defs", {})
    doc = (model.__doc__ or "").strip()
    lines = [f"## {path or 'Top level'}", ""]
    if doc:
        lines += [" ".join(doc.split()), ""]
    lines += ["| field | type | default | behaviour | example |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        node = schema["properties"][key]
        sub, _ = _submodel(field.annotation)
        description = field.description or (" ".join((sub.__doc__ or "").split()) if sub else "")
        if field.examples:
            example = _value(field.examples[0])
        elif sub is not None:
            example = "see its section"
        else:
            raise ValueError(f"{model.__name__}.{name} has no example: add examples=[...] to its Field")
        lines.append(f"| `{key}` | {_cell(_type(node, defs, links))} | {_cell(_default(model, name, field))} | "
                     f"{_cell(description)} | {_cell(example)} |")
    return lines + [""]


def reference_text() -> str:
    """The whole reference as the exact text ``mlstack reference`` prints (and docs/spec-reference.md holds)."""
    models = list(_models())
    links = {model.__name__: (path or "Top level") for path, model in models}
    lines = [TITLE, "", INTRO]
    lines += ["Sections: " + ", ".join(f"[{p or 'top level'}](#{_anchor(p or 'Top level')})" for p, _ in models), ""]
    for path, model in models:
        lines += _section(path, model, links)
    return "\n".join(lines).rstrip("\n") + "\n"


def example_document() -> dict[str, Any]:
    """Every field set to its example (maps keyed by ``<name>``): checks that each example has its field's type.
    Not a valid spec as a whole (fields of different targets appear together): only for the models' own check."""

    def build(model: type[BaseModel]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            sub, keyed = _submodel(field.annotation)
            if sub is not None:
                out[field.alias or name] = {"example": build(sub)} if keyed else build(sub)
            elif field.examples:
                out[field.alias or name] = field.examples[0]
        return out

    return build(Spec)
