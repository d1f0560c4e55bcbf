"""The limits of one spec file (documented in docs/safety.md), enforced by the loader before expansion."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one spec file may hold. The example specs use under 1% of each; validation stays linear below them."""

    file_bytes: int = 1024 * 1024  # 1 MiB
    nodes: int = 100_000  # values in a file (keys not counted), aliases counted expanded
    aliases: int = 1_000  # alias uses (*name) in a file
    depth: int = 32  # nesting of mappings and lists
    items: int = 10_000  # keys of one mapping, items of one list
    key_chars: int = 256
    scalar_chars: int = 65_536
    extends_depth: int = 8  # files in one extends chain, the spec included


LIMITS = Limits()
