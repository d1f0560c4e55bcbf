"""`mlstack diff` over several environments against separate `mlstack plan` runs. Figures, not a timed test.

Printed (each against the sum of N separate cold `mlstack plan` runs):
- `diff --env a --env b --env c`, cold (no plan cache): one process, the plans recorded in forked workers on
  both cores. Target < 0.6x.
- `diff --base HEAD` over the same environments where one spec changed since HEAD, cold. Target < 0.6x.
- the same `diff --base HEAD` with a warm plan cache (the pull request's next push: every base plan and every
  unchanged head was planned by the previous run). Target < 0.4x.

Environments: the first three example stacks, or with `--teams N` three generated AWS environments of N teams
each (the held-out size: `--teams 200`). Run: `python benchmarks/bench_diff.py [--teams 200] [--env E ...]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import MLSTACK, compile_bytecode, run_child  # noqa: E402
from specgen import copy_examples, write_stacks  # noqa: E402


def _git_commit(work: Path) -> None:
    git = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "stacks"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=work, check=True)


def _envs(work: Path, teams: int | None, wanted: list[str] | None) -> list[str]:
    if teams:
        for env in ("dev", "staging", "prod"):
            write_stacks(work, "aws", pools=2, teams=teams, env=env)
        return ["dev", "staging", "prod"]
    stacks = copy_examples(work)
    envs = sorted(p.stem for p in stacks.glob("*.yaml") if p.stem != "base")
    return wanted or envs[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", action="append", help="an environment to diff (default: the first three)")
    parser.add_argument("--teams", type=int, help="three generated AWS environments of this many teams")
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="mlstack-bench-") as tmp:
        work = Path(tmp)
        envs = _envs(work, args.teams, args.env)
        _git_commit(work)
        cli = [*MLSTACK, "--stacks-dir", str(work / "stacks")]
        cold = [*cli, "--no-plan-cache"]
        env_args = [a for e in envs for a in ("--env", e)]
        plans = [run_child([*cold, "plan", "--env", e, "--format", "json"], cwd=work) for e in envs]
        side = run_child([*cold, "diff", *env_args, "--format", "json"], cwd=work)
        spec = work / "stacks" / f"{envs[-1]}.yaml"
        spec.write_text(spec.read_text(encoding="utf-8") + "\ntags: {bench: changed}\n", encoding="utf-8")
        base_cold = run_child([*cold, "diff", "--base", "HEAD", *env_args, "--format", "markdown"], cwd=work)
        run_child([*cli, "diff", "--base", "HEAD", *env_args, "--format", "markdown"], cwd=work)  # warms the cache
        spec.write_text(spec.read_text(encoding="utf-8").replace("bench: changed", "bench: changed-again"), encoding="utf-8")
        base_warm = run_child([*cli, "diff", "--base", "HEAD", *env_args, "--format", "markdown"], cwd=work)
    total = sum(p.wall for p in plans)
    print(f"environments: {', '.join(envs)}" + (f" ({args.teams} teams each)" if args.teams else ""))
    for e, p in zip(envs, plans, strict=True):
        print(f"  mlstack plan --env {e:<12} {p.wall:6.2f} s  ({p.cpu:.2f} s CPU, {p.rss_mib:.0f} MiB)")
    print(f"{len(envs)} separate plans:                    {total:6.2f} s")
    rows = [("diff --env (cold)", side, 0.6), ("diff --base HEAD (cold)", base_cold, 0.6),
            ("diff --base HEAD (warm cache)", base_warm, 0.4)]
    for name, run, target in rows:
        ratio = run.wall / total
        verdict = "PASS" if ratio < target else "FAIL"
        print(f"{verdict}  {name:<30} {run.wall:6.2f} s ({run.cpu:.2f} s CPU, {run.rss_mib:.0f} MiB)  "
              f"{ratio:.2f}x (target < {target}x)")


if __name__ == "__main__":
    main()
