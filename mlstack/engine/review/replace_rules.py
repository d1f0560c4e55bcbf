"""Which input changes force a resource to be replaced (deleted and created again) rather than updated.

The rules are the ``replace`` entries of the target packs' tables (``mlstack.targets``), in wire (camelCase)
paths, each with its source: the bridged providers (pulumi-aws, pulumi-gcp) replace exactly where the upstream
Terraform schema says ``ForceNew``; pulumi-kubernetes keeps its own table (``forceNewProperties``) and also
replaces every kind on ``metadata.name``/``metadata.namespace`` (the pack's ``implicit_replace``).

Matching: list indexes are ignored (``fileShares[0].name`` matches ``fileShares.name``); a pattern matches its
own path and everything below it; ``except`` names paths below a pattern that update in place. When a whole
block appears or disappears (``vpcConfig`` absent -> present), the values at each pattern below it are compared.
"""

from __future__ import annotations

import re
from typing import Any

from mlstack import targets
from mlstack.targets.base import ReplaceRule

AS_OF = "2026-11-29"
ALL = "*"  # every input replaces (random provider resources)
RULES: dict[str, ReplaceRule] = {token: e.replace for _, token, e in targets.entries() if e.replace is not None}
_INDEX = re.compile(r"\[\d+\]")


def rule_for(type_: str) -> ReplaceRule | None:
    """The rule of a type token, including its pack's implicit paths (the metadata rule every Kubernetes kind has)."""
    rule = RULES.get(type_)
    pack = targets.owner(type_)
    if pack is not None and pack.implicit_replace and pack.owns(type_) and not type_.startswith(pack.implicit_replace_skip):
        paths = pack.implicit_replace + (rule.paths if rule else ())
        return ReplaceRule(paths, rule.except_ if rule else (), rule.note if rule else "",
                           rule.source if rule else pack.implicit_replace_source)
    return rule


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _get(value: Any, rel: str) -> Any:
    for part in rel.split(".") if rel else []:
        if isinstance(value, list):
            value = [_get(v, part) for v in value]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def forces_replacement(type_: str, path: str, old: Any = None, new: Any = None) -> bool:
    """Whether changing input ``path`` (wire names; may carry ``[n]`` indexes) of a ``type_`` replaces it.

    ``old``/``new`` are the values at ``path``; they matter when ``path`` is a block above a pattern (a block
    added or removed replaces only if the values at the pattern differ).
    """
    rule = rule_for(type_)
    if rule is None:
        return False
    bare = _INDEX.sub("", path)
    if any(_under(bare, e) for e in rule.except_):
        return False
    for pattern in rule.paths:
        if pattern == ALL or _under(bare, pattern):
            if pattern != ALL and rule.except_ and bare == pattern:
                # The whole block changed: replace only when something outside the updatable paths changed.
                return _differs_outside(old, new, pattern, rule.except_)
            return True
        if pattern.startswith(bare + ".") or not bare:
            rel = pattern[len(bare) + 1 :] if bare else pattern
            if _get(old, rel) != _get(new, rel):
                return True
    return False


def _differs_outside(old: Any, new: Any, pattern: str, excepted: tuple[str, ...]) -> bool:
    skip = {e[len(pattern) + 1 :].split(".")[0] for e in excepted if e.startswith(pattern + ".")}
    o = {k: v for k, v in (old or {}).items() if k not in skip} if isinstance(old, dict) or old is None else old
    n = {k: v for k, v in (new or {}).items() if k not in skip} if isinstance(new, dict) or new is None else new
    return o != n


def table() -> list[dict[str, Any]]:
    """The table as data (for docs and ``--format json``), sorted by type."""
    return [
        {"type": t, "paths": list(r.paths), "except": list(r.except_), "note": r.note, "source": r.source}
        for t, r in sorted(RULES.items())
    ]
