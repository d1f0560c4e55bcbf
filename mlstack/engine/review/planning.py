"""The plans the CLI shows: an environment's spec loaded, its policy waivers checked, its plan recorded; and the
plan with its review (cost, policy) attached for ``plan --format json``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.planner import plan_spec, plan_specs
from mlstack.spec import load_spec


def plan_env(
    env: str, stacks_dir: Path, pins: Mapping[str, str] | None = None, platform: Mapping[str, str] | None = None
) -> Plan:
    """Loads ``<stacks_dir>/<env>.yaml``, checks its policy waivers name real rules, and plans it (with a lock's
    image ``pins``, every image by digest, and its ``platform`` versions)."""
    return plan_spec(load_checked(env, stacks_dir), pins, platform)


def plan_envs(envs: list[str], stacks_dir: Path) -> list[Plan]:
    """``plan_env`` of each environment, every spec checked before any plan, the plans recorded side by side."""
    return plan_specs([load_checked(env, stacks_dir) for env in envs])


def load_checked(env: str, stacks_dir: Path):  # noqa: ANN201 - Spec
    """The spec of ``env`` with its policy waivers checked: what every command that plans or deploys reads."""
    from mlstack.engine.review.policy import validate_waivers
    from mlstack.spec import spec_path

    spec = load_spec(env, stacks_dir)
    validate_waivers(spec.waivers, spec_path(env, stacks_dir))
    return spec


def with_review(plan: Plan, env: str, stacks_dir: Path, spec=None) -> Plan:  # noqa: ANN001 - a Spec
    """The plan with its ``cost`` estimate, ``policy`` results and the spec's located ``warnings``
    (``mlstack.spec.notices``) in ``extras`` (the JSON plan carries all three). ``spec``: the one the plan was
    made from, when the caller has it (else ``env``'s is loaded again)."""
    from mlstack.engine.review.cost import estimate
    from mlstack.engine.review.policy import check_plan
    from mlstack.spec.notices import env_warnings

    spec = spec if spec is not None else load_spec(env, stacks_dir)
    shared = spec.storage.shared.size_gib if spec.storage.shared else None
    warnings = env_warnings(env, stacks_dir, spec)
    plan.extras["warnings"] = [w.to_dict() for w in warnings]
    plan.extras["cost"] = estimate(plan, shared_storage_gib=shared, warnings=warnings).to_dict()
    plan.extras["policy"] = check_plan(plan, protected=spec.protected, waivers=spec.waivers).to_dict()
    return plan
