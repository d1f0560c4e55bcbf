"""Validation time against spec size, up to the loader's limits (figures, not pass/fail).

For each shape (many tags, many node pools, many teams, an overlay of many keys over its base, aliases) it
writes specs of growing size, times ``load_spec_file`` (best of ``--repeat``, in-process, catalogue warm) and
prints microseconds per value: flat across a row means linear. The largest size of each shape sits just under a
limit of ``mlstack.spec.yaml_loader.LIMITS`` (10,000 keys per mapping, 100,000 values, 1 MiB).

Run: ``python benchmarks/bench_validate.py [--repeat 3]``. Noisy on a shared machine: compare the per-value
column within one run, not across runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HEAD = """project: acme-ml
target: {cloud: aws, region: us-west-2}
storage:
  shared: {size_gib: 1024}
  buckets: {datasets: {}, artifacts: {}}
"""
POOLS = "node_pools:\n  system: {machine: m6i.xlarge, min: 2, max: 4}\n"


def tags(n: int) -> dict[str, str]:
    return {"staging.yaml": HEAD + POOLS + "tags:\n" + "".join(f"  key-{i}: value-{i}\n" for i in range(n))}


def pools(n: int) -> dict[str, str]:
    body = "".join(f"  p{i}: {{machine: m6i.xlarge, min: 1, max: 3, labels: {{tier: t{i}}}}}\n" for i in range(n))
    return {"staging.yaml": HEAD + POOLS + body}


def teams(n: int) -> dict[str, str]:
    body = "".join(f"  t{i}: {{group: g{i}, cpu_quota: 8, egress_cidrs: [10.{i % 250}.0.0/16]}}\n" for i in range(n))
    return {"staging.yaml": HEAD + POOLS + "teams:\n" + body}


def overlay(n: int) -> dict[str, str]:
    base = HEAD + POOLS + "tags:\n" + "".join(f"  key-{i}: base\n" for i in range(n))
    over = "extends: base.yaml\ntags:\n" + "".join(f"  key-{i}: overlay\n" for i in range(n))
    return {"base.yaml": base, "staging.yaml": over}


def aliases(n: int) -> dict[str, str]:
    anchor = "x-labels: &labels {a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '8'}\n"
    body = "".join(f"  p{i}: {{machine: m6i.xlarge, min: 1, max: 2, labels: *labels}}\n" for i in range(n))
    return {"staging.yaml": anchor + HEAD + POOLS + body}


SHAPES: dict[str, tuple[Callable[[int], dict[str, str]], list[int], int]] = {
    # name: (files of size n, sizes, values per n)
    "tags": (tags, [100, 1_000, 3_000, 9_900], 1),
    "node pools": (pools, [100, 1_000, 3_000, 9_900], 5),
    "teams": (teams, [100, 1_000, 3_000, 9_900], 5),
    "overlay": (overlay, [100, 1_000, 3_000, 9_900], 2),
    "aliases": (aliases, [100, 300, 990], 12),
}


def best(files: dict[str, str], repeat: int) -> float:
    from mlstack.spec import SpecError, load_spec_file

    with tempfile.TemporaryDirectory(prefix="mlstack-bench-") as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                load_spec_file(Path(tmp) / "staging.yaml")
            except SpecError:
                pass  # pool and bucket names may hit rules at large sizes; the cost is what is measured
            times.append(time.perf_counter() - start)
        return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best(tags(10), 1)  # warm the catalogue and the imports
    print(f"{'shape':<11} {'n':>6} {'bytes':>9} {'ms':>9} {'us/value':>9}")
    for name, (make, sizes, per) in SHAPES.items():
        for n in sizes:
            files = make(n)
            seconds = best(files, args.repeat)
            size = sum(len(t) for t in files.values())
            print(f"{name:<11} {n:>6} {size:>9,} {seconds * 1000:>9.1f} {seconds * 1e6 / (n * per):>9.2f}")


if __name__ == "__main__":
    main()
