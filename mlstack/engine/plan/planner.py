"""The credential-free plan of a spec: the real program, recorded under mocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.engine.plan import cache
from mlstack.engine.plan.model import Plan
from mlstack.spec import Spec


def plan_spec(spec: Spec, pins: Mapping[str, str] | None = None, platform: Mapping[str, str] | None = None) -> Plan:
    """Runs the program ``up`` would run, under recording mocks, and returns the Plan.

    ``pins`` (a lock's image digests) make every image reference in the plan a digest reference; ``platform`` (a
    lock's cloud versions) sets the add-on, AMI release, node and control-plane versions as ``up --locked`` does
    (not verified: the offline plan has no cloud to ask). A plan cached
    for the same inputs (spec, pins, platform, code, catalogue, SDKs: ``mlstack.engine.plan.cache``) is returned instead of
    a new run when the cache is on; it is the same plan, byte for byte. Anything else a plan comes to read must
    join the cache key here.

    Raises:
        EngineError: the program failed (the message is the program's error).
    """
    extra = {"pins": dict(pins or {}), **({"platform": dict(platform)} if platform else {})}
    cache_key = cache.key(spec.model_dump(mode="json"), extra) if cache.enabled() else ""
    if cache_key:
        hit = cache.get(cache_key)
        if hit is not None:
            return hit
    plan = _record(spec, pins, platform)
    if cache_key:
        cache.put(cache_key, plan)
    return plan


def _record(spec: Spec, pins: Mapping[str, str] | None = None, platform: Mapping[str, str] | None = None) -> Plan:
    from mlstack.engine.plan.model import mock_setting, plan_program
    from mlstack.engine.plan.program import Locked, make_program

    target = spec.target.model_dump(exclude_none=True)
    locked = Locked(platform=dict(platform)) if platform else None
    return plan_program(make_program(spec, pins, locked=locked), project=spec.project, env=spec.env, target=target, **mock_setting(target))


def plan_specs(specs: list[Spec]) -> list[Plan]:
    """The plans of several specs, in order: cached ones read, the rest recorded side by side.

    Each plan that is not cached is recorded in a forked worker process (one per plan, at most two per core),
    so that two cores import the SDKs and record at the same time; the result is the same as planning them one
    after the other (tested). With one plan to record, one core, no ``fork`` (not Linux/macOS), or
    ``MLSTACK_PLAN_WORKERS=1``, they are recorded here, in turn.

    Raises:
        EngineError: a program failed (the first failure, in the order of ``specs``).
    """
    keys = [cache.key(s.model_dump(mode="json"), {"pins": {}}) if cache.enabled() else "" for s in specs]
    plans: list[Plan | None] = [cache.get(k) if k else None for k in keys]
    # Equal specs share one recording (a pull request's unchanged environments: base == head).
    todo: dict[str, Spec] = {}
    for spec, plan in zip(specs, plans, strict=True):
        if plan is None:
            todo.setdefault(spec.model_dump_json(), spec)
    recorded = dict(zip(todo, _record_all(list(todo.values())), strict=True))
    out: list[Plan] = []
    for spec, cache_key, plan in zip(specs, keys, plans, strict=True):
        if plan is None:
            plan = recorded[spec.model_dump_json()]
            if cache_key:
                cache.put(cache_key, plan)
                plan = cache.get(cache_key) or plan  # a fresh copy: callers add extras to their own plan
        out.append(plan)
    return out


def _workers(count: int) -> int:
    import multiprocessing
    import os

    if count < 2 or os.environ.get("MLSTACK_PLAN_WORKERS") == "1":
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if cores < 2 else min(count, 2 * cores)


def _record_all(specs: list[Spec]) -> list[Plan]:
    workers = _workers(len(specs))
    if workers == 1:
        return [_record(s) for s in specs]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes=workers) as pool:
        results = pool.map(_record_in_worker, specs, chunksize=1)
    for kind, value in results:
        if kind == "error":
            raise value
    return [value for _, value in results]


def _record_in_worker(spec: Spec) -> tuple[str, Any]:
    """Runs in a forked worker: the plan, or the failure as an exception the parent can re-raise."""
    import pickle

    from mlstack.errors import EngineError

    try:
        return "plan", _record(spec)
    except Exception as exc:  # noqa: BLE001 - carried to the parent, raised there
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an exception that does not survive pickling travels as its text
            exc = EngineError(str(exc))
        return "error", exc
