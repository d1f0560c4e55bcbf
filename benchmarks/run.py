"""Every speed goal of mlstack as a ratio against its floor, with pass/fail. Figures, not a timed test.

Each command and its floor run alternately (command, floor, command, floor, ...) so that a busy machine slows
both alike; the ratio is of medians, with the range of the command's runs beside it, and CPU time beside wall
time. Floors end in ``os._exit`` as mlstack does (see ``floors.py``).

Goals:
- ``mlstack --help``: under 1.5x ``import typer``.
- ``mlstack validate`` and ``mlstack schema``: under 1.5x importing typer, pydantic and the YAML libraries.
- ``mlstack plan`` on every example: under 1.3x the import of the SDK classes that plan's resources use.
- ``mlstack check``, ``cost`` and ``parity``: under 1.3x that floor too (a plan plus milliseconds).

Run: ``python benchmarks/run.py [--repeat 5] [--env staging ...] [--only cli|plans|commands] [--instructions]``;
exit status 1 when a goal is missed. ``--instructions`` runs each command and floor once under callgrind and
compares instructions executed instead of time: the same ratio on a busy machine as on an idle one (timings on
the team's 2-core virtual machine move by a quarter between runs of the same command).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from floors import (  # noqa: E402
    MLSTACK, PY, ROOT, Run, class_floor, compile_bytecode, import_floor, instructions, plan_json, plan_types,
    run_child,
)

EXAMPLES = ["staging", "prod", "gcp-staging", "onprem"]


@dataclass
class Row:
    name: str
    runs: list[Run]
    floor_name: str
    floor: list[Run]
    target: float
    goal: bool = True  # False: printed for context (INFO), not counted

    @property
    def verdict(self) -> str:
        return "INFO" if not self.goal else "PASS" if self.ratio < self.target else "FAIL"

    @property
    def ratio(self) -> float:
        return statistics.median(r.wall for r in self.runs) / statistics.median(r.wall for r in self.floor)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(r.cpu for r in self.runs) / statistics.median(r.cpu for r in self.floor)

    def line(self) -> str:
        walls = sorted(r.wall * 1000 for r in self.runs)
        return (f"{self.verdict}  {self.name}: {statistics.median(walls):.0f} ms ({walls[0]:.0f}-{walls[-1]:.0f}) vs "
                f"{self.floor_name}: {statistics.median(r.wall for r in self.floor) * 1000:.0f} ms -> "
                f"{self.ratio:.2f}x wall, {self.cpu_ratio:.2f}x CPU (target < {self.target}x); "
                f"peak RSS {max(r.rss_mib for r in self.runs):.0f} MiB")


@dataclass
class CountRow:
    """One goal measured in instructions executed (``--instructions``)."""

    name: str
    count: int
    floor_name: str
    floor: int
    target: float
    goal: bool = True

    ratio = property(lambda self: self.count / self.floor)
    verdict = Row.verdict

    def line(self) -> str:
        return (f"{self.verdict}  {self.name}: {self.count / 1e6:.0f} M instructions vs {self.floor_name}: "
                f"{self.floor / 1e6:.0f} M -> {self.ratio:.2f}x (target < {self.target}x)")


def interleaved(cmd: list[str], floor: list[str], repeat: int) -> tuple[list[Run], list[Run]]:
    """Runs ``cmd`` and ``floor`` alternately, once each to warm the file cache first."""
    run_child(cmd), run_child(floor)
    runs, floors = [], []
    for _ in range(repeat):
        runs.append(run_child(cmd))
        floors.append(run_child(floor))
    return runs, floors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command and of its floor")
    parser.add_argument("--env", action="append", help="example environments to plan (default: all four)")
    parser.add_argument("--instructions", action="store_true",
                        help="compare instructions executed (callgrind) instead of time: stable under load")
    parser.add_argument("--only", action="append", choices=["cli", "plans", "commands"],
                        help="measure only these groups: cli (--help, validate, schema), plans, commands (check, cost, parity)")
    args = parser.parse_args()
    os.environ.setdefault("NO_COLOR", "1")
    compile_bytecode()
    print(f"load average {os.getloadavg()[0]:.1f} at the start ({os.cpu_count()} cores)", flush=True)
    envs = args.env or EXAMPLES
    rows: list[Row | CountRow] = []
    counted: dict[tuple[str, ...], int] = {}

    def count(cmd: list[str]) -> int:
        if tuple(cmd) not in counted:
            counted[tuple(cmd)] = instructions(cmd)
        return counted[tuple(cmd)]

    def add(name: str, cmd: list[str], floor_name: str, floor: list[str], target: float, goal: bool = True) -> None:
        if args.instructions:
            rows.append(CountRow(name, count(cmd), floor_name, count(floor), target, goal))
        else:
            runs, floors = interleaved(cmd, floor, args.repeat)
            rows.append(Row(name, runs, floor_name, floors, target, goal))
        print(rows[-1].line(), flush=True)

    groups = set(args.only or ["cli", "plans", "commands"])
    if "cli" in groups:
        add("mlstack --help", [*MLSTACK, "--help"], "import typer", import_floor(["typer"]), 1.5)
        light = import_floor(["typer", "pydantic", "yaml", "ruamel.yaml"])
        add("mlstack validate --env staging", [*MLSTACK, "validate", "--env", "staging"],
            "import typer, pydantic, yaml", light, 1.5)
        add("mlstack schema", [*MLSTACK, "schema"], "import typer, pydantic, yaml", light, 1.5)
        # Not a goal: what any Typer 0.29 + pydantic command with validate's options costs, against the same floor.
        add("a bare Typer command with validate's options (typer_command.py)",
            [PY, str(ROOT / "benchmarks" / "typer_command.py"), "validate", "--env", "staging"],
            "import typer, pydantic, yaml", light, 1.5, goal=False)
        add("mlstack validate --env staging", [*MLSTACK, "validate", "--env", "staging"],
            "that bare Typer command", [PY, str(ROOT / "benchmarks" / "typer_command.py"), "validate", "--env", "staging"],
            1.5, goal=False)
    for env in envs if "plans" in groups else []:
        plan = plan_json(env)
        types = plan_types(env, plan=plan)
        floor = class_floor(types)
        # --no-plan-cache: a fresh plan, the first one of a change; a cached plan is far below any floor.
        add(f"mlstack plan --env {env}", [*MLSTACK, "--no-plan-cache", "plan", "--env", env, "--format", "json"],
            f"its SDK classes ({len(types)} types)", floor, 1.3)
        # Not a goal: what registering this plan costs in Pulumi's SDK alone after Typer's imports (an estimate).
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "plan.json").write_text(plan)
            add(f"{env}'s resources registered by Pulumi's generic classes after Typer's imports (sdk_replay.py)",
                [PY, str(ROOT / "benchmarks" / "sdk_replay.py"), str(Path(tmp) / "plan.json"), "--cli-libraries"],
                "its SDK classes", floor, 1.3, goal=False)
    staging_floor = class_floor(plan_types("staging")) if "commands" in groups else []
    for command in ("check", "cost", "parity") if "commands" in groups else ():
        add(f"mlstack {command} --env staging", [*MLSTACK, "--no-plan-cache", command, "--env", "staging"],
            "plan's SDK classes",
            staging_floor, 1.3)
    goals = [r for r in rows if r.goal]
    failed = [r.name for r in goals if r.ratio >= r.target]
    print(f"\ngoals met: {len(goals) - len(failed)} of {len(goals)}" + (f"; missed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
