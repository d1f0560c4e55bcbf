"""How each stage of a plan grows with the spec: generated specs of 1 to 200 pools and 1 to 200 teams per target.

For every (target, axis, size) a fresh process loads the spec, records the plan, reviews it (cost and policy) and
compares it with the plan of the same spec under another environment name (``diff --env``: every name and mock id
differs, so the whole plan is normalised; the second plan's recording is not timed), and reports each stage's
(``import`` is the target's SDK classes, imported before ``record`` is timed: a fixed cost of about 2 s whose
run-to-run noise, a few hundred ms, would otherwise decide the growth check on the pools axis)
milliseconds, the resource count and the peak RSS. From those the benchmark prints ms and MiB per resource, and, per stage, the
marginal cost of a resource between the two larger sizes against that between the two smaller ones (fixed costs
such as the SDK import cancel out): a ratio above ``MAX_GROWTH`` means the stage grows faster than linearly, and
the benchmark exits 1.

Each size is measured ``--repeat`` times (default 3), each stage's median kept: on a shared 2-core machine one run
of a stage can be a third slower than the next. ``import`` is reported, not checked: it does not grow.

Run: ``python benchmarks/bench_scale.py [--target aws --target gcp --target onprem] [--sizes 1,50,200] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import PY, ROOT  # noqa: E402
from specgen import write_stacks  # noqa: E402

MAX_GROWTH = 1.5  # linear is 1.0; the margin absorbs timer noise on a shared machine
NOISE_S = 0.15  # differences below this are timer noise, not growth
STAGES = ("load", "import", "record", "review", "compare")
CHECKED = ("load", "record", "review", "compare")  # ``import`` is the SDK's fixed cost

_PROBE = r"""
import json, resource, sys, time
from pathlib import Path
stacks = Path(sys.argv[1])
t0 = time.process_time()
from mlstack.spec import load_spec
spec = load_spec("gen", stacks)
t1 = time.process_time()
from mlstack.engine.plan.planner import _preload, plan_spec
_preload({spec.target.cloud})  # the SDK classes: a fixed cost whose run-to-run noise would hide the growth
t1i = time.process_time()
plan = plan_spec(spec)
t2 = time.process_time()
from mlstack.engine.review.planning import with_review
with_review(plan, "gen", stacks)
t3 = time.process_time()
from mlstack.engine.review.envdiff import compare_envs
compare_envs(plan, plan)
t4 = time.process_time()
print(json.dumps({"resources": len(plan.resources), "load": t1 - t0, "import": t1i - t1, "record": t2 - t1i, "review": t3 - t2,
                  "compare": t4 - t3, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(target: str, pools: int, teams: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="mlstack-scale-") as tmp:
        stacks = write_stacks(Path(tmp), target, pools=pools, teams=teams)
        write_stacks(Path(tmp), target, pools=pools, teams=teams, env="gen2")
        code = "import gc; gc.disable()\n" + _PROBE  # as the one-shot CLI runs
        proc = subprocess.run([PY, "-c", code, str(stacks)], cwd=ROOT, capture_output=True, text=True, env=_env())
    if proc.returncode != 0:
        raise SystemExit(f"{target} pools={pools} teams={teams} failed:\n{proc.stderr[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    """Each stage's (and the peak RSS's) median over ``runs`` of one size."""
    import statistics

    return {**runs[0], **{k: statistics.median(r[k] for r in runs) for k in (*STAGES, "rss_mib")}}


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "MLSTACK_NO_PLAN_CACHE": "1"}


def growth(rows: list[dict], stage: str) -> float:
    """Marginal seconds per resource over the upper interval of sizes, over that of the lower one."""
    a, b, c = rows[0], rows[len(rows) // 2], rows[-1]
    if c[stage] - a[stage] < NOISE_S or b["resources"] == a["resources"] or c["resources"] == b["resources"]:
        return 1.0
    lower = max(b[stage] - a[stage], 0.0) / (b["resources"] - a["resources"])
    upper = max(c[stage] - b[stage], 0.0) / (c["resources"] - b["resources"])
    return upper / max(lower, NOISE_S / (c["resources"] - a["resources"]))


def slope(rows: list[dict], stage: str) -> float:
    """d log(seconds) / d log(resources) between the two largest sizes (1.0 is linear; fixed costs pull it down)."""
    import math

    b, c = rows[-2], rows[-1]
    if min(b[stage], c[stage]) <= 0 or c["resources"] == b["resources"]:
        return float("nan")
    return math.log(c[stage] / b[stage]) / math.log(c["resources"] / b["resources"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", choices=["aws", "gcp", "onprem"])
    parser.add_argument("--sizes", default="1,50,200")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; each stage's median is kept")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    failures = []
    for target in args.target or ["aws", "gcp", "onprem"]:
        for axis in ("pools", "teams"):
            rows = []
            for n in sizes:
                m = median_of([measure(target, pools=n if axis == "pools" else 1, teams=n if axis == "teams" else 1)
                               for _ in range(args.repeat)])
                rows.append(m)
                per = {s: m[s] * 1000 / m["resources"] for s in STAGES}
                print(f"{target:6} {axis}={n:<4} {m['resources']:5} resources  "
                      + "  ".join(f"{s} {m[s] * 1000:7.0f} ms ({per[s]:.2f}/res)" for s in STAGES)
                      + f"  peak {m['rss_mib']:.0f} MiB ({m['rss_mib'] / m['resources']:.3f}/res)", flush=True)
            for stage in CHECKED:
                k = growth(rows, stage)
                verdict = "linear" if k <= MAX_GROWTH else "SUPERLINEAR"
                print(f"       {axis} {stage}: marginal cost upper/lower {k:.2f} ({verdict}), "
                      f"log-log slope {slope(rows, stage):.2f} over the upper interval")
                if k > MAX_GROWTH:
                    failures.append(f"{target} {axis} {stage} x{k:.2f}")
    print("\nall stages linear" if not failures else "\nsuperlinear: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
