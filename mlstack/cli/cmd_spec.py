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
    warnings = located_notices(spec, env)
    if format is ReportFormat.json:
        report = {"env": env, "file": file, "valid": True, "problems": [], "cloud": spec.target.cloud,
                  "node_pools": sorted(spec.node_pools), "protect": spec.protected}
        if warnings:
            report["warnings"] = warnings
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return
    print_warnings(warnings)
    echo(f"{file}: valid ({spec.target.cloud}, {len(spec.node_pools)} node pools, "
         f"protect {'on' if spec.protected else 'off'})")


def env_notices(env: str) -> list[dict]:
    """``located_notices`` of an environment that plans: the spec is loaded again only when a pool names both a
    machine and an accelerator (the one case with notices today), so a plan pays one YAML read (~3 ms) otherwise."""
    from mlstack.spec import load_spec, spec_path
    from mlstack.spec.yaml_loader import load_with_extends

    pools = load_with_extends(spec_path(env, STATE.stacks_dir)).data.get("node_pools")
    if not isinstance(pools, dict) or not any(isinstance(p, dict) and p.get("machine") and p.get("accelerator")
                                              for p in pools.values()):
        return []
    return located_notices(load_spec(env, STATE.stacks_dir), env)


def located_notices(spec, env: str) -> list[dict]:  # noqa: ANN001 - a Spec, imported lazily
    """What mlstack could not check in a valid spec (``mlstack.spec.notices``), each with its file and line."""
    from mlstack.spec import spec_path
    from mlstack.spec.notices import notices
    from mlstack.spec.yaml_loader import load_with_extends

    found = notices(spec)
    if not found:
        return []
    path = spec_path(env, STATE.stacks_dir)
    loaded = load_with_extends(path)
    out = []
    for field_path, message in found:
        loc = loaded.locate(tuple(field_path.split(".")))
        out.append({"file": loc.file if loc else str(path), "line": loc.line if loc else 0,
                    "column": loc.column if loc else 0, "path": field_path, "message": message})
    return out


def print_warnings(warnings: list[dict]) -> None:
    """Each warning on stderr as ``warning: file:line:col: path: message``."""
    from mlstack.escape import printable

    for w in warnings:
        sys.stderr.write(f"warning: {w['file']}:{w['line']}:{w['column']}: {w['path']}: {printable(w['message'], 2000)}\n")


def plan(
    env: EnvOption,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", parser=choice(PlanFormat), help="table or json.")] = PlanFormat.table,
) -> None:
    """Plan an environment offline: no credentials, no Pulumi CLI. Shows every resource `up` would create; with
    stacks/<env>.lock.json, images by the digests and the cloud versions it locked (as `up --locked` deploys them)."""
    from mlstack.cli.render import plan_json, plan_table
    from mlstack.engine.deploy.lock import env_lock
    from mlstack.engine.review.planning import plan_env

    lock = env_lock(env, STATE.stacks_dir)
    result = plan_env(env, STATE.stacks_dir, lock.get("images"), lock.get("platform"))
    print_warnings(env_notices(env))
    if format is PlanFormat.json:
        from mlstack.engine.review.planning import with_review

        sys.stdout.write(plan_json(with_review(result, env, STATE.stacks_dir)))
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
