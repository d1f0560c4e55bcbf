"""The credential-free plan of a spec: the real program, recorded under mocks."""

from __future__ import annotations

from collections.abc import Mapping

from mlstack.engine.plan.model import Plan
from mlstack.spec import Spec


def plan_spec(spec: Spec, pins: Mapping[str, str] | None = None) -> Plan:
    """Runs the program ``up`` would run, under recording mocks, and returns the Plan.

    ``pins`` (a lock's image digests) make every image reference in the plan a digest reference.

    Raises:
        EngineError: the program failed (the message is the program's error).
    """
    from mlstack.engine.plan.model import plan_program
    from mlstack.engine.plan.program import make_program

    target = spec.target.model_dump(exclude_none=True)
    return plan_program(
        make_program(spec, pins),
        project=spec.project,
        env=spec.env,
        target=target,
        region=spec.target.region or spec.target.cloud,  # a regionless target answers with its own name
        gcp_project=spec.target.project_id or "mlstack-plan",
    )
