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


def lustre_cost(offering: str, size_input: str, throughput_input: str) -> Callable[[Any, Any, Any], None]:
    """A cost extractor for a Lustre file system of the catalogue's ``offering``: its size (input ``size_input``,
    GiB) at its throughput tier (input ``throughput_input``, MB/s per TiB), priced from the tier's dated price.

    Throughput is counted as the clouds do, per decimal TiB of capacity (FSx: 2400 GiB at 250 MB/s/TiB is
    600 MB/s). A tier without a price is listed as unpriced, never guessed.
    """

    def cost(c: Any, r: Any, plan: Any) -> None:
        from mlstack.catalog import load_catalog

        lustre = load_catalog().lustre[offering]
        gib = int(r.inputs.get(size_input) or 0)
        per_tib = int(r.inputs.get(throughput_input) or 0)
        tier = lustre.tier(per_tib)
        throughput = gib * per_tib // 1000
        what = f"{lustre.product} {lustre.deployment_type} {gib} GiB, {per_tib} MB/s/TiB = {throughput} MB/s"
        rate = tier.price_gib_month if tier is not None else None
        # The catalogue says when a price was not re-verified (its source): the note repeats it.
        caveat = ", not re-verified" if "not re-verified" in lustre.source else ""
        c.scratch(r.name, what, gib, throughput, rate, f"{lustre.checked} list price{caveat}" if rate is not None else "")

    return cost
