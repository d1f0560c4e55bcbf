"""`mlstack diff` over three environments against three separate `mlstack plan` runs, as a ratio from one run.

The diff plans every environment in one process (each cloud SDK imported once); separate plan runs pay the
imports three times. Target: the diff under 0.6x the three plans. Figures, not pass/fail.

Two diff figures are printed:
- `diff --env a --env b --env c` (environments side by side: three plans in one process);
- `diff --base HEAD` over the same three environments in a throwaway git repository where one environment's
  spec changed since HEAD (the pull-request case: four plans, since an unchanged spec's base plan is its head
  plan).

The three environments are the example stacks; when fewer than three exist, staging is copied as `dev`.
Run: `python benchmarks/bench_diff.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MLSTACK = [PY, "-c", "import sys; from mlstack.cli import run; sys.argv[0] = 'mlstack'; run()"]


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*MLSTACK, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"mlstack {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return elapsed


def stacks_with_three_envs(into: Path, wanted: list[str] | None = None) -> list[str]:
    shutil.copytree(ROOT / "stacks", into / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    envs = sorted(p.stem for p in (into / "stacks").glob("*.yaml") if p.stem != "base")
    if len(envs) < 3:
        shutil.copy(into / "stacks" / "staging.yaml", into / "stacks" / "dev.yaml")
        envs = sorted([*envs, "dev"])
    git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], cwd=into, check=True)
    subprocess.run([*git, "add", "stacks"], cwd=into, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=into, check=True)
    return wanted or envs[:3]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", action="append", help="an environment to diff (three times); default: the first three")
    wanted = parser.parse_args().env
    with tempfile.TemporaryDirectory(prefix="mlstack-bench-") as tmp:
        work = Path(tmp)
        envs = stacks_with_three_envs(work, wanted)
        stacks = ["--stacks-dir", str(work / "stacks")]
        env_args = [a for e in envs for a in ("--env", e)]
        plans = [timed([*stacks, "plan", "--env", e, "--format", "json"], work) for e in envs]
        side = timed([*stacks, "diff", *env_args, "--format", "json"], work)
        spec = work / "stacks" / f"{envs[-1]}.yaml"
        spec.write_text(spec.read_text(encoding="utf-8") + "\ntags: {bench: changed}\n", encoding="utf-8")
        base = timed([*stacks, "diff", "--base", "HEAD", *env_args, "--format", "markdown"], work)
    total = sum(plans)
    print(f"environments: {', '.join(envs)}")
    for e, t in zip(envs, plans):
        print(f"  mlstack plan --env {e:<10} {t:6.2f} s")
    print(f"three separate plans:              {total:6.2f} s")
    print(f"diff --env x3 (3 plans, 1 process): {side:6.2f} s  ratio {side / total:.2f}x (target < 0.6x)")
    print(f"diff --base HEAD x3 (4 plans):      {base:6.2f} s  ratio {base / total:.2f}x (target < 0.6x)")


if __name__ == "__main__":
    main()
