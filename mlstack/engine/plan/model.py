"""The plan: what a program registers, as plain data, in a deterministic order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlstack.engine.plan.registration import Registration


@dataclass
class Plan:
    """Everything a run of the program asked the engine for.

    Attributes:
        project: the spec's project.
        env: the environment (Pulumi stack) name.
        target: the target block of the spec as plain data (cloud, region, ...).
        resources: every registration, sorted by URN.
        outputs: the stack outputs, secrets masked.
    """

    project: str
    env: str
    target: dict[str, Any]
    resources: list[Registration]
    outputs: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[Registration]:
        """All resources of a type token, in URN order."""
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        """The resource with this type token and logical name.

        Raises:
            KeyError: no such resource, with the names of that type that do exist.
        """
        for r in self.resources:
            if r.type == type_ and r.name == name:
                return r
        raise KeyError(f"no {type_} named {name!r}; have {[r.name for r in self.of_type(type_)]}")

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.resources}

    def children(self, parent: Registration) -> list[Registration]:
        return [r for r in self.resources if r.parent == parent.urn]

    def summary(self) -> dict[str, Any]:
        counts = Counter(r.type for r in self.resources)
        return {"resources": len(self.resources), "by_type": dict(sorted(counts.items()))}

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape documented in docs/architecture.md ("The plan"). It holds the plan's own values (no
        copies: dumping a 200-team plan's copies cost more than the dump): read it, do not change it."""
        keep = ("urn", "type", "name", "parent", "inputs", "protect", "retain_on_delete", "depends_on", "provider")
        data: dict[str, Any] = {
            "project": self.project,
            "env": self.env,
            "target": self.target,
            "resources": [{k: getattr(r, k) for k in keep} for r in self.resources],
            "outputs": self.outputs,
            "summary": self.summary(),
        }
        data.update(self.extras)
        return data


def mock_setting(target: Mapping[str, Any]) -> dict[str, str]:
    """What the mocks answer a target's plan with, from the target's plain data (``Plan.target``): its region
    (a regionless target answers with its own name) and GCP project id."""
    return {"region": str(target.get("region") or target.get("cloud", "")), "gcp_project": str(target.get("project_id") or "mlstack-plan")}


def plan_program(
    program: Callable[[], None],
    *,
    project: str,
    env: str,
    target: dict[str, Any] | None = None,
    region: str = "us-west-2",
    gcp_project: str = "mlstack-plan",
) -> Plan:
    """Records ``program`` under mocks and returns its Plan.

    Args:
        program: the Pulumi program.
        project: the Pulumi project name.
        env: the stack name.
        target: plain data describing the target, carried into the plan.
        region: the region the mocks answer with.
        gcp_project: the GCP project id the mocks answer with.
    """
    from mlstack.engine.plan.mocks import MockOutputs
    from mlstack.engine.plan.recorder import record

    monitor = record(program, project=project, stack=env, mocks=MockOutputs(region=region, gcp_project=gcp_project))
    resources = sorted(monitor.registrations.values(), key=lambda r: r.urn)
    return Plan(project=project, env=env, target=dict(target or {}), resources=resources, outputs=monitor.outputs)
