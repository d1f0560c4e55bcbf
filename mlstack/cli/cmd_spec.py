"""Commands over one spec: validate, plan, schema."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.context import STATE
from mlstack.cli.params import ReportFormat, choice


def env_name(value: str | list[str] | None) -> str | list[str] | None:
    """Option callback: an environment is a name, not a path (``--env ../x`` is a usage error, exit 2)."""
    if value is None:
        return None
    from mlstack.spec.names import check_env_name

    return [check_env_name(v) for v in value] if isinstance(value, list) else check_env_name(value)


def env_flag(flag: str):  # noqa: ANN201 - a Typer callback
    def check(value: str | None) -> str | None:
        from mlstack.spec.names import check_env_name

        return None if value is None else check_env_name(value, flag)

    return check


def complete_env(incomplete: str) -> list[str]:
    """Shell completion of --env: the environments of the stacks folder (found from a subdirectory too: the
    shell's words are parsed without ``main``, which would otherwise find it)."""
    from mlstack.cli.argv import find_stacks_dir
    from mlstack.spec import list_envs

    stacks = STATE.stacks_dir if STATE.stacks_dir.is_dir() else (find_stacks_dir(Path.cwd()) or STATE.stacks_dir)
    return [e for e in list_envs(stacks) if e.startswith(incomplete)]


EnvOption = Annotated[
    str,
    typer.Option("--env", "-e", envvar="MLSTACK_ENV", callback=env_name, autocompletion=complete_env,
                 help="Environment: stacks/<env>.yaml."),
]


class PlanFormat(str, Enum):
    table = "table"
    json = "json"


FormatOption = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", parser=choice(ReportFormat),
                 help="text or json (one JSON document on stdout; a failure still exits non-zero)."),
]


def _load_and_check(env: str):  # noqa: ANN202 - a Spec, imported lazily
    """The spec, or one SpecError with every problem `plan`, `check`, `cost`, `diff` or `up` would reject it for:
    the spec's own (types, cross-field rules, the catalogue) and its policy waivers (unknown rules, no reason)."""
    from mlstack.spec import SpecError, load_spec, spec_path

    path = spec_path(env, STATE.stacks_dir)
    problems = []
    spec = None
    try:
        spec = load_spec(env, STATE.stacks_dir)
        waivers = spec.waivers
    except SpecError as exc:
        problems += exc.problems
        waivers = _raw_waivers(path)
    try:
        if waivers:  # the rule registry imports every pack's rules: only a spec that waives some needs it
            from mlstack.engine.review.policy import validate_waivers

            validate_waivers(waivers, path)
    except SpecError as exc:
        seen = {p.path for p in problems}  # the spec layer already says what it checks itself (a missing reason)
        problems += [p for p in exc.problems if p.path not in seen]
    if problems:
        raise SpecError(problems)
    return spec


def _raw_waivers(path: Path) -> dict[str, str]:
    """The waivers block as written, when the spec as a whole did not validate (its problems are reported too)."""
    from mlstack.spec import SpecError
    from mlstack.spec.yaml_loader import load_with_extends

    try:
        data = load_with_extends(path).data.get("waivers")
    except SpecError:
        return {}
    # A value that is not text is already a type problem of the spec: only text waivers are checked here.
    return {str(k): v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def validate(env: EnvOption, format: FormatOption = ReportFormat.text) -> None:
    """Validate stacks/<env>.yaml: every problem at once (policy waivers too), with file, line and field path."""
    import json

    from mlstack.cli.output import echo
    from mlstack.spec import SpecError

    file = str(STATE.stacks_dir / (env + ".yaml"))
    try:
        spec = _load_and_check(env)
    except SpecError as exc:
        if format is ReportFormat.json:
            problems = [{"file": p.file, "line": p.line, "column": p.column, "path": p.path, "message": p.message}
                        for p in exc.problems]
            sys.stdout.write(json.dumps({"env": env, "file": file, "valid": False, "problems": problems},
                                        indent=2, sort_keys=True) + "\n")
        raise
    from mlstack.spec.notices import env_warnings

    warnings = env_warnings(env, STATE.stacks_dir, spec)
    if format is ReportFormat.json:
        report = {"env": env, "file": file, "valid": True, "problems": [], "cloud": spec.target.cloud,
                  "node_pools": sorted(spec.node_pools), "protect": spec.protected}
        if warnings:
            report["warnings"] = [w.to_dict() for w in warnings]
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return
    print_warnings(warnings)
    echo(f"{file}: valid ({spec.target.cloud}, {len(spec.node_pools)} node pools, "
         f"protect {'on' if spec.protected else 'off'})")


def print_warnings(warnings: list) -> None:  # list[SpecWarning], imported lazily
    """Each warning (``mlstack.spec.notices``) on stderr as ``warning: file:line:col: path: message``."""
    from mlstack.escape import printable

    for w in warnings:
        sys.stderr.write(f"warning: {printable(w.text(), 2400)}\n")


def plan(
    env: EnvOption,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", parser=choice(PlanFormat), help="table or json.")] = PlanFormat.table,
) -> None:
    """Plan an environment offline: no credentials, no Pulumi CLI. Shows every resource `up` would create; with
    stacks/<env>.lock.json, images by the digests and the cloud versions it locked (as `up --locked` deploys them)."""
    from mlstack.cli.render import plan_json, plan_table
    from mlstack.engine.deploy.lock import env_lock
    from mlstack.engine.review.planning import load_checked, plan_spec

    from mlstack.spec.notices import env_warnings

    spec = load_checked(env, STATE.stacks_dir)  # once: the lock's check and the review below read the same spec
    lock = env_lock(env, STATE.stacks_dir, spec.project)
    result = plan_spec(spec, lock.get("images"), lock.get("platform"))
    print_warnings(env_warnings(env, STATE.stacks_dir, spec))
    if format is PlanFormat.json:
        from mlstack.engine.review.planning import with_review

        sys.stdout.write(plan_json(with_review(result, env, STATE.stacks_dir, spec)))
    else:
        plan_table(result)


class SchemaKind(str, Enum):
    spec = "spec"
    stack_file = "stack-file"


def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (e.g. schema/spec.schema.json) instead of stdout.")
    ] = None,
    kind: Annotated[
        SchemaKind,
        typer.Option("--kind", parser=choice(SchemaKind),
                     help="spec: a merged spec (default); stack-file: one stacks/*.yaml as written, a base or an overlay "
                          "(what editors should use)."),
    ] = SchemaKind.spec,
) -> None:
    """Print (or write) a JSON Schema, for editors: `# yaml-language-server: $schema=../schema/stack-file.schema.json`."""
    from mlstack.cli.output import echo
    from mlstack.spec.schema import schema_text

    text = schema_text(kind.value)
    if output is None:
        sys.stdout.write(text)
        return
    from mlstack.fsio import atomic_write

    atomic_write(output, text, outside_ok=True)  # the user named the path
    echo(f"wrote {output}")


def reference(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (docs/spec-reference.md) instead of stdout.")
    ] = None,
) -> None:
    """Print (or write) the spec reference, generated from the models: every field, its type, default,
    behaviour and an example (Markdown; the repository keeps it as docs/spec-reference.md)."""
    from mlstack.cli.output import echo
    from mlstack.spec.reference import reference_text

    text = reference_text()
    if output is None:
        sys.stdout.write(text)
        return
    from mlstack.fsio import atomic_write

    atomic_write(output, text, outside_ok=True)  # the user named the path
    echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(plan)
    app.command()(schema)
    app.command()(reference)
