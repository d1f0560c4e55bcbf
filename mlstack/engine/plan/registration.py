"""One recorded resource, as plain data: what a plan holds and every review reads, without importing Pulumi.

``recorder`` fills these in under Pulumi's mocks; the plan, its cache and every review use them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SECRET = "[secret]"  # what a plan holds where a value is a secret
UNKNOWN = "[unknown]"  # what a plan holds where a value is only known after an apply


@dataclass
class Registration:
    """One resource as the engine would be asked to register it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool | None  # None: not known (a CrossGuard policy pack's view of a resource)
    depends_on: list[str]
    provider: str
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    # Input property -> the URNs whose outputs it carries (the engine's property dependencies).
    input_deps: dict[str, list[str]] = field(default_factory=dict)
