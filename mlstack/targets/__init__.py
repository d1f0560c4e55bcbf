"""The registered target packs: everything mlstack knows about a target lives in its pack.

A pack (``mlstack/targets/<name>/``) holds its spec rules, SDK modules and plugins, stack config, mapping (spec
-> component args) and bindings, CI login snippet, policy rules, and one table keyed by resource type token
(mock outputs, replace-trigger properties, cost extractor, parity capability, stateful/secret flags). The engine
loops over ``packs()``; outside a pack no code names a cloud or a provider's type token.
"""

from __future__ import annotations

import functools
import importlib

from mlstack.targets.base import MockHandler, Pack, ResourceType
from mlstack.targets.kit import generic

# Pack name -> module exposing ``PACK``. Target packs first (the spec's ``target.cloud`` values, in this order),
# then the packs every target shares.
REGISTERED = {
    "aws": "mlstack.targets.aws",
    "gcp": "mlstack.targets.gcp",
    "onprem": "mlstack.targets.onprem",
    "kubernetes": "mlstack.targets.kubernetes",
}


@functools.cache
def packs() -> tuple[Pack, ...]:
    """Every registered pack, in registration order."""
    return tuple(importlib.import_module(module).PACK for module in REGISTERED.values())


def pack(name: str) -> Pack:
    """The pack called ``name``.

    Raises:
        KeyError: no such pack; the message lists the registered ones.
    """
    for p in packs():
        if p.name == name:
            return p
    raise KeyError(f"no target pack {name!r}; registered: {', '.join(REGISTERED)}")


def target_names() -> tuple[str, ...]:
    """The values ``target.cloud`` may take."""
    return tuple(p.name for p in packs() if p.target)


def shared() -> tuple[Pack, ...]:
    """The packs every target uses besides its own (the Kubernetes platform layer)."""
    return tuple(p for p in packs() if not p.target)


def for_target(cloud: str) -> tuple[Pack, ...]:
    """The packs a ``cloud`` environment uses: its own, then the shared ones."""
    return (pack(cloud), *shared())


@functools.cache
def _index() -> dict[str, tuple[Pack, ResourceType]]:
    out: dict[str, tuple[Pack, ResourceType]] = {}
    for p in packs():
        for token, entry in p.types.items():
            if token in out:
                raise AssertionError(f"{token} is in the tables of both {out[token][0].name} and {p.name}")
            out[token] = (p, entry)
    return out


def resource_type(token: str) -> ResourceType | None:
    """The table entry of a type token, from whichever pack holds it; None when none does."""
    found = _index().get(token)
    return found[1] if found else None


def owner(token: str) -> Pack | None:
    """The pack whose table holds ``token``, else the pack whose provider it belongs to, else None."""
    found = _index().get(token)
    if found:
        return found[0]
    return next((p for p in packs() if p.owns(token)), None)


@functools.cache
def mock_handler(token: str) -> MockHandler:
    """The credential-free plan's answer for a type: its table entry's ``mock``, else its provider pack's
    generic one, else an id made from the name (``kit.generic``)."""
    entry = resource_type(token)
    if entry is not None and entry.mock is not None:
        return entry.mock
    p = owner(token)
    return (p.generic_mock if p is not None and p.owns(token) else None) or generic


def on_cluster(token: str) -> bool:
    """Whether a type token is an object on the cluster (a Kubernetes object or a chart release)."""
    return any(p.cluster_objects and p.owns(token) for p in packs())


def chart_releases() -> tuple[str, ...]:
    """The type tokens of Helm releases (their charts are locked)."""
    return tuple(token for _, token, e in entries() if e.chart_release)


def entries() -> list[tuple[Pack, str, ResourceType]]:
    """Every table entry of every pack: (pack, token, entry), in registration and table order."""
    return [(p, token, entry) for p in packs() for token, entry in p.types.items()]
