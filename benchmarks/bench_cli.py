"""CLI speed against its floors, as ratios from one run (not a timed test: figures, not pass/fail).

- `mlstack --help` against `python -c "import typer"` (target: under 1.5x).
- `mlstack plan --env staging` against a bare import of the SDK modules that plan loads (target: under 1.3x).
Peak memory (max RSS) is printed for each. Run: `python benchmarks/bench_cli.py [--env staging] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MLSTACK = [PY, "-c", "import sys; from mlstack.cli import run; sys.argv[0] = 'mlstack'; run()"]

_PROBE = """
import sys, json
from mlstack.cli import main
from contextlib import redirect_stdout
import io
with redirect_stdout(io.StringIO()):
    code = main(["plan", "--env", sys.argv[1], "--format", "json"])
mods = sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random", "google", "grpc"))
print(json.dumps({"code": code, "modules": mods}))
"""


def timed(cmd: list[str]) -> float:
    """Wall time of one run of ``cmd`` in a fresh child, seconds."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {proc.stderr.decode()[-400:]}")
    return elapsed


def peak_rss_mib(cmd: list[str]) -> float:
    """Runs ``cmd`` under /usr/bin/time-like accounting: max RSS of the child, MiB."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", code, *cmd], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return int(out.strip()) / 1024


def best(cmd: list[str], repeat: int) -> float:
    return min(timed(cmd) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="staging")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; the best is kept")
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")

    help_cmd = [*MLSTACK, "--help"]
    typer_floor = [PY, "-c", "import typer"]
    h, hf = best(help_cmd, args.repeat), best(typer_floor, args.repeat)

    probe = subprocess.run([PY, "-c", _PROBE, args.env], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = json.loads(probe.stdout.strip().splitlines()[-1])["modules"]
    floor_cmd = [PY, "-c", "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)", *modules]
    plan_cmd = [*MLSTACK, "plan", "--env", args.env, "--format", "json"]
    p, pf = best(plan_cmd, args.repeat), best(floor_cmd, args.repeat)

    rows = [
        ("mlstack --help", h, "python -c 'import typer'", hf, 1.5, peak_rss_mib(help_cmd)),
        (f"mlstack plan --env {args.env}", p, f"import of the {len(modules)} SDK modules it loads", pf, 1.3, peak_rss_mib(plan_cmd)),
    ]
    for name, t, floor_name, f, target, rss in rows:
        ratio = t / f
        verdict = "ok" if ratio < target else "OVER TARGET"
        print(f"{name}: {t * 1000:.0f} ms vs {floor_name}: {f * 1000:.0f} ms -> {ratio:.2f}x (target < {target}x, {verdict}); peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
