"""``mlstack remote``: the files a remote engine needs to run an environment's program (docs/remote.md).

``remote operator`` prints (or writes) the Pulumi Kubernetes Operator objects; ``remote deployments`` the Pulumi
Deployments settings. Both run offline and touch no cluster and no cloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlstack.cli.cmd_spec import EnvOption
from mlstack.cli.context import STATE

remote = typer.Typer(name="remote", help="Run an environment on the Pulumi Kubernetes Operator or Pulumi Deployments.",
                     no_args_is_help=True)

RepoOption = Annotated[str, typer.Option("--repo", help="Git URL the remote engine clones this project from.")]
BranchOption = Annotated[str | None, typer.Option("--branch", help="Branch to deploy (or --commit).")]
CommitOption = Annotated[str | None, typer.Option("--commit", help="Commit SHA to deploy (or --branch).")]
DirOption = Annotated[str, typer.Option("--repo-dir", help="The project's folder inside the repository.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
RoleOption = Annotated[str | None, typer.Option("--role-arn", help="aws: the IAM role the engine assumes.")]


def _spec_and_source(env: str, repo: str, branch: str | None, commit: str | None, repo_dir: str):  # noqa: ANN202
    from mlstack.engine.deploy.remote import RemoteSource
    from mlstack.spec import load_spec

    return load_spec(env, STATE.stacks_dir), RemoteSource(repo, branch, commit, repo_dir)


def _image() -> str:
    from mlstack.catalog import load_catalog

    return f"pulumi/pulumi:{load_catalog().versions.pulumi_cli}-nonroot"


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    from mlstack import fsio

    fsio.atomic_write(output, text, outside_ok=True)  # the user named the path
    from mlstack.cli.output import err

    err(f"wrote {output}")


@remote.command("operator")
def operator(
    env: EnvOption,
    repo: RepoOption = "",
    branch: BranchOption = None,
    commit: CommitOption = None,
    repo_dir: DirOption = "",
    namespace: Annotated[str, typer.Option("--namespace", help="Namespace of the operator's objects.")] = "pulumi-operator",
    role_arn: RoleOption = None,
    service_account: Annotated[
        str | None, typer.Option("--service-account", help="gcp: the Google service account of the workspace.")
    ] = None,
    secret: Annotated[
        str | None,
        typer.Option("--secret", help="Secret with the passphrase (key passphrase) and, on-prem, the kubeconfig (key config)."),
    ] = None,
    access_token_secret: Annotated[
        str | None, typer.Option("--access-token-secret", help="Secret with PULUMI_ACCESS_TOKEN (key accessToken).")
    ] = None,
    output: OutputOption = None,
) -> None:
    """The Pulumi Kubernetes Operator objects (ServiceAccount, binding, Stack) that deploy ENV from git."""
    import yaml

    from mlstack import targets
    from mlstack.engine.deploy.remote import operator_manifests
    from mlstack.engine.deploy.workspace import stack_config

    spec, source = _spec_and_source(env, repo, branch, commit, repo_dir)
    given = {"--role-arn": role_arn, "--service-account": service_account}
    docs = operator_manifests(
        project=spec.project, env=spec.env, cloud=spec.target.cloud, backend=spec.backend,
        secrets_provider=spec.secrets_provider, config=stack_config(spec), source=source, namespace=namespace,
        image=_image(), identity=given.get(targets.pack(spec.target.cloud).remote.identity_option or ""), secret=secret,
        access_token_secret=access_token_secret,
    )
    _emit(yaml.safe_dump_all(docs, sort_keys=False), output)


@remote.command("deployments")
def deployments(
    env: EnvOption,
    repo: RepoOption = "",
    branch: BranchOption = None,
    commit: CommitOption = None,
    repo_dir: DirOption = "",
    role_arn: RoleOption = None,
    gcp_login: Annotated[
        list[str] | None,
        typer.Option("--gcp", help="gcp OIDC login as KEY=VALUE: projectId, workloadPoolId, providerId, serviceAccount."),
    ] = None,
    output: OutputOption = None,
) -> None:
    """The Pulumi Deployments settings (JSON) that deploy ENV from git with OIDC credentials."""
    import json

    from mlstack.engine.deploy.remote import deployment_settings
    from mlstack.errors import UsageError

    spec, source = _spec_and_source(env, repo, branch, commit, repo_dir)
    login: dict[str, str] = {}
    for item in gcp_login or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--gcp takes KEY=VALUE, got {item!r}")
        login[key] = value
    body = deployment_settings(
        env=spec.env, cloud=spec.target.cloud, backend=spec.backend, secrets_provider=spec.secrets_provider,
        source=source, image=_image(), identity=role_arn, login=login,
    )
    _emit(json.dumps(body, indent=2, sort_keys=True) + "\n", output)


def register(app: typer.Typer) -> None:
    """Adds the ``remote`` group to the app."""
    app.add_typer(remote)
