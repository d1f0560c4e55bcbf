"""Generated specs of any size, for the scaling benchmark and the held-out plan sizes.

``write_stacks(dest, target, pools=N, teams=M)`` writes ``dest/stacks/{base,gen}.yaml``: the example base with
``N`` CPU node pools and ``M`` teams on ``target`` (aws, gcp or onprem), plus what the examples have beside them:
one A100 pool (so the GPU telemetry: DCGM exporter, the dashboard, and on AWS managed Prometheus), a scratch
tier (FSx for Lustre, Managed Lustre, an NFS export) and, on AWS, Karpenter with capacity fallbacks. The spec is
valid by construction; the benchmark fails loudly if mlstack refuses it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

_TARGETS = {
    "aws": {"cloud": "aws", "region": "us-west-2"},
    "gcp": {"cloud": "gcp", "region": "us-central1", "project_id": "acme-ml-bench-1234"},
    "onprem": {"cloud": "onprem", "kube_context": "lab"},
}
_MACHINES = {"aws": "m6i.xlarge", "gcp": "n2-standard-4"}


_GPU_POOLS = {
    "aws": {"accelerator": "nvidia-a100-80gb", "gpus_per_node": 8, "min": 0, "max": 1, "capacity": ["spot", "on-demand"]},
    "gcp": {"accelerator": "nvidia-a100-80gb", "gpus_per_node": 8, "min": 0, "max": 1, "spot": True},
    "onprem": {"accelerator": "nvidia-a100-80gb", "gpus_per_node": 8, "selector": {"mlstack.io/accelerator": "nvidia-a100-80gb"}},
}
_SCRATCH = {  # the examples' scratch tiers
    "aws": {"size_gib": 2400, "throughput_mb_s_per_tib": 250},
    "gcp": {"size_gib": 9000, "throughput_mb_s_per_tib": 1000, "zone": "us-central1-a"},
    "onprem": {"nfs_server": "lustre-gw.lab.internal", "nfs_path": "/scratch", "size_gib": 10240},
}


def _pool(target: str, i: int) -> dict:
    if target == "onprem":
        return {"selector": {"mlstack.io/pool": f"p{i}"}}
    return {"machine": _MACHINES[target], "min": 0 if i else 2, "max": 4}


def spec_for(target: str, pools: int, teams: int) -> dict:
    """The overlay of a generated environment (it extends the example ``base.yaml``)."""
    doc: dict = {"extends": "base.yaml", "target": dict(_TARGETS[target]), "protect": False}
    doc["node_pools"] = {("system" if i == 0 else f"p{i}"): _pool(target, i) for i in range(max(pools, 1))}
    doc["node_pools"]["a100"] = dict(_GPU_POOLS[target])
    doc["teams"] = {f"t{i}": {"group": f"g{i}", "gpu_quota": 0} for i in range(max(teams, 1))}
    doc["storage"] = {"scratch": dict(_SCRATCH[target])}
    if target == "aws":
        doc["cluster"] = {"autoscaler": "karpenter"}
    if target == "onprem":
        doc["storage"]["shared"] = {"nfs_server": "nas.lab.internal", "nfs_path": "/exports/ml"}
    if target == "gcp":
        doc["storage"]["shared"] = {"size_gib": 1024, "tier": "BASIC_HDD"}
    return doc


def write_stacks(dest: Path, target: str, pools: int, teams: int, env: str = "gen") -> Path:
    """Writes ``dest/stacks`` (the example base plus the generated ``env``) and returns that folder."""
    stacks = dest / "stacks"
    stacks.mkdir(parents=True, exist_ok=True)
    base = yaml.safe_load((ROOT / "stacks" / "base.yaml").read_text(encoding="utf-8"))
    base["teams"] = {}  # the generated overlay names every team
    ci = base.get("ci") or {}
    ci.pop("teams", None)
    (stacks / "base.yaml").write_text(yaml.safe_dump(base, sort_keys=True), encoding="utf-8")
    overlay = spec_for(target, pools, teams)
    (stacks / f"{env}.yaml").write_text(yaml.safe_dump(overlay, sort_keys=True), encoding="utf-8")
    return stacks


def copy_examples(dest: Path) -> Path:
    """A copy of the example stacks (without locks) under ``dest/stacks``."""
    shutil.copytree(ROOT / "stacks", dest / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    return dest / "stacks"
