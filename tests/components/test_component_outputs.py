"""Every component registers every output it exposes: its public attributes, as ``register_outputs`` keys.

A component's outputs are what ``pulumi stack export`` and the Pulumi console show for it and what
``pulumi.StackReference`` users can rely on; an attribute left out exists only inside the Python program. The
test builds every component (the four example environments, plus those no example uses), records what each
instance registers, and compares it with the instance's public attributes: the same keys, the same objects.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pytest

import mlstack.components

STACKS = Path(__file__).resolve().parents[2] / "stacks"
# Attributes every pulumi.Resource has: identity, not outputs of the component.
RESOURCE_ATTRIBUTES = {"urn", "id"}
# Attributes that hold a child component, None where the spec leaves it out (not outputs either).
OPTIONAL_CHILDREN = {("Platform", "gpu"), ("Platform", "ci")}


def component_classes() -> dict[str, type[pulumi.ComponentResource]]:
    found = {}
    for info in pkgutil.walk_packages(mlstack.components.__path__, "mlstack.components."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource) and obj.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def _is_resource(value: Any) -> bool:
    """A child component or resource (or a collection of them): reachable, but not an output of its own."""
    if isinstance(value, pulumi.Resource):
        return True
    if isinstance(value, Mapping):
        return bool(value) and all(_is_resource(v) for v in value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return bool(value) and all(_is_resource(v) for v in value)
    return False


def exposed(component: pulumi.ComponentResource) -> dict[str, Any]:
    return {
        k: v
        for k, v in vars(component).items()
        if not k.startswith("_")
        and k not in RESOURCE_ATTRIBUTES
        and not _is_resource(v)
        and (type(component).__name__, k) not in OPTIONAL_CHILDREN
    }


def _neuron_support() -> None:
    import pulumi_kubernetes as k8s

    from mlstack.components.k8s.neuron_support import NeuronSupport, NeuronSupportArgs

    provider = k8s.Provider("test-k8s", kubeconfig="{}")
    NeuronSupport("neuron", NeuronSupportArgs(chart_version="1.1.1"), pulumi.ResourceOptions(providers=[provider]))


@pytest.fixture(scope="module")
def registered():
    """(component, registered outputs) of every component instance the example plans and the extras build."""
    from mlstack.engine.plan.model import plan_program
    from mlstack.engine.review.planning import plan_env

    calls: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []
    original = pulumi.ComponentResource.register_outputs

    def record(self, outputs):
        calls.append((self, dict(outputs or {})))
        return original(self, outputs)

    mp = pytest.MonkeyPatch()
    mp.setattr(pulumi.ComponentResource, "register_outputs", record)
    try:
        for env in ("staging", "prod", "gcp-staging", "onprem"):
            plan_env(env, STACKS)
        plan_program(_neuron_support, project="acme-ml", env="test")
    finally:
        mp.undo()
    return [(c, o) for c, o in calls if type(c).__module__.startswith("mlstack.components.")]


def test_every_component_is_built(registered):
    assert {f"{type(c).__module__}.{type(c).__name__}" for c, _ in registered} == set(component_classes())
    assert len(component_classes()) >= 40


def test_every_component_registers_every_output_it_exposes(registered):
    problems = []
    for component, outputs in registered:
        attrs = exposed(component)
        label = f"{type(component).__name__} {component._name}"  # noqa: SLF001 - the logical name
        if missing := sorted(set(attrs) - set(outputs)):
            problems.append(f"{label}: exposes but does not register {missing}")
        if extra := sorted(set(outputs) - set(attrs)):
            problems.append(f"{label}: registers {extra}, which it does not expose")
        outs = {k for k in set(attrs) & set(outputs) if isinstance(attrs[k], pulumi.Output)}
        if differ := sorted(k for k in outs if outputs[k] is not attrs[k]):
            problems.append(f"{label}: registers other values than it exposes for {differ}")
    assert problems == []
