"""The session's example plans (tests/example_plans.py) are the plans ``plan_env`` records, and each caller's own."""

from __future__ import annotations

from example_plans import STACKS, example_plan

from mlstack.cli.render import plan_json
from mlstack.engine.review.planning import plan_env


def test_an_example_plan_is_the_fresh_plan_and_each_caller_gets_a_copy():
    first = example_plan("onprem")
    assert plan_json(first) == plan_json(plan_env("onprem", STACKS))
    first.resources[0].inputs["changed"] = True
    first.resources.pop()
    again = example_plan("onprem")
    assert again is not first
    assert "changed" not in again.resources[0].inputs
    assert plan_json(again) == plan_json(plan_env("onprem", STACKS))
