"""Review commands: diff (against a git ref or between environments), parity, check (policy), cost.

Exit codes: 0 fine; 3 a gate given with --fail-on failed (EXIT_GATE); 1 an engine error; 2 usage or spec errors.
``diff --fail-on mandatory`` also fails on blocking changes (deleting or replacing a protected resource).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.cmd_spec import EnvOption, env_name
from mlstack.cli.context import STATE
from mlstack.cli.params import choice

EnvsOption = Annotated[
    list[str] | None,
    typer.Option("--env", "-e", callback=env_name, help="Environment (repeat for several): stacks/<env>.yaml. Default: every environment."),
]


class DiffFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


class TableFormat(str, Enum):
    table = "table"
    json = "json"


class DiffGate(str, Enum):
    mandatory = "mandatory"
    replace = "replace"
    delete = "delete"


class CheckGate(str, Enum):
    mandatory = "mandatory"
    advisory = "advisory"


def _warn_unused_waivers(policy, spec_file: str) -> None:  # noqa: ANN001 - PolicyReport, imported lazily
    from mlstack.cli.output import err

    for r in policy.unused_waivers:
        err(f"warning: {spec_file}: waivers.{r.rule.id} is unused: the rule is about {r.rule.cloud}, "
            f"the environment {policy.env} runs elsewhere (remove the waiver)")


def _write(text: str, output: Path | None = None) -> None:
    if output is not None:
        from mlstack.cli.output import err
        from mlstack.fsio import atomic_write

        atomic_write(output, text, outside_ok=True)  # the user named the path

        err(f"wrote {output}")
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def _envs(envs: list[str] | None) -> list[str]:
    from mlstack.errors import UsageError
    from mlstack.spec import list_envs

    chosen = list(dict.fromkeys(envs or list_envs(STATE.stacks_dir)))
    if not chosen:
        raise UsageError(f"no environments in {STATE.stacks_dir}")
    return chosen


def diff(
    base: Annotated[str | None, typer.Option("--base", help="Git ref to compare the working tree's specs against.")] = None,
    env: EnvsOption = None,
    format: Annotated[
        DiffFormat, typer.Option("--format", "-f", parser=choice(DiffFormat), help="text, markdown (one PR comment) or json.")
    ] = DiffFormat.text,
    fail_on: Annotated[
        list[DiffGate] | None,
        typer.Option("--fail-on", parser=choice(DiffGate),
                     help="Exit 3 when: mandatory (a mandatory policy violation, or deleting/replacing a protected "
                          "resource), replace, delete. Repeatable."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
) -> int:
    """Plan diff: each environment at --base REF against the working tree, or two or more environments side by side.

    With --base, the spec files come from REF (read with git, the working tree is not touched) and the mlstack
    code that plans them is the working tree's. Without --base, the first --env is compared with each other one.
    Either way the report shows lock drift: every digest and version two locks (at REF and in the tree, or of two
    environments) pin differently.
    """
    from mlstack.cli.output import err
    from mlstack.engine.review import report

    if base is not None:
        review = report.review_ref(list(dict.fromkeys(env)) if env else None, STATE.stacks_dir, base)
    else:
        from mlstack.errors import UsageError

        if not env or len(env) < 2:
            raise UsageError("give --base REF (diff against git) or at least two --env (compare environments)")
        review = report.review_envs(_envs(env), STATE.stacks_dir)
    for e in review.entries:
        _warn_unused_waivers(e.policy, f"{e.policy.env}.yaml")
    if format is DiffFormat.json:
        _write(report.render_json(review), output)
    elif format is DiffFormat.markdown:
        _write(report.render_markdown(review), output)
    else:
        _write(report.render_text(review), output)
    failures = report.gate_failures(review, [g.value for g in fail_on or []])  # type: ignore[misc]
    for line in failures:
        err(f"gate failed: {line}")
    from mlstack.errors import EXIT_GATE

    return EXIT_GATE if failures else 0


def parity(
    env: EnvsOption = None,
    format: Annotated[TableFormat, typer.Option("--format", "-f", parser=choice(TableFormat), help="table or json.")] = TableFormat.table,
) -> None:
    """Per capability, what each environment provides: native, emulated (in-cluster substitute) or missing."""
    import json

    from mlstack.engine.review.parity import parity as build
    from mlstack.engine.review.parity import render_text
    from mlstack.engine.review.planning import plan_envs

    plans = plan_envs(_envs(env), STATE.stacks_dir)
    result = build(plans)
    if format is TableFormat.json:
        _write(json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n")
    else:
        _write(render_text(result))


def check(
    env: EnvOption,
    format: Annotated[TableFormat, typer.Option("--format", "-f", parser=choice(TableFormat), help="table or json.")] = TableFormat.table,
    fail_on: Annotated[
        CheckGate | None,
        typer.Option("--fail-on", parser=choice(CheckGate), help="Exit 3 on mandatory violations, or on any (advisory)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Judge support windows on this date (default: today, UTC)."),
    ] = None,
) -> int:
    """Policy check of an environment's plan, and the support windows of the versions it runs (its lock's when
    it has one): mandatory in protected environments, advisory elsewhere."""
    import json

    from mlstack.cli.output import err
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.engine.review.policy import check_plan, validate_waivers
    from mlstack.spec import load_spec, spec_path

    today = _as_of_date(as_of)
    path = spec_path(env, STATE.stacks_dir)
    spec = load_spec(env, STATE.stacks_dir)
    validate_waivers(spec.waivers, path)
    result = check_plan(plan_spec(spec), protected=spec.protected, waivers=spec.waivers)
    support, origin = _support(spec, today)
    _warn_unused_waivers(result, str(path))
    if format is TableFormat.json:
        data = result.to_dict()
        data["support"] = {"as_of": today.isoformat(), "versions_from": origin, "findings": [f.to_dict() for f in support]}
        _write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    else:
        _write(render_check(result) + render_support(support, today, origin))
    bad = [r.rule.id for r in (result.violations("mandatory") if fail_on is CheckGate.mandatory else result.violations() if fail_on else [])]
    bad += [f.subject for f in support if f.violation and fail_on and (fail_on is CheckGate.advisory or f.level == "mandatory")]
    if bad:
        from mlstack.errors import EXIT_GATE

        err(f"gate failed: --fail-on {fail_on.value}: {len(bad)} rule(s) violated: {', '.join(bad)}")  # type: ignore[union-attr]
        return EXIT_GATE
    return 0


def _as_of_date(as_of: str | None):  # noqa: ANN202 - datetime.date, imported lazily
    import datetime as dt

    from mlstack.errors import UsageError

    if as_of is None:
        return dt.datetime.now(dt.timezone.utc).date()
    try:
        return dt.date.fromisoformat(as_of)
    except ValueError:
        raise UsageError(f"--as-of {as_of!r}: expected a date YYYY-MM-DD, e.g. --as-of 2027-03-01") from None


def _support(spec, today):  # noqa: ANN001, ANN202 - Spec and date, imported lazily
    """The support findings of the versions the environment runs: the lock's, else the spec's resolved ones."""
    from mlstack.catalog import load_catalog
    from mlstack.catalog.support import support_findings
    from mlstack.engine.deploy.lock import lock_path, read_lock
    from mlstack.engine.plan.versions import resolved_versions

    lock = read_lock(lock_path(spec.env, STATE.stacks_dir), spec.project, spec.env)
    versions, origin = (lock["versions"], "lock") if lock else (resolved_versions(spec), "spec")
    findings = support_findings(load_catalog(), spec.target.cloud, versions, protected=spec.protected, today=today)
    return findings, origin


def render_support(findings, today, origin: str) -> str:  # noqa: ANN001 - SupportFinding list and date
    lines = [f"Support windows on {today.isoformat()} (versions from the {origin}):"]
    if not findings:
        lines.append("  none recorded for this target")
    for f in findings:
        mark = {"supported": "OK", "ending": "ENDING", "ended": "ENDED", "unknown": "UNKNOWN", "outdated": "NEWER"}[f.status]
        lines.append(f"  {mark:<8}{f.level:<10}{f.subject}: {f.message}")
    return "\n" + "\n".join(lines) + "\n"


def render_check(result) -> str:  # noqa: ANN001 - PolicyReport, imported lazily
    level = "mandatory" if result.protected else "advisory"
    lines = [f"Policy check of {result.env} ({'protected' if result.protected else 'not protected'}: rules are {level})"]
    for r in result.results:
        mark = {"pass": "PASS", "fail": "FAIL", "waived": "WAIVED", "n/a": "n/a"}[r.status]
        lines.append(f"  {mark:<7}{r.rule.id:<13}{r.level:<10}{r.rule.title}  [{', '.join(r.rule.refs)}]")
        for f in r.findings:
            lines.append(f"           {f.resource} ({f.type}): {f.message}")
        if r.status == "waived":
            lines.append(f"           waived: {r.waiver}")
        elif r.waiver_unused:
            lines.append(f"           not applicable (waiver unused): {r.waiver}")
    c = result.counts()
    unused = len(result.unused_waivers)
    lines.append("")
    lines.append(f"{c['pass']} passed, {c['fail']} failed ({c['mandatory_violations']} mandatory, "
                 f"{c['advisory_violations']} advisory), {c['waived']} waived, {c['n/a']} not applicable"
                 + (f" ({unused} with an unused waiver)" if unused else ""))
    return "\n".join(lines) + "\n"


def cost(
    env: EnvOption,
    format: Annotated[TableFormat, typer.Option("--format", "-f", parser=choice(TableFormat), help="table or json.")] = TableFormat.table,
) -> None:
    """Cost estimate per node pool (at min and max) and always-on parts, from the dated price table."""
    import json

    from mlstack.engine.review.cost import estimate, render_text
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec

    spec = load_spec(env, STATE.stacks_dir)
    result = estimate(plan_spec(spec), shared_storage_gib=spec.storage.shared.size_gib if spec.storage.shared else None)
    if format is TableFormat.json:
        _write(json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n")
    else:
        _write(render_text(result))


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
    app.command()(diff)
    app.command()(parity)
    app.command()(check)
    app.command()(cost)
