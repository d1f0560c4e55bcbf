"""The policy rule model the packs write their rules in: a rule is data (id, title, rationale, Checkov/Trivy
refs, the resource types it reads, its level flags) plus a pure check over the plan's recorded resources (types
and wire inputs, never the spec), so the same definitions can be evaluated by ``mlstack check`` or generated
into a Pulumi CrossGuard policy pack.

A rule's level is *mandatory* in a protected environment (``spec.protected``) and *advisory* elsewhere; a few
recommendations (``always_advisory``) never block. Pure: no Pulumi import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan
    from mlstack.engine.plan.recorder import Registration


WORLD_OPEN_ADDRESSES = 2**24  # more public addresses than a /8 allowed in is "open to the internet"


def world_open(cidrs: Iterable[object]) -> bool:
    """Whether ``cidrs`` together let in more than a /8 of public addresses: ``0.0.0.0/0`` and every way of
    writing it in pieces (``0.0.0.0/1`` + ``128.0.0.0/1``, ``0.0.0.0/00``, a host address with ``/0``...).
    A value that is not a CIDR counts as open (nothing proves it narrow); an IPv6 range counts when it is
    public and wider than a /32."""
    import ipaddress

    nets = []
    for c in cidrs:
        try:
            nets.append(ipaddress.ip_network(str(c).strip(), strict=False))
        except ValueError:
            return True
    public = 0
    for net in ipaddress.collapse_addresses(n for n in nets if n.version == 4):
        if not (net.is_private and net.prefixlen >= 8):
            public += net.num_addresses
    wide_v6 = any(n.version == 6 and n.prefixlen < 32 and not n.is_private for n in nets)
    return wide_v6 or public > WORLD_OPEN_ADDRESSES


@dataclass(frozen=True)
class Finding:
    """One resource that breaks a rule, and why."""

    resource: str  # logical name
    type: str
    message: str
    urn: str = field(default="", compare=False)  # where a policy engine reports it (CrossGuard's violation URN)


@dataclass(frozen=True)
class PackGap:
    """What a Pulumi CrossGuard policy pack cannot see of a rule's inputs, and how mlstack enforces it still.

    Attributes:
        cannot_see: the fact the pack's validation arguments do not carry.
        evaluated: the pack still runs the rule on what it does see (else the rule is disabled in the pack).
        instead: how mlstack enforces the rest.
    """

    cannot_see: str
    evaluated: bool
    instead: str


@dataclass(frozen=True)
class Rule:
    """A check over the plan.

    Attributes:
        id: stable id, ``MLS-<AREA>-<NNN>``.
        title: what must hold, in one line.
        rationale: why, in one line.
        refs: the matching Checkov / Trivy ids (or the CIS control where neither has one).
        types: resource types the rule looks at; a plan without any of them makes it not applicable.
        check: yields a Finding per offending resource.
        always_advisory: a recommendation that never blocks, even in a protected environment.
        protected_only: checked in protected environments only.
        cloud: the target pack the rule belongs to (set by the registry), None for rules every target shares.
        pack_gap: what the CrossGuard policy pack cannot see of this rule (``mlstack policy-pack``); None: the
            pack's verdict is ``mlstack check``'s.
    """

    id: str
    title: str
    rationale: str
    refs: tuple[str, ...]
    types: tuple[str, ...]
    check: Callable[[Plan], Iterable[Finding]]
    always_advisory: bool = False
    protected_only: bool = False
    cloud: str | None = None
    pack_gap: PackGap | None = None

    def applies(self, plan: Plan) -> bool:
        return any(plan.of_type(t) for t in self.types)

    def for_other_target(self, plan: Plan) -> bool:
        """The rule is about another target than the plan's (a GCP rule in an AWS environment)."""
        target = plan.target.get("cloud")
        return self.cloud is not None and bool(target) and self.cloud != target


# -- helpers the rule modules share -------------------------------------------------------------------------


def get(value: Any, path: str, default: Any = None) -> Any:
    """``inputs`` at a dotted path; list items by index (``a.0.b``)."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
        if value is None:
            return default
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_doc(value: Any) -> dict[str, Any]:
    """An IAM/bucket policy input (a JSON string or already a mapping) as a mapping; {} when unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}
    return {}


def statements(value: Any) -> list[dict[str, Any]]:
    return [s for s in as_list(policy_doc(value).get("Statement")) if isinstance(s, dict)]


def each(plan: Plan, *types: str) -> Iterator[Registration]:
    for t in types:
        yield from plan.of_type(t)


def finding(r: Registration, message: str) -> Finding:
    return Finding(r.name, r.type, message, r.urn)


def truthy(value: Any) -> bool:
    """Booleans as the wire may carry them (the EC2 launch template types some as strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
