"""Realistic, deterministic outputs for the credential-free plan.

A plan answers what the program consumes (ids, ARNs, endpoints, e-mails) with values shaped like the
cloud's own, derived only from the resource's name and inputs so that two plans are byte-identical. The answers
are the ``mock`` entries of the target packs' tables (``mlstack.targets``); a type without one gets its
provider pack's generic answer. An invoke with no answer is an error that names it: an empty answer would plan
something wrong.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from mlstack import targets
from mlstack.errors import EngineError
from mlstack.targets.kit import physical_name  # noqa: F401 - the naming rule, re-exported

State = dict[str, Any]


class MockOutputs(Mocks):
    """Answers registrations and invokes as a cloud would, without one.

    Args:
        region: the region of the target.
        gcp_project: the project id, where the target has one.
    """

    def __init__(self, region: str = "us-west-2", gcp_project: str = "mlstack-plan") -> None:
        self.region = region
        self.gcp_project = gcp_project

    def new_resource(self, args: MockResourceArgs) -> tuple[str, State]:
        state: State = dict(args.inputs)
        res_id, outputs = targets.mock_handler(args.typ)(self, args.name, state)
        state.update(outputs)
        return res_id, state

    def call(self, args: MockCallArgs) -> tuple[State, list[tuple[str, str]] | None]:
        pack = targets.owner(args.token)
        answer = pack.invokes.get(args.token) if pack is not None else None
        if answer is None:
            raise EngineError(
                f"the plan cannot answer the invoke {args.token!r}: a component calls a data source the "
                "credential-free plan has no answer for. Add it to its target pack's INVOKES (mlstack/targets/) or "
                "avoid the call."
            )
        return answer(self, args.args), []
