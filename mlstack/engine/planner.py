"""The credential-free plan of a spec: the real program, recorded under mocks."""

from __future__ import annotations

from pathlib import Path

from mlstack.engine.plan import Plan
from mlstack.spec import Spec, load_spec


def plan_env(env: str, stacks_dir: Path) -> Plan:
    """Loads ``<stacks_dir>/<env>.yaml``, checks its policy waivers name real rules, and plans it."""
    from mlstack.engine.policy import validate_waivers
    from mlstack.spec import spec_path

    spec = load_spec(env, stacks_dir)
    validate_waivers(spec.waivers, spec_path(env, stacks_dir))
    return plan_spec(spec)


def plan_spec(spec: Spec) -> Plan:
    """Runs the program ``up`` would run, under recording mocks, and returns the Plan.

    Raises:
        EngineError: the program failed (the message is the program's error).
    """
    from mlstack.engine.plan import plan_program
    from mlstack.engine.program import make_program

    target = spec.target.model_dump(exclude_none=True)
    return plan_program(
        make_program(spec),
        project=spec.project,
        env=spec.env,
        target=target,
        region=spec.target.region or "onprem",
        gcp_project=spec.target.project_id or "mlstack-plan",
    )


def with_review(plan: Plan, env: str, stacks_dir: Path) -> Plan:
    """The plan with its ``cost`` estimate and ``policy`` results in ``extras`` (the JSON plan carries both)."""
    from mlstack.engine.cost import estimate
    from mlstack.engine.policy import check_plan

    spec = load_spec(env, stacks_dir)
    shared = spec.storage.shared.size_gib if spec.storage.shared else None
    plan.extras["cost"] = estimate(plan, shared_storage_gib=shared).to_dict()
    plan.extras["policy"] = check_plan(plan, protected=spec.protected, waivers=spec.waivers).to_dict()
    return plan
