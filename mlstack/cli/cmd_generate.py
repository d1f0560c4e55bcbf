"""Commands that generate files: a new project (`init`), a new environment (`new-env`), a CI pipeline (`ci`).

Each renders everything first, validates it, and only then writes: on any error nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.cmd_spec import env_flag
from mlstack.cli.context import STATE


def _interactive() -> bool:
    """Whether missing values may be asked for (both ends of the conversation are a terminal)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(value: str | None, flag: str, question: str, default: str | None = None) -> str:
    """The flag's value, or the answer on a terminal; without a terminal a missing value is a usage error."""
    from mlstack.errors import UsageError

    if value:
        return value
    if not _interactive():
        raise UsageError(f"missing {flag}: {question.lower()} (no terminal to ask on)")
    return str(typer.prompt(question, default=default)).strip()


def _report(root: Path, paths: list[str], dry_run: bool, clash: set[Path]) -> None:
    from mlstack.cli.output import echo

    for rel in paths:
        path = root / rel
        if dry_run:
            echo(f"would write {path}{' (exists: overwritten with --force)' if path in clash else ''}")
        else:
            echo(f"wrote {path}")


def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of the new project (created if missing).")],
    cloud: Annotated[str | None, typer.Option("--cloud", metavar="aws|gcp|onprem", help="The cloud.")] = None,
    project: Annotated[
        str | None, typer.Option("--project", metavar="NAME", help="Lowercase name that prefixes every resource, e.g. acme-ml.")
    ] = None,
    ci: Annotated[
        str, typer.Option("--ci", metavar="github|gitlab|jenkins", help="CI pipeline to write.")
    ] = "github",
    region: Annotated[
        str | None, typer.Option("--region", metavar="REGION", help="aws, gcp: the region, e.g. us-west-2 or us-central1.")
    ] = None,
    project_id: Annotated[str | None, typer.Option("--project-id", metavar="ID", help="gcp: the GCP project id.")] = None,
    kube_context: Annotated[
        str | None, typer.Option("--kube-context", metavar="CONTEXT", help="onprem: kubeconfig context of the cluster.")
    ] = None,
    nfs_server: Annotated[
        str | None, typer.Option("--nfs-server", metavar="HOST", help="onprem: NFS server of the shared volume.")
    ] = None,
    nfs_path: Annotated[
        str | None, typer.Option("--nfs-path", metavar="PATH", help="onprem: exported path on the NFS server.")
    ] = None,
    repository: Annotated[
        str | None,
        typer.Option("--repository", metavar="OWNER/REPO", help="github, gitlab: the repository whose CI may deploy (OIDC trust)."),
    ] = None,
    gitlab_url: Annotated[str, typer.Option("--gitlab-url", metavar="URL", help="gitlab: the instance URL.")] = "https://gitlab.com",
    backend: Annotated[
        str | None,
        typer.Option("--backend", metavar="URL", help="Shared Pulumi state (s3://, gs://, azblob://); CI needs one."),
    ] = None,
    mlstack_requirement: Annotated[
        str | None,
        typer.Option("--mlstack-requirement", metavar="REQ",
                     help="The requirements.txt line that installs mlstack (default: this release, mlstack-iac==VERSION), "
                          "e.g. 'mlstack-iac @ git+https://github.com/ORG/mlstack@v0.1.0'."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the files it would write; write nothing.")] = False,
) -> None:
    """Create a new mlstack project: stacks (base, staging, prod), Pulumi project, README and CI pipeline."""
    from mlstack.cli.output import echo, err
    from mlstack.engine.scaffold import generate as g

    cloud = _ask(cloud, "--cloud", "Cloud (aws, gcp, onprem)")
    g.check_choice("--cloud", cloud, g.clouds())
    g.check_choice("--ci", ci, g.CI_PROVIDERS)
    project = _ask(project, "--project", "Project name (lowercase, prefixes every resource)", default=directory.resolve().name)
    g.check_project_name(project)
    values = {"region": region, "project_id": project_id, "kube_context": kube_context, "nfs_server": nfs_server,
              "nfs_path": nfs_path, "repository": repository}
    questions = {
        "--region": ("Region", g.default_region(cloud)),
        "--project-id": ("GCP project id", None),
        "--kube-context": ("Kubeconfig context of the existing cluster", None),
        "--nfs-server": ("NFS server of the shared volume", None),
        "--nfs-path": ("Exported path on the NFS server", None),
        "--repository": (f"Repository whose {ci} CI may deploy (owner/repo)", None),
    }
    for flag in g.required_flags(cloud, ci):
        key = flag.removeprefix("--").replace("-", "_")
        question, default = questions[flag]
        values[key] = _ask(values[key], flag, question, default)
    opts = g.ProjectOptions(project=project, cloud=cloud, ci=ci, gitlab_url=gitlab_url, backend=backend,
                            mlstack_requirement=mlstack_requirement, **values)
    files = g.project_files(opts)
    warning = g.region_warning(cloud, opts.region)
    if warning:
        err(warning)
    clash = set(g.conflicts(directory, files))
    if dry_run:
        _report(directory, list(files), True, clash)
        return
    g.write_files(directory, files, force=force)
    _report(directory, list(files), False, clash)
    echo(f"next: cd {directory} && mlstack validate --env staging && mlstack plan --env staging")


def new_env(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new environment: writes stacks/NAME.yaml.")],
    source: Annotated[str, typer.Option("--from", metavar="ENV", callback=env_flag("--from"), help="Environment to start from, e.g. staging.")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="PATH=VALUE",
            help="Change a setting the source has, e.g. node_pools.l4.max=8 (repeatable). A key the source lacks is an error.",
        ),
    ] = None,
    add: Annotated[
        list[str] | None,
        typer.Option(
            "--add", metavar="PATH=VALUE",
            help="Like --set, but creates a new key, e.g. node_pools.h100={accelerator: h100, max: 2} (repeatable).",
        ),
    ] = None,
    extend_source: Annotated[
        bool,
        typer.Option("--extend-source", help="Extend stacks/<from>.yaml itself (inherit its later changes) instead of copying it."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stacks/NAME.yaml.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the file; write nothing.")] = False,
) -> None:
    """Add an environment: stacks/NAME.yaml from another one, with --set/--add overrides validated first."""
    from mlstack.cli.output import echo
    from mlstack.engine.scaffold import generate as g
    from mlstack.engine.scaffold.overrides import new_env_file

    stacks_dir = STATE.stacks_dir
    rel, text = new_env_file(stacks_dir, name, source, list(set_ or []), extend_source=extend_source, adds=list(add or []))
    if dry_run:
        sys.stdout.write(text)
        return
    g.write_files(stacks_dir, {rel: text}, force=force)
    echo(f"wrote {stacks_dir / rel}")


def ci(
    provider: Annotated[str, typer.Argument(metavar="PROVIDER", help="github, gitlab or jenkins.")],
    directory: Annotated[
        Path | None, typer.Option("--dir", metavar="DIR", help="Project root (default: the parent of --stacks-dir).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing pipeline file.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the file it would write; write nothing.")] = False,
) -> None:
    """Write the CI pipeline of an existing project (CI identities from stacks/<env>.lock.json when deployed)."""
    from mlstack.engine.scaffold import generate as g

    root = directory if directory is not None else STATE.stacks_dir.parent
    stacks_dir = directory / "stacks" if directory is not None else STATE.stacks_dir
    from mlstack.engine.scaffold.generate_ci import project_ci_files

    files = project_ci_files(provider, stacks_dir)
    clash = set(g.conflicts(root, files))
    if not dry_run:
        g.write_files(root, files, force=force)
    _report(root, list(files), dry_run, clash)


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
    app.command()(init)
    app.command("new-env")(new_env)
    app.command()(ci)
