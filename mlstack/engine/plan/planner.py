"""The credential-free plan of a spec: the real program, recorded under mocks."""

from __future__ import annotations

from mlstack.engine.plan.model import Plan
from mlstack.spec import Spec


def plan_spec(spec: Spec) -> Plan:
    """Runs the program ``up`` would run, under recording mocks, and returns the Plan.

    Raises:
        EngineError: the program failed (the message is the program's error).
    """
    from mlstack.engine.plan.model import plan_program
    from mlstack.engine.plan.program import make_program

    target = spec.target.model_dump(exclude_none=True)
    return plan_program(
        make_program(spec),
        project=spec.project,
        env=spec.env,
        target=target,
        region=spec.target.region or "onprem",
        gcp_project=spec.target.project_id or "mlstack-plan",
    )
