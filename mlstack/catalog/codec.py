"""The validated catalogue as JSON and back, without validating again (what ``mlstack.derived`` stores).

``encode`` writes each model's set fields only (what the data files gave), so ``decode`` rebuilds every model
with ``model_construct``: the same values, the same defaults for what was left out, the same ``fields_set``,
and no validator run, which is the point (the catalogue models are built lazily, ``defer_build``, so a
process that decodes the catalogue never builds their validators). It covers the annotations the catalogue
models use (models, ``dict``, ``list``, ``X | None``, scalars and ``Literal``s); anything else raises
``TypeError``, which the cache treats as a miss. ``tests/catalog/test_catalog_cache.py`` checks that a
decoded catalogue equals the validated one, model for model.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel

_SCALARS = (str, int, float, bool, type(None))


def encode(model: BaseModel) -> str:
    return json.dumps(_plain(model), separators=(",", ":"))  # maps keep their order: plans iterate them


def decode(cls: type[BaseModel], text: str) -> Any:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("a catalogue entry is an object")
    return _model(cls, data)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        given = value.model_fields_set
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields if name in given}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("catalogue maps are keyed by text")
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _model(cls: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    fields = cls.model_fields
    values = {}
    for name, raw in data.items():
        if name not in fields:
            raise TypeError(f"{cls.__name__} has no field {name!r}")
        values[name] = _value(fields[name].annotation, raw)
    return cls.model_construct(_fields_set=set(values), **values)


def _value(annotation: Any, raw: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(raw, dict):
            raise TypeError(f"{annotation.__name__} is an object")
        return _model(annotation, raw)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is dict:
        if not isinstance(raw, dict):
            raise TypeError("expected an object")
        return {k: _value(args[1], v) for k, v in raw.items()}
    if origin is list:
        if not isinstance(raw, list):
            raise TypeError("expected a list")
        return [_value(args[0], v) for v in raw]
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if raw is None:
            return None
        if len(options) == 1:
            return _value(options[0], raw)
    elif origin is typing.Literal or annotation in _SCALARS:
        if isinstance(raw, _SCALARS):
            return raw
    raise TypeError(f"cannot rebuild {annotation!r} from {type(raw).__name__}")
