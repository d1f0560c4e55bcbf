"""Engine events -> progress: pure bookkeeping over ``pulumi.automation`` ``EngineEvent`` objects.

``Progress.apply(event)`` folds one event into counts, the resources in flight and failures;
``plain_line(event)`` is the one line (or None) a non-terminal log gets for it; ``summary_lines`` renders
the state. Nothing here prints or imports pulumi: the CLI drives the output, tests feed synthetic events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Step ops as the engine names them -> the verb mlstack counts them under. A replacement emits three steps
# (create-replacement, replace, delete-replaced): only `replace` is counted, so a replacement counts once.
COUNTED = {"create": "create", "update": "update", "delete": "delete", "replace": "replace",
           "import": "import", "refresh": "refresh", "read": "read"}
ING = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing",
       "create-replacement": "creating replacement", "delete-replaced": "deleting replaced",
       "import": "importing", "refresh": "refreshing", "read": "reading"}
DONE = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
        "create-replacement": "created replacement", "delete-replaced": "deleted replaced",
        "import": "imported", "refresh": "refreshed", "read": "read"}


def _op(meta: Any) -> str:
    op = getattr(meta, "op", "")
    return str(getattr(op, "value", op))


def short_urn(urn: str) -> str:
    """``type name`` from a URN (``urn:pulumi:stack::project::parent$type::name``)."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    return f"{parts[2].split('$')[-1]} {parts[3]}"


@dataclass
class Progress:
    """What an operation has done so far.

    Attributes:
        counts: verb (create, update, delete, replace, ...) -> resources, "same" excluded: in a preview the
            planned steps, in an update the finished ones.
        same: resources without changes.
        in_flight: URN -> op of resources started and not yet finished (insertion order).
        failures: URN -> error messages of resources whose operation failed.
        errors: engine errors not tied to a resource.
        planning: whether the events came from a preview.
        done: whether the summary event arrived.
    """

    counts: dict[str, int] = field(default_factory=dict)
    same: int = 0
    in_flight: dict[str, str] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    planning: bool = False
    done: bool = False
    _messages: dict[str, list[str]] = field(default_factory=dict)

    def apply(self, event: Any) -> None:
        """Folds one EngineEvent into the state."""
        if (pre := getattr(event, "resource_pre_event", None)) is not None:
            meta = pre.metadata
            op = _op(meta)
            self.planning = bool(getattr(pre, "planning", False)) or self.planning
            if op == "same":
                self.same += 1
                return
            if self.planning:
                self._count(op)
            else:
                self.in_flight[meta.urn] = op
        elif (out := getattr(event, "res_outputs_event", None)) is not None:
            self.in_flight.pop(out.metadata.urn, None)
            if not getattr(out, "planning", False) and _op(out.metadata) != "same":
                self._count(_op(out.metadata))  # an update counts what is done, not what started
        elif (failed := getattr(event, "res_op_failed_event", None)) is not None:
            urn = failed.metadata.urn
            self.in_flight.pop(urn, None)
            self.failures[urn] = self._messages.get(urn) or ["failed (no message from the provider)"]
        elif (diag := getattr(event, "diagnostic_event", None)) is not None:
            if diag.severity != "error":
                return
            message = diag.message.strip()
            if diag.urn:
                self._messages.setdefault(diag.urn, []).append(message)
                if diag.urn in self.failures:
                    self.failures[diag.urn] = self._messages[diag.urn]
            else:
                self.errors.append(message)
        elif getattr(event, "summary_event", None) is not None:
            self.done = True
            self.in_flight.clear()

    def _count(self, op: str) -> None:
        if op in COUNTED:
            self.counts[COUNTED[op]] = self.counts.get(COUNTED[op], 0) + 1

    def total_changes(self) -> int:
        return sum(self.counts.values())

    def failure_lines(self) -> list[str]:
        """One line per failing resource (and engine error), with its messages."""
        lines = [f"{short_urn(urn)}: {' | '.join(msgs)}" for urn, msgs in sorted(self.failures.items())]
        # An error tied to a resource whose op did not report as failed still names the resource.
        lines += [f"{short_urn(urn)}: {' | '.join(msgs)}" for urn, msgs in sorted(self._messages.items())
                  if urn not in self.failures]
        return lines + self.errors


def counts_line(p: Progress) -> str:
    """``3 to create, 1 to update`` (preview) or ``3 created, 1 updated`` style counts; "no changes" when none."""
    verbs = ("create", "update", "replace", "delete", "import", "refresh", "read")
    parts = [f"{p.counts[v]} {'to ' + v if p.planning else DONE[v]}" for v in verbs if p.counts.get(v)]
    if p.same:
        parts.append(f"{p.same} unchanged")
    return ", ".join(parts) if parts else "no changes"


def summary_lines(p: Progress, limit: int = 5) -> list[str]:
    """The live view's text: counts, resources in flight, failures."""
    lines = [counts_line(p)]
    for urn, op in list(p.in_flight.items())[:limit]:
        lines.append(f"  {ING.get(op, op)} {short_urn(urn)}")
    if len(p.in_flight) > limit:
        lines.append(f"  ... and {len(p.in_flight) - limit} more in flight")
    lines += [f"  failed: {line}" for line in p.failure_lines()]
    return lines


def plain_line(event: Any) -> str | None:
    """The log line for one event when output is not a terminal (None: nothing worth a line)."""
    if (pre := getattr(event, "resource_pre_event", None)) is not None:
        op = _op(pre.metadata)
        if op == "same":
            return None
        verb = f"will {op}" if getattr(pre, "planning", False) else ING.get(op, op)
        return f"{verb} {short_urn(pre.metadata.urn)}"
    if (out := getattr(event, "res_outputs_event", None)) is not None:
        op = _op(out.metadata)
        if op == "same" or getattr(out, "planning", False):
            return None
        return f"{DONE.get(op, op)} {short_urn(out.metadata.urn)}"
    if (failed := getattr(event, "res_op_failed_event", None)) is not None:
        return f"failed {short_urn(failed.metadata.urn)}"
    if (diag := getattr(event, "diagnostic_event", None)) is not None and diag.severity in ("error", "warning"):
        where = f" {short_urn(diag.urn)}" if diag.urn else ""
        return f"{diag.severity}{where}: {diag.message.strip()}"
    return None
