"""Ctrl-C while a plan records: the run is cancelled through the loop and raises KeyboardInterrupt at once.

Before, the interrupt was raised at whatever line ran; landing inside one of the runtime's tasks it could be kept
by that task, and the plan then waited on it until the stall deadline (CI saw `mlstack plan` hang after SIGINT
at 1.8 s; tests/safety/test_output.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pulumi
import pulumi_aws as aws
import pytest

from mlstack.engine.plan.model import plan_program
from mlstack.engine.plan.recorder import record


def _default_sigint() -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has another handler in this process: the recorder leaves it alone (tested below)")


def test_sigint_in_the_program_body_cancels_the_plan_at_once():
    """The case that hung: Ctrl-C while the program's body runs. The runtime keeps a KeyboardInterrupt raised
    there and first waits for every registration in flight, here one whose input the body never got to resolve."""
    _default_sigint()

    def program():
        pending = asyncio.get_event_loop().create_future()
        aws.kms.Key("waits", description=pulumi.Output.from_input(pending))
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C before the body resolves the input
        time.sleep(0.05)
        pending.set_result("resolved")

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        record(program, project="p", stack="s", timeout=5)  # without the loop's handler: the 5 s stall error
    assert time.monotonic() - start < 4
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the loop's handler is gone
    # The runtime was reset: the next plan in the process records normally.
    plan = plan_program(lambda: aws.kms.Key("again"), project="p", env="s")
    assert [r.name for r in plan.resources] == ["again"]


def test_a_programs_own_sigint_handler_is_kept():
    seen: list[int] = []

    def handler(signum, _frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        plan = plan_program(lambda: pulumi.export("x", aws.kms.Key("k").arn), project="p", env="s")
        assert signal.getsignal(signal.SIGINT) is handler
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs between bytecodes of the main thread
        assert seen == [signal.SIGINT]
    finally:
        signal.signal(signal.SIGINT, previous)
    assert plan.outputs["x"].startswith("arn:aws:kms:")
