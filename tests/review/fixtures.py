"""Hand-built Registrations and Plans for the review tests."""

from __future__ import annotations

import json
from typing import Any

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import Registration


def reg(type_: str, name: str, inputs: dict[str, Any] | None = None, *, parent: str = "", protect: bool = False,
        retain: bool | None = None, env: str = "test", project: str = "acme-ml", custom: bool = True) -> Registration:
    urn = f"urn:pulumi:{env}::{project}::{type_}::{name}"
    return Registration(urn=urn, type=type_, name=name, parent=parent, custom=custom, inputs=dict(inputs or {}),
                        protect=protect, retain_on_delete=protect if retain is None else retain, depends_on=[], provider="")


def plan(*resources: Registration, env: str = "test", target: dict[str, Any] | None = None) -> Plan:
    return Plan(project="acme-ml", env=env, target=target or {"cloud": "aws", "region": "us-west-2"},
                resources=sorted(resources, key=lambda r: r.urn))


def policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
