"""The Pulumi program of a spec: the exact code `up` runs and `plan` records.

``build(spec)`` provisions the target through its pack's mapping module (``Pack.mapping``), then the Kubernetes
platform layer on top with an explicit provider, and exports the stack outputs. Only the target's SDK is
imported: a plan never loads another target's SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from mlstack.spec import Spec


def build(spec: Spec, pins: Mapping[str, str] | None = None, stamp: Mapping[str, str] | None = None) -> None:
    """Registers every resource of ``spec``'s environment in the current Pulumi program.

    Args:
        spec: the environment.
        pins: a lock's image digests (``"<repository>:<tag>" -> "sha256:..."``): every Kubernetes object and chart
            value then references those images by digest (:mod:`mlstack.engine.plan.pins`).
        stamp: further ``MLSTACK_*`` values for the environment's stamp (the lock digest, the stacks' commit),
            added to the ones the spec gives (:func:`environment_stamp`).
    """
    import pulumi

    from mlstack.catalog import load_catalog
    from mlstack.engine.plan import pins as image_pins
    from mlstack.engine.plan import platform
    from mlstack.engine.plan.versions import resolved_versions

    image_pins.register(pins or {})
    catalog = load_catalog()
    versions = resolved_versions(spec)
    from mlstack import targets

    target = importlib.import_module(targets.pack(spec.target.cloud).mapping)
    bindings = target.provision(spec, catalog, versions, platform.identities(spec))
    platform_outputs = platform.provision(spec, catalog, versions, bindings, environment_stamp(spec, versions, pins, stamp))
    for key, value in sorted({**bindings.outputs, **platform_outputs}.items()):
        if value is not None:
            pulumi.export(key, value)
    pulumi.export("versions", versions)


def environment_stamp(
    spec: Spec, versions: Mapping[str, str], pins: Mapping[str, str] | None, extra: Mapping[str, str] | None
) -> dict[str, str]:
    """The ``mlstack-environment`` ConfigMap's data: project, env, versions and image digests (JSON), plus ``extra``."""
    import json

    stamp = {"MLSTACK_PROJECT": spec.project, "MLSTACK_ENV": spec.env,
             "MLSTACK_VERSIONS": json.dumps(dict(versions), sort_keys=True, separators=(",", ":"))}
    if pins:
        stamp["MLSTACK_IMAGE_DIGESTS"] = json.dumps(dict(pins), sort_keys=True, separators=(",", ":"))
    stamp.update({k: v for k, v in (extra or {}).items() if v})
    return dict(sorted(stamp.items()))


def make_program(
    spec: Spec, pins: Mapping[str, str] | None = None, stamp: Mapping[str, str] | None = None
) -> Callable[[], None]:
    """A zero-argument Pulumi program for ``spec`` (inline programs for the Automation API take this)."""

    def program() -> None:
        build(spec, pins, stamp)

    return program
