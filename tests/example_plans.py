"""The plans of the example stacks, recorded once per test session (issue 13: the suite stays under 10 minutes).

A dozen modules read the plan of an unchanged ``stacks/<env>.yaml``; recording each one each time cost about
1.5 s a plan. ``example_plan(env)`` records a plan the first time it is asked for (the same ``plan_env`` /
``plan_spec`` the modules called) and keeps it under a key of every stack file's bytes, the environment and
the pins, so an edited example is planned again. Each caller gets its own deep copy: a test that changes its
plan changes nobody else's. Only for tests that patch nothing a plan reads (programs, mocks, catalogue,
recorder): those must still plan for themselves.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from pathlib import Path

from mlstack.engine.plan.model import Plan

STACKS = Path(__file__).resolve().parent.parent / "stacks"
_plans: dict[str, Plan] = {}


def _key(env: str, pins: Mapping[str, str] | None) -> str:
    h = hashlib.sha256(f"{env}\0{sorted((pins or {}).items())}\0".encode())
    for path in sorted(STACKS.glob("*.yaml")):  # an environment reads its own file and those it extends
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def example_plan(env: str, pins: Mapping[str, str] | None = None) -> Plan:
    """A copy of the plan of ``stacks/<env>.yaml`` (with a lock's image ``pins``), as ``plan_env`` returns it."""
    from mlstack.engine.review.planning import plan_env

    key = _key(env, pins)
    if key not in _plans:
        _plans[key] = plan_env(env, STACKS, pins)
    return copy.deepcopy(_plans[key])
