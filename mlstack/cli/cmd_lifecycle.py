"""Lifecycle commands: up, preview, destroy, refresh, outputs, cancel, verify, promote.

Every engine command checks the Pulumi CLI first (exit 1 with the install command when it is missing), then
the spec as `validate` and `plan` read it (policy waivers included) and the passphrase (exit 2), and only then
asks, plans or touches state.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from mlstack.cli.cmd_spec import EnvOption, FormatOption, env_flag
from mlstack.cli.context import STATE
from mlstack.cli.params import ReportFormat

YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    from mlstack.errors import UsageError

    if yes:
        return
    if not _interactive():
        raise UsageError(f"{question} needs confirmation and there is no terminal to ask on: pass --yes")
    if not typer.confirm(question, default=False):
        raise typer.Abort()


def _type_env(env: str, what: str, flag_hint: str) -> None:
    """Asks for the environment's name to be typed (protected environments)."""
    from mlstack.errors import UsageError

    if not _interactive():
        raise UsageError(f"{env} is protected: {what} needs its name typed at a terminal{flag_hint}")
    typed = typer.prompt(f"{env} is protected. Type its name to {what}")
    if typed.strip() != env:
        from mlstack.cli.output import err

        err(f"typed {typed.strip()!r}, not {env!r}: nothing changed")
        raise typer.Abort()


def _prepare(env: str) -> tuple[Any, str, Any, Any]:
    """(automation, CLI version, spec, settings): CLI first, then the spec (the problems validate reports, waivers
    included), then passphrase."""
    from mlstack.engine.deploy.workspace import check_cli, get_automation, workspace_settings
    from mlstack.engine.review.planning import load_checked

    auto = get_automation()
    cli = check_cli(auto)
    spec = load_checked(env, STATE.stacks_dir)
    return auto, cli, spec, workspace_settings(spec, STATE.stacks_dir)


def _open(env: str) -> tuple[Any, str, Any]:
    from mlstack.engine.deploy.workspace import open_stack

    auto, cli, spec, settings = _prepare(env)
    return open_stack(spec, settings, auto), cli, spec


@contextmanager
def _display(progress: Any):
    """Yields the on_event callback: a Rich live view on a terminal, one plain line per event otherwise."""
    from mlstack.cli.output import echo, is_tty
    from mlstack.engine.deploy.events import plain_line, summary_lines

    if not is_tty():
        def plain(event: Any) -> None:
            line = plain_line(event)
            if line is not None:
                echo(line)

        yield plain
        return
    from threading import Lock

    from rich.live import Live
    from rich.text import Text

    from mlstack.cli.output import console

    guard = Lock()
    with Live(Text(""), console=console(), refresh_per_second=4, transient=False) as live:
        def rich(event: Any) -> None:
            with guard:
                live.update(Text("\n".join(summary_lines(progress))))

        yield rich


def _run(operation: str, env: str, call: Any) -> tuple[dict[str, Any], Any]:
    from mlstack.engine.deploy.events import Progress
    from mlstack.engine.deploy.lifecycle import run

    progress = Progress()
    with _display(progress) as on_event:
        result = run(operation, env, call, progress, on_event)
    return result, progress


def _plan_summary(plan: Any) -> None:
    from mlstack.cli.output import echo

    where = plan.target.get("region") or plan.target.get("kube_context") or ""
    protected = sum(1 for r in plan.resources if r.protect)
    summary = plan.summary()
    echo(f"Plan for {plan.project}/{plan.env} on {plan.target.get('cloud', '?')} {where}".rstrip()
         + f": {summary['resources']} resources in the desired state, {protected} protected")
    for type_, count in summary["by_type"].items():
        echo(f"  {count:4d}  {type_}")


def up(
    env: EnvOption,
    yes: YesOption = False,
    approve: Annotated[str | None, typer.Option("--approve", help="Approve a protected environment by name.")] = None,
    locked: Annotated[bool, typer.Option("--locked", help="Deploy exactly stacks/<env>.lock.json: its images by digest and its cloud versions; refuse unless spec and tool versions match and the cloud still offers them.")] = False,
) -> None:
    """Deploy an environment: plan summary, confirmation, then the real engine. Resolves every image's digest from
    its registry (or takes the lock's with --locked), deploys by digest, writes stacks/<env>.lock.json with the
    versions the cloud chose (add-ons, AMI releases, node and control-plane versions)."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy import pinning
    from mlstack.engine.deploy.events import counts_line
    from mlstack.engine.deploy.lifecycle import plan_for
    from mlstack.engine.deploy.lock import (
        build_lock,
        lock_differences,
        lock_digest,
        lock_path,
        read_lock,
        tool_versions,
        upgrade_lock,
        write_lock,
    )
    from mlstack.engine.deploy.workspace import open_stack
    from mlstack.engine.plan.program import PLATFORM_OUTPUT, Locked, recorded_platform
    from mlstack.errors import UsageError

    auto, cli, spec, settings = _prepare(env)
    if approve is not None and approve != env:
        raise UsageError(f"--approve {approve} does not name this environment ({env})")
    path = lock_path(env, STATE.stacks_dir)
    tools = tool_versions(cli)
    lock = read_lock(path, spec.project, env)
    plan = plan_for(spec)
    refs = pinning.plan_images(plan)
    if locked:
        if lock is None:
            raise UsageError(f"--locked: {path} does not exist; run `mlstack up --env {env}` without --locked to create it")
        lock = upgrade_lock(lock)
        diffs = lock_differences(lock, spec, tools) + pinning.locked_refusals(refs, lock) + pinning.platform_refusals(plan, lock)
        if diffs:
            raise UsageError(f"--locked: {path} cannot be honoured, nothing was changed:\n" + "\n".join(f"  {d}" for d in diffs))
        pins = dict(lock["images"])
        planned = lock
    else:
        # Before anything changes: an unreachable registry or a missing tag stops here (exit 1).
        pins = pinning.resolve_images(refs)
        planned = build_lock(spec, {}, tools, images=pins, charts=pinning.plan_charts(plan))
    _plan_summary(plan)
    if pins:
        echo(f"  {len(pins)} image(s) by digest" + (" (from the lock)" if locked else " (resolved from their registries now)"))
    if locked and planned["platform"]:
        echo(f"  {len(planned['platform'])} cloud version(s) from the lock, checked with the cloud before anything changes")
    _confirm(f"Deploy {env}?", yes)
    if spec.protected and approve != env:
        _type_env(env, "deploy it", " (or pass --approve " + env + ")")
    # The lock this deploy writes: all known before it but the versions the cloud chooses (the program stamps the
    # environment with its digest once they are known) and the outputs (left out of the digest).
    program_lock = Locked(platform=dict(planned["platform"]), verify=locked,
                          digest_of=lambda chosen: lock_digest({**planned, "platform": dict(chosen)}))
    stack = open_stack(spec, settings, auto, pins, {"MLSTACK_GIT_COMMIT": _git_commit(STATE.stacks_dir)}, program_lock)
    result, progress = _run("up", env, stack.up)
    echo(f"{env}: {counts_line(progress)}")
    outputs = result.get("outputs", {})
    chosen = recorded_platform((outputs.get(PLATFORM_OUTPUT) or (None, False))[0])
    write_lock(path, {**planned, "platform": chosen, "outputs": build_lock(spec, outputs, tools)["outputs"]})
    echo(f"wrote {path}")


def _git_commit(stacks_dir: Any) -> str:
    """The commit the stacks folder is checked out at ("" outside a git repository or without git)."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(stacks_dir), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def lock(
    env: EnvOption,
    check: Annotated[bool, typer.Option("--check", help="Exit 3 unless the spec, its resolved versions and its cloud versions' pools and add-ons still match the lock (offline).")] = False,
) -> int:
    """Print stacks/<env>.lock.json's digest and contents; with --check, verify the spec still matches it (offline:
    whether the cloud still offers the locked versions is checked by `up --locked`)."""
    import sys

    from mlstack.cli.output import echo, err
    from mlstack.engine.deploy.lock import lock_differences, lock_digest, lock_path, read_lock, render_lock, upgrade_lock
    from mlstack.engine.deploy.pinning import platform_differences
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.engine.plan.versions import resolved_versions
    from mlstack.errors import UsageError
    from mlstack.spec import load_spec

    spec = load_spec(env, STATE.stacks_dir)
    path = lock_path(env, STATE.stacks_dir)
    data = read_lock(path, spec.project, env)
    if data is None:
        raise UsageError(f"{path} does not exist: `mlstack up --env {env}` writes it")
    if not check:
        echo(f"{path}: {lock_digest(data)}")
        sys.stdout.write(render_lock(data))
        return 0
    # The spec against the lock; tools are this machine's business, compared by `up --locked` itself. The cloud
    # versions against the offline plan's: whether the cloud still offers them only `up --locked` can ask.
    diffs = [d for d in lock_differences(data, spec, data["tools"]) if not d.startswith("tools.")]
    diffs += platform_differences(plan_spec(spec), upgrade_lock(data), resolved_versions(spec)["kubernetes"])
    if diffs:
        err(f"{path} no longer matches stacks/{env}.yaml:\n" + "\n".join(f"  {d}" for d in diffs))
        return 3
    clouds = len(upgrade_lock(data)["platform"])
    echo(f"{path}: {lock_digest(data)} matches stacks/{env}.yaml (spec {data['spec_digest']}"
         + (f"; {clouds} cloud version(s), which `up --locked` checks with the cloud)" if clouds else ")"))
    return 0


def preview(
    env: EnvOption,
    diff: Annotated[bool, typer.Option("--diff", help="Show the engine's property-level diff.")] = False,
) -> None:
    """Preview with the real engine and providers: what `up` would change in the deployed environment."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.events import counts_line

    stack, _, _ = _open(env)
    result, progress = _run("preview", env, lambda on_event: stack.preview(on_event, diff))
    if diff and result.get("stdout"):
        echo(result["stdout"].rstrip("\n"))
    echo(f"{env}: {counts_line(progress)}")


def refresh(env: EnvOption, yes: YesOption = False) -> None:
    """Read the real state of every resource into the stack's state (drift)."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.events import counts_line

    stack, _, _ = _open(env)
    _confirm(f"Refresh the state of {env}?", yes)
    _, progress = _run("refresh", env, stack.refresh)
    echo(f"{env}: {counts_line(progress)}")


def destroy(
    env: EnvOption,
    yes: YesOption = False,
    allow_data_loss: Annotated[bool, typer.Option("--allow-data-loss", help="Also delete protected resources (databases, buckets, file systems).")] = False,
) -> None:
    """Delete every resource of an environment. Refuses while protected resources exist."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.events import counts_line
    from mlstack.engine.deploy.lifecycle import check_destroy, protected_resources

    stack, _, spec = _open(env)
    protected = protected_resources(stack)
    check_destroy(env, protected, allow_data_loss)
    if spec.protected:
        _type_env(env, "destroy it", "; protected environments are never destroyed unattended")
    else:
        _confirm(f"Destroy every resource of {env}" + (f", including {len(protected)} protected" if protected else "") + "?", yes)
    if protected:
        stack.unprotect_all()
        echo(f"unprotected {len(protected)} resource(s) (--allow-data-loss)")
    _, progress = _run("destroy", env, stack.destroy)
    echo(f"{env}: {counts_line(progress)}")


def outputs(
    env: EnvOption,
    format: FormatOption = ReportFormat.text,
    as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Print secret outputs in clear text.")] = False,
) -> None:
    """Print the stack outputs of an environment (secrets masked unless --show-secrets)."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.lifecycle import display_outputs

    stack, _, _ = _open(env)
    shown = display_outputs(stack.outputs(), show_secrets)
    if as_json or format is ReportFormat.json:
        sys.stdout.write(json.dumps(shown, sort_keys=True, indent=2) + "\n")
        return
    if not shown:
        echo(f"{env} has no outputs (not deployed yet?)")
    for key, value in shown.items():
        echo(f"{key}: {value if isinstance(value, str) else json.dumps(value, sort_keys=True)}")


def cancel(env: EnvOption) -> None:
    """Release a stale lock on an environment's stack (an update that was killed). Never run it while an
    update is still running."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.lifecycle import cancel as cancel_stack

    stack, _, _ = _open(env)
    cancel_stack(stack, env)
    echo(f"released the lock of {env}; run `mlstack refresh --env {env}` to reconcile state with the cloud")


def verify(
    env: EnvOption,
    timeout: Annotated[int, typer.Option("--timeout", help="Seconds to wait for every verification Job.")] = 600,
    format: FormatOption = ReportFormat.text,
) -> None:
    """Run the platform's verification Jobs in the cluster (the main one and one per GPU pool) and print each check."""
    from mlstack.cli.output import echo
    from mlstack.cli.verify_report import json_report, text_report
    from mlstack.engine.deploy import verify_kube
    from mlstack.engine.deploy.verify import job_refs, run_verify
    from mlstack.errors import EngineError

    stack, _, spec = _open(env)
    outs = stack.outputs()
    namespace, names = job_refs(outs)
    jobs = verify_kube.make_jobs(outs, spec.target.kube_context, spec.target.kubeconfig_path)
    if format is ReportFormat.text:
        echo(f"running {', '.join(f'{namespace}/{n}' for n in names)} ...")
    result = run_verify(jobs, namespace, names, timeout)
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(json_report(env, namespace, result), indent=2, sort_keys=True) + "\n")
    else:
        for line in text_report(env, namespace, result):
            echo(line)
    if not result.ok:
        raise EngineError(f"verify {env}: {result.why}")


def promote(
    from_env: Annotated[str, typer.Option("--from", callback=env_flag("--from"), help="Environment whose deployed versions to copy (its lock).")],
    to_env: Annotated[str, typer.Option("--to", callback=env_flag("--to"), help="Environment whose spec receives them.")],
    write: Annotated[bool, typer.Option("--write", help="Write the spec file (default: dry run).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Promote although the source has no lock or changed since.")] = False,
    format: FormatOption = ReportFormat.text,
) -> None:
    """Copy the versions an environment last deployed into another's spec; show spec and plan diff."""
    from mlstack.cli.output import echo
    from mlstack.engine.deploy.promote import promote as run_promote

    result = run_promote(from_env, to_env, STATE.stacks_dir, force=force, write=write)
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps({
            "from": from_env, "to": to_env, "file": str(STATE.stacks_dir / f"{to_env}.yaml"), "changed": result.changed,
            "written": result.written, "versions": result.versions, "notes": result.notes,
            "spec_diff": result.spec_diff if result.changed else "", "plan_diff": result.plan_diff if result.changed else "",
        }, indent=2, sort_keys=True) + "\n")
        return
    for note in result.notes:
        echo(f"note: {note}")
    if not result.changed:
        echo(f"{to_env} already pins {from_env}'s versions: nothing to promote")
        return
    echo(result.spec_diff.rstrip("\n"))
    echo("")
    echo(result.plan_diff.rstrip("\n"))
    target = STATE.stacks_dir / f"{to_env}.yaml"
    echo(f"wrote {target}" if result.written else f"dry run: pass --write to write {target}")


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
    for command in (up, preview, destroy, refresh, outputs, cancel, verify, promote, lock):
        app.command()(command)
