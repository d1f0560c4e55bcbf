"""Floors the benchmarks compare against, and the timing of one child process.

A plan's floor is the cheapest program that could print that plan: one that imports exactly the Pulumi SDK
classes the plan's resources use and then leaves with ``os._exit``, as ``mlstack`` does. A floor that lets the
interpreter tear down normally is about 1.4x slower than that and would hide a real gap, so every floor here
ends in ``os._exit``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MLSTACK = [PY, "-c", "import sys; from mlstack.cli import run; sys.argv[0] = 'mlstack'; run()"]

# The provider packages' Python names, by the first part of a type token.
_PACKAGES = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "kubernetes": "pulumi_kubernetes", "random": "pulumi_random"}


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU seconds, peak RSS in MiB."""

    wall: float
    cpu: float
    rss_mib: float


def run_child(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Runs ``cmd`` to completion, its output discarded; fails loudly when it fails."""
    import time

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[-6:])} failed ({proc.returncode}):\n{err.decode()[-800:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def instructions(cmd: list[str], cwd: Path = ROOT) -> int:
    """The instructions ``cmd`` executes (callgrind's ``Ir``, every thread): a count that does not move with the
    machine's load, for ratios on a shared or virtual machine whose timings vary by a quarter from run to run.
    Needs ``valgrind``; about 50x slower than a plain run."""
    import shutil
    import tempfile

    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[-6:])} failed under valgrind ({proc.returncode}):\n{proc.stderr[-800:]}")
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit("callgrind wrote no instruction total")


def compile_bytecode() -> None:
    """Writes mlstack's bytecode, as installing a wheel does (and a first run would, but with
    ``PYTHONDONTWRITEBYTECODE`` set every run compiles every module again, which no installed mlstack does):
    the floors' SDKs are compiled already, so mlstack must be too for the ratios to be fair."""
    import compileall

    for folder in ("mlstack", "components"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def class_of(token: str) -> tuple[str, str] | None:
    """The (module, class) of the Python SDK class that registers a resource of type ``token``.

    ``aws:ec2/vpc:Vpc`` -> (``pulumi_aws.ec2``, ``Vpc``); ``kubernetes:apps/v1:Deployment`` ->
    (``pulumi_kubernetes.apps.v1``, ``Deployment``); a Kubernetes kind no SDK module has is a CustomResource;
    ``pulumi:providers:aws`` -> (``pulumi_aws``, ``Provider``). Component tokens (``mlstack:...``) have none.
    """
    head, _, rest = token.partition(":")
    if head == "pulumi" and rest.startswith("providers:"):
        package = _PACKAGES.get(rest.removeprefix("providers:"))
        return (package, "Provider") if package else None
    package = _PACKAGES.get(head)
    if package is None:
        return None
    module_part, _, cls = rest.partition(":")
    if head == "kubernetes":
        group, _, version = module_part.partition("/")
        candidate = f"{package}.{group.split('.')[0]}.{version}"
        if _has(candidate, cls):
            return candidate, cls
        return f"{package}.apiextensions", "CustomResource"
    module = module_part.split("/")[0]
    return (package, cls) if module == "index" else (f"{package}.{module}", cls)


def _has(module: str, cls: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), cls)
    except ImportError:
        return False


def plan_json(env: str, cwd: Path = ROOT) -> str:
    """``mlstack plan --env env --format json``, as printed."""
    return subprocess.run([*MLSTACK, "plan", "--env", env, "--format", "json"], cwd=cwd, capture_output=True,
                          text=True, check=True).stdout


def plan_types(env: str, cwd: Path = ROOT, plan: str | None = None) -> list[str]:
    """The resource type tokens of ``mlstack plan --env env`` (of ``plan``, its JSON, when given)."""
    return sorted({r["type"] for r in json.loads(plan or plan_json(env, cwd))["resources"]})


def class_floor(types: list[str]) -> list[str]:
    """A command importing exactly the SDK classes behind ``types`` (and ``pulumi`` itself), then ``os._exit``."""
    classes = sorted({c for t in types if (c := class_of(t)) is not None})
    lines = ["import os, importlib", "import pulumi, pulumi.runtime"]
    lines += [f"getattr(importlib.import_module({m!r}), {c!r})" for m, c in classes]
    lines.append("os._exit(0)")
    return [PY, "-c", "\n".join(lines)]


def import_floor(modules: list[str]) -> list[str]:
    """A command importing ``modules``, then ``os._exit`` (the floor of the commands that plan nothing)."""
    return [PY, "-c", "import os\n" + "".join(f"import {m}\n" for m in modules) + "os._exit(0)"]
