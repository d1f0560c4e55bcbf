"""The Pulumi program of a spec: the exact code `up` runs and `plan` records.

``build(spec)`` provisions the target through its pack's mapping module (``Pack.mapping``), then the Kubernetes
platform layer on top with an explicit provider, and exports the stack outputs. Only the target's SDK is
imported: a plan never loads another target's SDK.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlstack.spec import Spec

#: The stack output in which each target exports the versions its cloud chose (what a lock's ``platform`` records).
PLATFORM_OUTPUT = "platform_versions"


@dataclass(frozen=True)
class Locked:
    """What a lock makes the program deploy, besides the spec.

    Attributes:
        pins: image digests (``"<repository>:<tag>" -> "sha256:..."``): every Kubernetes object and chart value then
            references those images by digest (:mod:`mlstack.engine.plan.pins`).
        platform: the cloud's versions (``control_plane``, ``addon/<name>``, ``node_pool/<pool>``), passed to the
            target's components as inputs.
        verify: ask the cloud, through invokes and before any resource is registered, whether it still offers
            ``platform`` (the target mapping's ``locked_problems``); the program stops on a problem, so a deploy
            changes nothing. Off for the offline plan, which has no cloud to ask.
        digest_of: the lock digest of the deploy for given platform versions (they are known only once the cloud
            chose them): stamped into the environment as ``MLSTACK_LOCK_DIGEST``. None: no digest.
    """

    pins: Mapping[str, str] = field(default_factory=dict)
    platform: Mapping[str, str] = field(default_factory=dict)
    verify: bool = False
    digest_of: Callable[[Mapping[str, str]], str] | None = None


def build(spec: Spec, pins: Mapping[str, str] | None = None, stamp: Mapping[str, str] | None = None,
          locked: Locked | None = None) -> None:
    """Registers every resource of ``spec``'s environment in the current Pulumi program.

    Args:
        spec: the environment.
        pins: a lock's image digests (also ``locked.pins``; both are applied).
        stamp: further ``MLSTACK_*`` values for the environment's stamp (the stacks' commit), added to the ones the
            spec gives (:func:`environment_stamp`).
        locked: the lock's platform versions, whether to verify them first, and how to compute the lock digest.

    Raises:
        EngineError: ``locked.verify`` and the cloud no longer offers a locked version (each one named, with the way
            out), raised before any resource is registered.
    """
    import pulumi

    from mlstack.catalog import load_catalog
    from mlstack.engine.plan import pins as image_pins
    from mlstack.engine.plan import platform
    from mlstack.engine.plan.versions import resolved_versions

    locked = locked or Locked()
    pins = {**(pins or {}), **locked.pins}
    image_pins.register(pins)
    catalog = load_catalog()
    versions = resolved_versions(spec)
    from mlstack import targets

    target = importlib.import_module(targets.pack(spec.target.cloud).mapping)
    if locked.verify and locked.platform:
        _verify(target, spec, catalog, versions, locked.platform)
    bindings = target.provision(spec, catalog, versions, platform.identities(spec), dict(locked.platform))
    chosen = bindings.outputs.get(PLATFORM_OUTPUT)
    stamp = dict(stamp or {})
    if locked.digest_of is not None:
        stamp["MLSTACK_LOCK_DIGEST"] = _lock_digest(chosen or {}, locked.digest_of)  # type: ignore[assignment]
    platform_outputs = platform.provision(spec, catalog, versions, bindings, environment_stamp(spec, versions, pins, stamp))
    outputs = {**bindings.outputs, **platform_outputs}
    if chosen is not None and locked.platform:
        # What a resource does not report back (EKS's platform version under the plan's mocks) is the lock's.
        lock_platform = dict(locked.platform)
        outputs[PLATFORM_OUTPUT] = pulumi.Output.from_input(chosen).apply(
            lambda got: {k: v or lock_platform.get(k) for k, v in sorted(got.items())})
    for key, value in sorted(outputs.items()):
        if value is not None:
            pulumi.export(key, value)
    pulumi.export("versions", versions)


def _verify(target: Any, spec: Spec, catalog: Any, versions: Mapping[str, str], platform: Mapping[str, str]) -> None:
    from mlstack.errors import EngineError

    check = getattr(target, "locked_problems", None)
    problems = check(spec, catalog, dict(versions), platform) if check else []
    if problems:
        raise EngineError(f"the lock of {spec.env} cannot be honoured, nothing was changed:\n"
                          + "\n".join(f"  {p}" for p in problems))


def _lock_digest(platform: Mapping[str, Any], digest_of: Callable[[Mapping[str, str]], str]) -> Any:
    """An Output of the lock digest, once the cloud has chosen the platform versions (none are None in a deploy)."""
    import pulumi

    return pulumi.Output.from_input(dict(platform)).apply(lambda done: digest_of(recorded_platform(done)))


def recorded_platform(values: Mapping[str, Any] | None) -> dict[str, str]:
    """The platform versions a lock records from the ``platform_versions`` output: set ones only, keys sorted."""
    return {k: str(v) for k, v in sorted((values or {}).items()) if v}


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
    spec: Spec, pins: Mapping[str, str] | None = None, stamp: Mapping[str, str] | None = None,
    locked: Locked | None = None,
) -> Callable[[], None]:
    """A zero-argument Pulumi program for ``spec`` (inline programs for the Automation API take this)."""

    def program() -> None:
        build(spec, pins, stamp, locked)

    return program
