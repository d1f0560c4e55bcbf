"""The Pulumi program of a spec: the exact code `up` runs and `plan` records.

``build(spec)`` provisions the target (aws, gcp or onprem) through its mapping module, then the Kubernetes
platform layer on top with an explicit provider, and exports the stack outputs. Only the target's SDK is
imported: an onprem plan never loads pulumi_aws or pulumi_gcp.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from mlstack.spec import Spec


def build(spec: Spec) -> None:
    """Registers every resource of ``spec``'s environment in the current Pulumi program."""
    import pulumi

    from mlstack.catalog import load_catalog
    from mlstack.engine.plan.mapping import platform
    from mlstack.engine.plan.versions import resolved_versions

    catalog = load_catalog()
    versions = resolved_versions(spec)
    target = importlib.import_module(f"mlstack.engine.plan.mapping.{spec.target.cloud}")
    bindings = target.provision(spec, catalog, versions)
    platform_outputs = platform.provision(spec, catalog, versions, bindings)
    for key, value in sorted({**bindings.outputs, **platform_outputs}.items()):
        if value is not None:
            pulumi.export(key, value)
    pulumi.export("versions", versions)


def make_program(spec: Spec) -> Callable[[], None]:
    """A zero-argument Pulumi program for ``spec`` (inline programs for the Automation API take this)."""

    def program() -> None:
        build(spec)

    return program
