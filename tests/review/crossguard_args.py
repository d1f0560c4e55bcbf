"""pulumi-policy's own stack validation arguments, built from a recorded plan the way its analyzer builds them
from the engine's request: each resource's properties as a protobuf ``Struct`` (numbers as doubles, a secret
under the wire's secret signature), read back with ``json_format.MessageToDict``, ``deserialize_properties`` and
``unknown_checking_proxy``; parents and dependencies linked to the resource objects.

The recorded plan never holds a secret's plain text: a secret input is wrapped here with the recorder's
``[secret]`` placeholder as its value, which pulumi-policy unwraps as it would the real value.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.policy import _NotApplicableError  # what StackValidationArgs.not_applicable raises
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import SECRET, UNKNOWN


def wire(value: Any) -> Any:
    if value == SECRET:
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": SECRET}
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def _props(inputs: dict[str, Any]):
    struct = struct_pb2.Struct()
    struct.update(wire(inputs))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def stack_args(plan: Plan) -> StackValidationArgs:
    resources = {}
    for r in plan.resources:
        opts = PolicyResourceOptions(r.protect, list(r.ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0),
                                     list(r.additional_secret_outputs), r.parent or None)
        resources[r.urn] = PolicyResource(r.type, _props(r.inputs), r.urn, r.name, opts, None, None, [], {})
    for r in plan.resources:
        resources[r.urn].parent = resources.get(r.parent)
        resources[r.urn].dependencies.extend(resources[d] for d in r.depends_on if d in resources)
    return StackValidationArgs(list(resources.values()))


def run_policy(policy, args: StackValidationArgs) -> tuple[str, list[tuple[str, str]]]:
    """A policy's verdict: ("n/a", []), ("pass", []) or ("fail", [(urn, message), ...])."""
    violations: list[tuple[str, str]] = []
    try:
        policy.validate(args, lambda message, urn=None: violations.append((urn or "", message)))
    except _NotApplicableError:
        return "n/a", []
    return ("fail" if violations else "pass"), violations
