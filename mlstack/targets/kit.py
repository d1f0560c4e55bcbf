"""Helpers the packs' tables share: deterministic mock answers and how a recorded pool names itself.

Mock answers are derived only from a resource's name and inputs, so that two plans are byte-identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from mlstack.targets.base import MockHandler, State

from mlstack.components.contract import POOL_LABEL


def suffix(name: str) -> str:
    """Seven hex digits derived from ``name`` (what Pulumi's auto-naming appends, deterministically)."""
    return hashlib.sha256(name.encode()).hexdigest()[:7]


def physical_name(name: str, inputs: State, key: str = "name") -> str:
    """The name the cloud would hold: the explicit one, or Pulumi's auto-name (logical name + suffix)."""
    return inputs.get(key) or f"{name}-{suffix(name)}"


def generic(m: Any, name: str, inputs: State) -> tuple[str, State]:
    """The answer for a type no pack knows: an id, no outputs."""
    return f"{name}-id", {}


def with_(id_fn: Callable[[Any, str, State], str], **fields: Callable[[Any, str, State], Any]) -> MockHandler:
    """A handler: the id from ``id_fn``, plus ``id`` and one output per field (each a function of the id)."""

    def handler(m: Any, name: str, inputs: State) -> tuple[str, State]:
        rid = id_fn(m, name, inputs)
        return rid, {"id": rid, **{k: f(m, rid, inputs) for k, f in fields.items()}}

    return handler


def pname(key: str = "name") -> Callable[[Any, str, State], str]:
    """An id function: the physical name held in input ``key``."""
    return lambda m, name, inputs: physical_name(name, inputs, key)


def hexid(prefix: str) -> Callable[[Any, str, State], str]:
    """An id function: ``<prefix>-<17 hex digits>`` (EC2-style ids)."""
    return lambda m, name, inputs: f"{prefix}-{hashlib.sha256(name.encode()).hexdigest()[:17]}"


def pool_name(r: Any) -> str:
    """A recorded node pool's spec name: its pool label, else its logical name."""
    labels = r.inputs.get("labels") or (r.inputs.get("nodeConfig") or {}).get("labels") or {}
    return str(labels.get(POOL_LABEL) or r.name)
