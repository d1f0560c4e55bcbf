"""Malformed workload-layer fields (``workloads:``, teams' ``quotas:``): exact path, file:line:col, message and
fix; nothing registered."""

from __future__ import annotations

import textwrap
from pathlib import Path
from unittest import mock

import pytest

from mlstack.spec import SpecError, load_spec_file

BASE = textwrap.dedent(
    """\
    project: acme-ml
    target:
      cloud: aws
      region: us-west-2
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
      a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2, spot: true}
      l4: {accelerator: nvidia-l4, gpus_per_node: 4, min: 0, max: 1}
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
    workloads:
      borrowing_limit_percent: 50
      preemption: {reclaim_within_cohort: LowerPriority}
    teams:
      research: {group: research, quotas: {a100: 8, l4: 2}}
      vision: {group: vision, quotas: {l4: 2}}
    """
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "staging.yaml"
    path.write_text(text)
    return path


def _problems(path: Path) -> list:
    from mlstack.engine.review.planning import plan_env

    with mock.patch("mlstack.engine.plan.recorder.record") as record, pytest.raises(SpecError) as info:
        plan_env(path.stem, path.parent)
    assert record.call_count == 0
    return info.value.problems


def _where(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def test_base_is_valid(tmp_path):
    spec = load_spec_file(_write(tmp_path, BASE))
    assert spec.teams["research"].quotas == {"a100": 8, "l4": 2}
    assert spec.workloads.borrowing_limit_percent == 50
    assert spec.workloads.preemption.reclaim_within_cohort == "LowerPriority"
    assert spec.workloads.preemption.within_team == "LowerPriority"
    assert (spec.workloads.enabled, spec.workloads.jobset, spec.workloads.trainer, spec.workloads.kuberay) == (True, True, True, False)


CASES = [
    ("quota on an unknown pool", "quotas: {l4: 2}}", "quotas: {h100: 2}}", "teams.vision.quotas.h100", "h100",
     "no node pool 'h100': quotas are keyed by accelerator pool name (accelerator pools: a100, l4). Add the pool under node_pools, or remove this quota"),
    ("quota on a CPU pool", "quotas: {l4: 2}}", "quotas: {system: 2}}", "teams.vision.quotas.system", "system: 2",
     "pool 'system' has no accelerator; quotas: holds accelerators per pool (accelerator pools: a100, l4). A team's CPU and memory are cpu_quota and memory_quota_gib"),
    ("quota above the pool's max", "a100: 8, l4: 2", "a100: 24, l4: 2", "teams.research.quotas.a100", "a100: 24",
     "24 GPUs is more than pool 'a100' can ever provide (16 at its max: 2 x 8). Lower the quota or raise node_pools.a100.max"),
    ("teams' quotas above the pool's max", "quotas: {l4: 2}}", "quotas: {l4: 3}}", "teams.vision.quotas.l4", "l4: 3",
     "the teams' quotas on pool 'l4' add up to 5 GPUs, more than it can provide at its max (4); a nominal quota is a guarantee"),
    ("negative quota", "quotas: {l4: 2}}", "quotas: {l4: -2}}", "teams.vision.quotas.l4", "l4: -2", "must be >= 0, got -2"),
    ("quota as text", "quotas: {l4: 2}}", "quotas: {l4: two}}", "teams.vision.quotas.l4", "l4: two", "expected a whole number, got 'two'"),
    ("quotas as a list", "quotas: {l4: 2}}", "quotas: [l4]}", "teams.vision.quotas", "quotas: [l4]", "expected a mapping"),
    ("total disagrees with quotas", "{group: vision, quotas", "{group: vision, gpu_quota: 8, quotas", "teams.vision.gpu_quota", "gpu_quota: 8",
     "gpu_quota: 8 disagrees with the team's quotas on gpu pools (2). With quotas: the total is their sum; remove gpu_quota"),
    ("trainer without jobset", "  borrowing_limit_percent: 50\n", "  borrowing_limit_percent: 50\n  jobset: false\n", "workloads.trainer", "workloads",
     "Kubeflow Trainer runs every TrainJob as a JobSet: it needs jobset: true. Set jobset: true, or trainer: false"),
    ("borrowing above bounds", "borrowing_limit_percent: 50", "borrowing_limit_percent: 5000", "workloads.borrowing_limit_percent", "borrowing_limit_percent", "must be <= 1000, got 5000"),
    ("bad reclaim policy", "reclaim_within_cohort: LowerPriority", "reclaim_within_cohort: Always", "workloads.preemption.reclaim_within_cohort", "reclaim_within_cohort",
     "must be one of 'Never', 'LowerPriority' or 'Any', got 'Always'"),
    ("misspelt workloads field", "borrowing_limit_percent: 50", "borrowing_limit_pct: 50", "workloads.borrowing_limit_pct", "borrowing_limit_pct",
     "unknown field 'borrowing_limit_pct'. Did you mean 'borrowing_limit_percent'?"),
    ("timeout too short", "  borrowing_limit_percent: 50\n", "  borrowing_limit_percent: 50\n  pods_ready_timeout_seconds: 5\n", "workloads.pods_ready_timeout_seconds",
     "pods_ready_timeout_seconds", "must be >= 30, got 5"),
    ("multi_node on a machine without EFA", "l4: {accelerator: nvidia-l4, gpus_per_node: 4,", "l4: {accelerator: nvidia-l4, gpus_per_node: 4, multi_node: true,",
     "node_pools.l4.multi_node", "multi_node: true", "g6.12xlarge has no EFA (catalogue interconnect.aws; a machine the catalogue does not list counts as none); multi-node placement needs it"),
    ("multi_node on a CPU pool", "system: {machine: m6i.xlarge, min: 2, max: 4}", "system: {machine: m6i.xlarge, min: 2, max: 4, multi_node: true}",
     "node_pools.system.multi_node", "multi_node: true", "only for GPU and Trainium pools"),
    ("rdma_resource on aws", "  borrowing_limit_percent: 50\n", "  borrowing_limit_percent: 50\n  rdma_resource: rdma/ib\n", "workloads.rdma_resource",
     "rdma_resource", "only for onprem (an RDMA device plugin you run); on aws set node_pools.<pool>.multi_node instead"),
    ("rdma_resource not a resource name", "  borrowing_limit_percent: 50\n", "  borrowing_limit_percent: 50\n  rdma_resource: infiniband\n",
     "workloads.rdma_resource", "rdma_resource", "infiniband"),
    ("pool named like the CPU flavor", "  l4: {accelerator", "  any-node: {machine: m6i.large}\n  l4: {accelerator", "node_pools.any-node", "any-node",
     "'any-node' is the Kueue flavor for CPU and memory. Rename the pool"),
]


@pytest.mark.parametrize(("old", "new", "path", "anchor", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_workloads(tmp_path, old, new, path, anchor, message):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    problems = _problems(_write(tmp_path, text))
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in problems]}"
    assert message in matching[0].message
    assert matching[0].file.endswith("staging.yaml")
    assert (matching[0].line, matching[0].column) == _where(text, anchor)
