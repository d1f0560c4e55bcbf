"""One resource's change between two plans, and one changed input: what ``diff`` finds and ``cascade`` marks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Action = Literal["create", "delete", "update", "replace"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class PropertyChange:
    """One changed input (``path`` in wire names, e.g. ``scalingConfig.maxSize`` or ``tags.owner``).

    ``old``/``new`` are ``None`` when the input is absent on that side. Options (protect, retain_on_delete)
    appear as ``options.protect``; they never force replacement.
    """

    path: str
    old: Any
    new: Any
    forces_replacement: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "forces_replacement": self.forces_replacement}


@dataclass(frozen=True)
class ResourceChange:
    """A resource whose plan differs between base and head."""

    urn: str
    type: str
    name: str
    action: Action
    properties: list[PropertyChange] = field(default_factory=list)
    blocking: bool = False
    custom: bool = True
    at_risk: bool = False  # a resource it lives inside is replaced; it may be replaced or must follow (cascade.py)
    caused_by: str = ""  # the replaced resource whose outputs it takes, when the change comes from one

    @property
    def reason(self) -> str:
        """Why the change is blocking (empty when it is not)."""
        if not self.blocking:
            return ""
        if self.caused_by:
            what = "replaced" if self.action == "replace" else "at risk"
            return f"a protected resource {what}: {self.caused_by} is replaced"
        return f"{'deletes' if self.action == 'delete' else 'replaces'} a protected resource"

    @property
    def mark(self) -> str:
        """What a report adds after the resource: its cause, when a replacement elsewhere brings it."""
        if not self.caused_by:
            return ""
        return f"replaced with {self.caused_by}" if self.action == "replace" else f"at risk: {self.caused_by} is replaced"

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "blocking": self.blocking,
            "at_risk": self.at_risk,
            "caused_by": self.caused_by or None,
            "properties": [p.to_dict() for p in self.properties],
        }
