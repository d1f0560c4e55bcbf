"""The spec's JSON Schema, for editors (`# yaml-language-server: $schema=...`) and `mlstack schema`."""

from __future__ import annotations

from typing import Any

from mlstack.spec.models import Spec

SCHEMA_ID = "https://mlstack.dev/schema/spec.json"


def json_schema() -> dict[str, Any]:
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "mlstack stack spec"
    return schema


def schema_text() -> str:
    """The schema as the exact text `mlstack schema` prints (sorted keys, trailing newline)."""
    import json

    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
