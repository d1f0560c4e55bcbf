"""What a lock pins, and whether it still can be honoured: the images and charts of a plan, resolved at ``up``.

``plan_images(plan)`` lists every image reference the plan's Kubernetes objects and chart values use;
``resolve_images`` asks their registries for the digests (:mod:`mlstack.engine.deploy.oci`); ``plan_charts``
records each Helm release's chart and version (and its digest for OCI chart repositories). ``locked_refusals``
says why a lock cannot be honoured now, before anything changes: images of the plan the lock does not pin,
or a pinned digest its registry no longer serves; ``platform_refusals`` the cloud versions of the plan (its
``platform_versions`` output) that the lock does not name; ``platform_differences`` all that can be told offline
about the lock's ``platform`` (for ``mlstack lock --check``). Whether the cloud still offers the versions it names is
asked by the program itself, through invokes, before it registers anything (``Locked.verify``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mlstack import targets
from mlstack.engine.deploy import oci
from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.pins import chart_image_ref

IMAGE_KEYS = ("image", "imageName")
#: The Kubernetes minor a cloud version starts with (``1.36.2-20261110``, ``1.36.2-gke.1000``); a version without
#: one (an EKS platform version, ``eks.7``) names none.
_MINOR = re.compile(r"^(\d+\.\d+)\.\d+")


def _walk(value: Any, found: set[str]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in IMAGE_KEYS:
                ref = item.get(key)
                if isinstance(ref, str) and ":" in ref.rsplit("/", 1)[-1]:
                    found.add(ref)
            ref = chart_image_ref(item)
            if ref:
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def plan_images(plan: Plan) -> list[str]:
    """Every image reference in the plan's Kubernetes objects and chart values, sorted (digest refs included)."""
    found: set[str] = set()
    for reg in plan.resources:
        if targets.on_cluster(reg.type):
            _walk(reg.inputs, found)
    return sorted(found)


def unpinned(plan: Plan) -> list[str]:
    """Image references in ``plan`` that are not by digest (an empty list for a locked plan)."""
    return [ref for ref in plan_images(plan) if "@sha256:" not in ref]


def resolve_images(refs: Iterable[str], resolve: Callable[[str], str] = oci.resolve_digest) -> dict[str, str]:
    """``ref -> digest`` for every tag reference (digest references are already pinned and left out)."""
    return {ref: resolve(ref) for ref in sorted(set(refs)) if "@" not in ref}


def plan_charts(plan: Plan, resolve: Callable[[str], str] = oci.resolve_digest) -> dict[str, dict[str, str | None]]:
    """Each Helm release's chart, repository, version and, for ``oci://`` repositories, the chart's digest."""
    charts: dict[str, dict[str, str | None]] = {}
    for reg in (r for t in targets.chart_releases() for r in plan.of_type(t)):
        repo = (reg.inputs.get("repositoryOpts") or {}).get("repo", "")
        chart, version = reg.inputs.get("chart", ""), reg.inputs.get("version", "")
        digest = None
        if repo.startswith("oci://"):
            digest = resolve(f"{repo.removeprefix('oci://').rstrip('/')}/{chart}:{version}")
        charts[reg.inputs.get("name") or reg.name] = {"chart": chart, "digest": digest, "repo": repo, "version": version}
    return dict(sorted(charts.items()))


def locked_refusals(
    plan_refs: Iterable[str],
    lock: Mapping[str, Any],
    served: Callable[[str, str], bool] = oci.manifest_exists,
) -> list[str]:
    """Why ``up --locked`` cannot deploy this lock's images now (empty when it can).

    Args:
        plan_refs: the image references of the unlocked plan (``plan_images``).
        lock: the validated lock.
        served: whether a registry still serves ``(image, digest)``.
    """
    pins: Mapping[str, str] = lock.get("images", {})
    problems = []
    for ref in sorted(set(plan_refs)):
        if "@" in ref:
            continue
        if ref not in pins:
            problems.append(f"image {ref}: not in the lock (the catalogue or the spec names another image since it "
                            "was written); run `mlstack up` without --locked to lock it")
        elif not served(ref, pins[ref]):
            problems.append(f"image {ref}: the locked digest {pins[ref]} is no longer served by its registry; "
                            "restore it there, or run `mlstack up` without --locked to lock the current one")
    return problems


def platform_refusals(plan: Plan, lock: Mapping[str, Any]) -> list[str]:
    """The cloud versions of ``plan`` (control plane, add-ons, node pools) that ``lock`` does not name: an older lock
    (before version 3) or a pool added since. Empty when the lock names them all."""
    from mlstack.engine.plan.program import PLATFORM_OUTPUT

    have: Mapping[str, str] = lock.get("platform", {})
    return [f"platform {key}: not in the lock (the lock predates it); run `mlstack up --env {lock['env']}` without "
            "--locked to lock the version the cloud runs" for key in sorted(plan.outputs.get(PLATFORM_OUTPUT) or {})
            if key not in have]


def platform_differences(plan: Plan, lock: Mapping[str, Any], kubernetes: str) -> list[str]:
    """What can be told offline about ``lock``'s cloud versions against ``plan`` (the spec's offline plan): each
    entry of the plan's ``platform_versions`` the lock lacks (:func:`platform_refusals`), each locked entry the plan
    no longer has (a node pool or add-on removed since), and each locked version of another Kubernetes minor than
    the spec's ``kubernetes``. Whether the cloud still offers a locked version is not known offline: ``up --locked``
    asks it."""
    from mlstack.engine.plan.program import PLATFORM_OUTPUT

    planned: Mapping[str, Any] = plan.outputs.get(PLATFORM_OUTPUT) or {}
    have: Mapping[str, str] = lock.get("platform", {})
    env = lock["env"]
    problems = platform_refusals(plan, lock)
    for key in sorted(have):
        if key not in planned:
            problems.append(f"platform {key}: locked {have[key]}, but the plan has no {key} now (removed since the lock); "
                            f"the next `mlstack up --env {env}` leaves it out of the lock")
        elif (minor := _MINOR.match(have[key])) and minor.group(1) != kubernetes:
            problems.append(f"platform {key}: locked {have[key]} is Kubernetes {minor.group(1)}, the spec asks for "
                            f"{kubernetes}; `mlstack up --env {env}` (without --locked) upgrades it and locks the new version")
    return sorted(problems)
