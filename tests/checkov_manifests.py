"""Writes the Kubernetes objects of the four example plans, locked with a fixture lock (every image by digest),
as one multi-document YAML file per environment, for Checkov's Kubernetes checks (`.ci/run`'s checkov step).

    python -m tests.checkov_manifests OUTDIR

Objects only: Helm releases are charts, not manifests (no Helm here to render them), so their contents are not
checked here. Secret values are masked in a plan and stay masked.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import yaml

ENVS = ("staging", "prod", "gcp-staging", "onprem")
ROOT = Path(__file__).resolve().parents[1]


def fixture_digest(ref: str) -> str:
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


def locked_manifests(env: str) -> list[dict]:
    """The manifests of ``env``'s plan under a lock that pins every image it names."""
    from mlstack.engine.deploy.pinning import plan_images, unpinned
    from tests.example_plans import example_plan
    from tests.k8s_checks import manifests

    plan = example_plan(env, {ref: fixture_digest(ref) for ref in plan_images(example_plan(env))})
    assert unpinned(plan) == [], unpinned(plan)
    return [manifest for _, manifest in manifests(plan.resources)]


def main(argv: list[str]) -> int:
    from mlstack.fsio import atomic_write

    out = Path(argv[0]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for env in ENVS:
        atomic_write(out / f"{env}.yaml", yaml.safe_dump_all(locked_manifests(env), sort_keys=True), root=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
