"""What registering a plan costs in Pulumi's SDK alone: the plan's resources replayed with no mlstack code.

It imports what the plan's floor imports (the SDK classes behind the plan's resource types), then registers the
plan's resources, as recorded in ``mlstack plan --format json``, through the SDK's own generic classes
(``CustomResource``, ``ComponentResource``, ``ProviderResource``) under Pulumi's mocks, each with its recorded
inputs, parent, provider and ``protect`` and each answered with an id and no outputs, and leaves with
``os._exit`` as mlstack does. With ``--cli-libraries`` it first imports what a Typer 0.29 command line loads
before it runs a command: typer, the YAML libraries and pydantic's ``TypeAdapter`` (Typer coerces every option
through one).

An estimate of the SDK's share of a plan, not a strict bound: the generic classes skip what a typed class adds
(its type hints), but the SDK also handles an untyped resource differently, and on gcp-staging this replay costs
more than mlstack's own plan (docs/performance.md).

Run: ``python benchmarks/sdk_replay.py PLAN.json [--cli-libraries]``; ``benchmarks/run.py`` prints it beside each
plan's goal as an ``INFO`` row.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import class_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", type=Path, help="a plan as `mlstack plan --format json` prints it")
    parser.add_argument("--cli-libraries", action="store_true", help="import typer, pydantic and YAML first")
    args = parser.parse_args()
    if args.cli_libraries:
        import ruamel.yaml  # noqa: F401
        import typer  # noqa: F401
        import yaml  # noqa: F401
        from pydantic import TypeAdapter  # noqa: F401
    resources = json.loads(args.plan.read_text())["resources"]
    import pulumi  # noqa: F401 - what every floor imports (floors.class_floor)
    import pulumi.runtime  # noqa: F401

    for module, cls in sorted({c for r in resources if (c := class_of(r["type"])) is not None}):
        getattr(importlib.import_module(module), cls)
    _register(resources)
    os._exit(0)


def _register(resources: list[dict[str, Any]]) -> None:
    import pulumi
    from pulumi.runtime import mocks, settings
    from pulumi.runtime.stack import run_in_stack

    registered: list[str] = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            registered.append(args.typ)
            return f"{args.name}-id", {}

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            return {}

    by_urn = {r["urn"]: r for r in resources}

    def program() -> None:
        made: dict[str, pulumi.Resource] = {}
        providers: dict[str, pulumi.ProviderResource] = {}

        def make(urn: str) -> pulumi.Resource | None:
            if not urn or urn not in by_urn:
                return None
            if urn in made:
                return made[urn]
            r = by_urn[urn]
            opts = pulumi.ResourceOptions(parent=make(r["parent"]), protect=r["protect"],
                                          provider=providers.get(r["provider"]))
            if r["type"].startswith("pulumi:providers:"):
                res: pulumi.Resource = pulumi.ProviderResource(r["type"].removeprefix("pulumi:providers:"),
                                                               r["name"], dict(r["inputs"]), opts)
                providers[r["name"]] = res  # type: ignore[assignment]
            elif class_of(r["type"]) is None:
                component = pulumi.ComponentResource(r["type"], r["name"], None, opts)
                component.register_outputs({})
                res = component
            else:
                res = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
            made[urn] = res
            return res

        for r in sorted(resources, key=lambda r: not r["type"].startswith("pulumi:providers:")):
            make(r["urn"])

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks.set_mocks(Mocks(), project="replay", stack="replay", preview=False)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    loop.run_until_complete(asyncio.wait_for(run_in_stack(program), 120))
    if sorted(registered) != sorted(r["type"] for r in resources):  # a partial replay would understate the estimate
        raise SystemExit(f"replayed {len(registered)} of the plan's {len(resources)} resources")


if __name__ == "__main__":
    main()
