"""The lifecycle operations over an opened stack: up, preview, refresh, destroy, outputs, cancel.

The CLI asks and prints; this module runs the operation through the ``StackHandle`` boundary, feeds engine
events to a ``Progress`` and turns failures into messages that name the failing resources and the next step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlstack.engine.deploy.events import Progress
from mlstack.engine.deploy.workspace import OperationFailed, StackHandle, StackLocked
from mlstack.errors import EngineError, UsageError
from mlstack.spec import Spec

MASK = "[secret]"


def plan_for(spec: Spec) -> Any:
    """The credential-free plan of the spec (shown before ``up``, diffed by ``promote``)."""
    from mlstack.engine.plan.planner import plan_spec

    return plan_spec(spec)


NEXT_STEPS = {
    "up": ("fix the cause above (spec, quota, permissions) and run `mlstack up --env {env}` again: resources "
           "already created are kept in state and not re-created. If state and cloud disagree, run "
           "`mlstack refresh --env {env}` first"),
    "preview": "fix the cause above and run `mlstack preview --env {env}` again",
    "refresh": "check the credentials and the provider messages above, then run `mlstack refresh --env {env}` again",
    "destroy": ("fix the cause above (often a dependency outside this stack, e.g. a load balancer a workload "
                "created) and run `mlstack destroy --env {env}` again: what was deleted stays deleted"),
}


def run(operation: str, env: str, call: Callable[[Callable[[Any], None]], dict[str, Any]],
        progress: Progress, on_event: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Runs ``call(on_event)``; every event goes to ``progress`` and then to ``on_event`` (the display).

    Raises:
        EngineError: the operation failed: failing resources with their messages, then what to do next.
        StackLocked: another update holds the lock: who, and `mlstack cancel`.
    """
    def handle(event: Any) -> None:
        progress.apply(event)
        if on_event is not None:
            on_event(event)

    try:
        return call(handle)
    except StackLocked as exc:
        raise StackLocked(
            f"{exc}. Wait for that update to finish; if it is no longer running (killed, crashed), release the "
            f"lock with `mlstack cancel --env {env}`"
        ) from None
    except OperationFailed as exc:
        failing = progress.failure_lines()
        lines = [f"{operation} of {env} failed"]
        if failing:
            lines.append("failing resources:")
            lines += [f"  {line}" for line in failing]
        if exc.detail and not failing:
            lines.append(exc.detail)
        lines.append("next: " + NEXT_STEPS[operation].format(env=env))
        raise EngineError("\n".join(lines)) from None


def protected_resources(stack: StackHandle) -> list[str]:
    """URNs of resources in the stack's state with ``protect`` set, sorted."""
    return sorted(r["urn"] for r in stack.resources() if r.get("protect"))


def check_destroy(env: str, protected: list[str], allow_data_loss: bool) -> None:
    """Refuses a destroy while protected resources exist, unless ``--allow-data-loss``.

    Raises:
        UsageError: names the protected resources and both ways forward.
    """
    if protected and not allow_data_loss:
        from mlstack.engine.deploy.events import short_urn

        names = "\n".join(f"  {short_urn(u)}" for u in protected)
        raise UsageError(
            f"{env} has {len(protected)} protected resource(s) holding data:\n{names}\nNothing was deleted. "
            "Pass --allow-data-loss to unprotect them and delete them with the rest (their data is lost)"
        )


def display_outputs(outputs: dict[str, tuple[Any, bool]], show_secrets: bool) -> dict[str, Any]:
    """Output name -> value, secrets replaced by "[secret]" unless ``show_secrets``."""
    return {k: (v if (show_secrets or not secret) else MASK) for k, (v, secret) in sorted(outputs.items())}


def cancel(stack: StackHandle, env: str) -> None:
    """Releases a stale stack lock.

    Raises:
        EngineError: nothing to cancel, or the backend refused.
    """
    try:
        stack.cancel()
    except OperationFailed as exc:
        raise EngineError(f"cancel of {env} failed: {exc.detail}") from None
