"""What ``mlstack verify`` prints: every check of every verification run, as text or JSON."""

from __future__ import annotations

from typing import Any

from mlstack.engine.deploy.verify import VerifyResult


def _runs(namespace: str, result: VerifyResult) -> str:
    return ", ".join(f"{namespace}/{r.job}" for r in result.runs)


def text_report(env: str, namespace: str, result: VerifyResult) -> list[str]:
    """One line per check, then the verdict; on failure each failed run's pod log."""
    lines = [f"  {'PASS' if c.passed else 'FAIL'}  {c.name}{'  ' + c.detail if c.detail else ''}" for c in result.checks]
    if result.ok:
        return [*lines, f"{env}: all {len(result.checks)} checks passed ({_runs(namespace, result)})"]
    for run in result.runs:
        if not run.ok:
            lines.append(f"pod log of {namespace}/{run.job}:")
            lines += [f"  | {line}" for line in run.log.splitlines()]
    return lines


def json_report(env: str, namespace: str, result: VerifyResult) -> dict[str, Any]:
    """The report as data: the main run's ``job`` and the overall ``state``, every check (with the run it came
    from and its GPU pool, or null), every run; ``log`` (the failed runs' logs) when it failed."""
    failed = [r for r in result.runs if not r.ok]
    states = [r.state for r in result.runs if r.state != "succeeded"]
    report: dict[str, Any] = {
        "env": env, "namespace": namespace, "job": result.runs[0].job, "state": states[0] if states else "succeeded",
        "ok": result.ok,
        "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail, "pool": c.pool, "job": r.job,
                    "figures": {k: {"value": f.value, "unit": f.unit} for k, f in sorted(c.figures.items())}}
                   for r in result.runs for c in r.checks],
        "runs": [{"template": r.template, "job": r.job, "state": r.state, "ok": r.ok, "checks": len(r.checks)}
                 for r in result.runs],
    }
    if failed:
        report["log"] = "".join(r.log for r in failed)
    return report
