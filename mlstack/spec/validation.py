"""Turns pydantic's validation errors into mlstack Problems: path, expected, found, fix."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from mlstack.spec.errors import Problem, is_secret_path, show
from mlstack.spec.yaml_loader import Loaded

_PATTERN_TEXT = {
    r"^[a-z]([a-z0-9-]*[a-z0-9])?$": "a DNS-safe name: lowercase letters, digits and '-', starting with a letter",
    r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$": "a CIDR block such as 10.0.0.0/16",
    r"^1\.\d{2}$": "a Kubernetes minor version such as '1.33'",
    r"^\d+\.\d+\.\d+$": "a version such as '2.22.1'",
    r"^\d+x\d+(x\d+)?$": "a TPU topology such as 2x4 or 2x2x2",
    r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$": "a host name or IP address such as nas.lab.internal",
    r"^/[^\s]*$": "an absolute path such as /exports/ml",
    r"^[^/\s][^\s]*\.ipynb$": "a notebook path relative to the project root, such as notebooks/evaluate.ipynb",
}
#: The branches pydantic tries for a ``str | int | float | bool`` value (a papermill parameter): one problem, not four.
_SCALAR_BRANCHES = frozenset({"str", "int", "float", "bool"})


def _unwrap(annotation: Any) -> Any:
    """Finds the model class inside Optional[X] / dict[str, X]."""
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in args or ():
        found = _unwrap(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return _DictOf(found) if getattr(annotation, "__origin__", None) is dict else found
    return None


class _DictOf:
    def __init__(self, model: type[BaseModel]):
        self.model = model


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(current, _DictOf):
            current = current.model
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part)) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if field is None:
            return None
        current = _unwrap(field.annotation)
    if isinstance(current, _DictOf):
        return None
    return current


def _message(err: dict[str, Any], model: type[BaseModel], path: str) -> str:
    kind = err["type"]
    found = err.get("input")
    ctx = err.get("ctx") or {}
    loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        owner = _walk(model, loc[:-1])
        known = sorted(f.alias or n for n, f in owner.model_fields.items()) if owner else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"unknown field {loc[-1]!r}.{hint} Known fields: {', '.join(known)}."
    if kind == "missing":
        return "required field is missing. Add it."
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {show(found, path)}"
    if kind in ("int_type", "int_parsing"):
        return f"expected a whole number, got {show(found, path)}"
    if kind == "bool_type":
        return f"expected true or false, got {show(found, path)}"
    if kind == "string_type":
        if isinstance(found, (dict, list)) or is_secret_path(path):
            return f"expected a string, got {show(found, path)}"
        return f"expected a string, got {show(found, path)}. Quote it, e.g. \"{found}\"."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of fields, got {show(found, path)}"
    if kind == "list_type":
        return f"expected a list, got {show(found, path)}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']}, got {show(found, path)}"
    if kind == "greater_than":
        return f"must be > {ctx['gt']}, got {show(found, path)}"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']}, got {show(found, path)}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return f"expected {_PATTERN_TEXT.get(pattern, 'text matching ' + pattern)}, got {show(found, path)}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters, got {len(found)}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"must be at least {ctx['min_length']} characters"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    return f"{err['msg']}, got {show(found, path)}"


def problems_from(exc: ValidationError, model: type[BaseModel], loaded: Loaded) -> list[Problem]:
    """One Problem per pydantic error, located in the file that wrote the field."""
    out = []
    errors = exc.errors(include_url=False)
    branches: dict[tuple[str, ...], set[str]] = {}
    for err in errors:
        loc = tuple(str(p) for p in err["loc"])
        if len(loc) > 1 and loc[-1] in _SCALAR_BRANCHES:
            branches.setdefault(loc[:-1], set()).add(loc[-1])
    unions: set[tuple[str, ...]] = set()
    for err in errors:
        loc = tuple(str(p) for p in err["loc"])
        # a union's branches, not a map key that happens to be named "str": several branches at one path
        union = len(loc) > 1 and len(branches.get(loc[:-1], ())) > 1
        if union:
            loc = loc[:-1]
            if loc in unions:
                continue
            unions.add(loc)
        path = ".".join(loc)
        where = loaded.locate(loc)
        message = (f"expected a string, a number or true/false, got {show(err.get('input'), path)}" if union
                   else _message(err, model, path))
        out.append(Problem(where.file if where else "", where.line if where else 0, where.column if where else 0, path, message))
    return out
