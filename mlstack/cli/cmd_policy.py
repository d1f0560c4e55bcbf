"""``mlstack policy-pack DIR [--env E]``: the policy rules as a Pulumi CrossGuard policy pack (docs/review.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.cmd_spec import complete_env, env_name
from mlstack.cli.context import STATE


def policy_pack(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write the pack to (created if missing).")],
    env: Annotated[
        str | None,
        typer.Option("--env", "-e", envvar="MLSTACK_ENV", callback=env_name, autocompletion=complete_env,
                     help="Levels, waivers and target of this environment. Default: every target's rules, "
                          "levels of an environment that is not protected."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files in DIR that mlstack did not write.")] = False,
) -> None:
    """Write mlstack's policy rules as a Pulumi CrossGuard policy pack (Python): PulumiPolicy.yaml, the program and
    its requirements. The program runs the rules `mlstack check` runs, at the levels it gives them (mandatory in
    protected environments, advisory elsewhere): `pulumi preview --policy-pack DIR`."""
    from mlstack.cli.output import echo, err
    from mlstack.engine.scaffold.policy_pack import PackScope, foreign, pack_files
    from mlstack.errors import UsageError
    from mlstack.fsio import write_files

    scope = PackScope(name="mlstack")
    if env is not None:
        from mlstack.engine.review.policy import validate_waivers
        from mlstack.spec import load_spec, spec_path

        spec = load_spec(env, STATE.stacks_dir)
        validate_waivers(spec.waivers, spec_path(env, STATE.stacks_dir))
        scope = PackScope(name=f"mlstack-{spec.project}-{env}", protected=spec.protected, waivers=spec.waivers,
                          cloud=spec.target.cloud, env=env)
    files = pack_files(scope, directory)
    clash = foreign(files)
    if clash and not force:
        listed = "\n".join(f"  {p}" for p in clash)
        raise UsageError(f"refusing to overwrite {len(clash)} file(s) mlstack did not write (use --force):\n{listed}")
    write_files(files, root=directory)  # all three files or none; nothing outside DIR
    for path in files:
        err(f"wrote {path}")
    venv = directory / "venv"  # PulumiPolicy.yaml's runtime virtualenv
    echo(f"next: python3 -m venv {venv} && {venv}/bin/pip install -r {directory / 'requirements.txt'}\n"
         f"      pulumi preview --policy-pack {directory}")


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
    app.command("policy-pack")(policy_pack)
