"""Running an environment's program on a remote engine: the Pulumi Kubernetes Operator or Pulumi Deployments.

``mlstack up`` runs the program where it is called. When a platform team outgrows a laptop or one CI runner, the
same program (this repository's ``Pulumi.yaml`` and ``__main__.py``) can run on an engine Pulumi users already
have. Everything here is plain data built from the spec by pure functions; ``mlstack remote`` writes it.

- ``operator_manifests``: a ServiceAccount for the workspace pod (with the cloud identity the spec's target
  uses: IRSA on EKS, Workload Identity on GKE; on-prem a kubeconfig Secret the user names), the
  ``system:auth-delegator`` binding the operator's workspace agent needs, and the operator's ``pulumi.com/v1``
  ``Stack`` pointing at the repository (git source), with the spec's backend, secrets provider and stack config.
  Never ``destroyOnFinalize``: deleting the Stack object must not delete an ML environment.
- ``deployment_settings``: the body of Pulumi Cloud's deployment settings for the stack (git source, OIDC login,
  the passphrase as a secret environment variable), for ``PATCH /api/stacks/{org}/{project}/{stack}/deployments/settings``.

Both need a state backend the remote engine can reach: the default ``file://`` backend on the user's disk is
refused with the fix. Shapes follow the operator's v2 CRDs (``tests/engine/test_remote.py`` validates against a
schema written from them) and Pulumi Cloud's REST API reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlstack import targets
from mlstack.errors import UsageError

OPERATOR_API = "pulumi.com/v1"
PASSPHRASE_KEY = "passphrase"
KUBECONFIG_KEY = "config"
KUBECONFIG_PATH = "/home/pulumi/.kube/config"
# The workspace pod runs the whole program: the SDKs, the engine and the provider plugins. A plan peaks near
# 350 MiB at 200 teams; the engine and the plugins take about as much again on an `up`.
WORKSPACE_RESOURCES = {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}


@dataclass(frozen=True)
class RemoteSource:
    """Where the remote engine fetches the program from.

    Attributes:
        repo: the git repository URL (https or ssh) holding this project.
        branch: the branch to deploy (``refs/heads/...`` or a short name); exclusive with ``commit``.
        commit: a full commit SHA to deploy instead of a branch.
        repo_dir: the project's folder inside the repository ("" for the root).
    """

    repo: str
    branch: str | None = None
    commit: str | None = None
    repo_dir: str = ""

    def check(self) -> None:
        if not self.repo:
            raise UsageError("--repo is required: the git URL the remote engine clones this project from")
        if bool(self.branch) == bool(self.commit):
            raise UsageError("give exactly one of --branch or --commit: what the remote engine deploys")


def _remote_backend(backend: str | None, env: str) -> str:
    if not backend or backend.startswith("file://"):
        raise UsageError(
            f"the remote engine cannot reach this machine's local state (.mlstack/state): set `backend:` in "
            f"stacks/{env}.yaml to s3://..., gs://..., azblob://... or https://api.pulumi.com, migrate the state "
            "with `pulumi stack export | pulumi stack import`, then run this again"
        )
    return backend


def operator_manifests(
    *,
    project: str,
    env: str,
    cloud: str,
    backend: str | None,
    secrets_provider: str | None,
    config: dict[str, str],
    source: RemoteSource,
    namespace: str,
    image: str,
    identity: str | None = None,
    secret: str | None = None,
    access_token_secret: str | None = None,
) -> list[dict[str, Any]]:
    """The objects to apply (in order) so that the Pulumi Kubernetes Operator deploys the environment.

    Args:
        project: the Pulumi project (the spec's project).
        env: the environment, i.e. the stack.
        cloud: the spec's target cloud; its pack's ``Remote`` says how the workspace pod gets its cloud identity.
        backend: the spec's state backend (must be remote).
        secrets_provider: the spec's secrets provider; None means the passphrase provider.
        config: the stack's provider config (as ``mlstack up`` sets it).
        source: the git source of the program.
        namespace: where the operator's objects live.
        image: the workspace image (the Pulumi CLI at the catalogue's pinned version).
        identity: the cloud identity the pod uses, given with the target's ``Remote.identity_option`` (an IAM
            role ARN for IRSA, a Google service account for Workload Identity); unused by a target without one.
        secret: the Secret holding the passphrase (key ``passphrase``) when the passphrase provider is used; a
            ``Remote.kubeconfig_secret`` target also mounts its key ``config`` as the kubeconfig the program's
            ``kube_context`` names.
        access_token_secret: the Secret holding ``PULUMI_ACCESS_TOKEN`` (key ``accessToken``) for Pulumi Cloud.

    Raises:
        UsageError: a local backend, a missing identity or Secret, or an incomplete source.
    """
    source.check()
    url = _remote_backend(backend, env)
    if url.startswith("https://") and not access_token_secret:
        raise UsageError("a Pulumi Cloud backend needs --access-token-secret NAME (a Secret with key accessToken)")
    remote = targets.pack(cloud).remote
    if remote.identity_option and not identity:
        raise UsageError(f"the {cloud} target needs {remote.identity_option} ({remote.identity_what})")
    if (secrets_provider is None or remote.kubeconfig_secret) and not secret:
        need = "the passphrase (key passphrase)" if secrets_provider is None else ""
        if remote.kubeconfig_secret:
            need = (need + " and " if need else "") + "the kubeconfig (key config)"
        raise UsageError(f"name the Secret holding {need} with --secret NAME")

    name = f"{project}-{env}"
    annotations: dict[str, str] = {}
    if remote.identity_annotation and identity:
        annotations[remote.identity_annotation] = identity
    sa_meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": _labels(project, env)}
    if annotations:
        sa_meta["annotations"] = annotations
    service_account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": sa_meta}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{name}:system:auth-delegator", "labels": _labels(project, env)},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    }

    env_refs: dict[str, Any] = {}
    if secrets_provider is None and secret:
        env_refs["PULUMI_CONFIG_PASSPHRASE"] = {"type": "Secret", "secret": {"name": secret, "key": PASSPHRASE_KEY}}
    if access_token_secret:
        env_refs["PULUMI_ACCESS_TOKEN"] = {"type": "Secret", "secret": {"name": access_token_secret, "key": "accessToken"}}
    workspace: dict[str, Any] = {
        "image": image,
        "securityProfile": "restricted",
        "resources": WORKSPACE_RESOURCES,
    }
    if remote.kubeconfig_secret and secret:
        workspace["env"] = [{"name": "KUBECONFIG", "value": KUBECONFIG_PATH}]
        workspace["podTemplate"] = {"spec": {
            "volumes": [{"name": "kubeconfig", "secret": {"secretName": secret, "items": [{"key": KUBECONFIG_KEY, "path": "config"}]}}],
            "containers": [{"name": "pulumi", "volumeMounts": [
                {"name": "kubeconfig", "mountPath": KUBECONFIG_PATH.rsplit("/", 1)[0], "readOnly": True}]}],
        }}
    spec: dict[str, Any] = {
        "stack": env,
        "projectRepo": source.repo,
        "repoDir": source.repo_dir or ".",
        "shallow": True,
        "backend": url,
        "serviceAccountName": name,
        "refresh": True,
        # Deleting this object must never delete an ML environment (buckets, databases, the cluster).
        "destroyOnFinalize": False,
        # Deploy on new commits only: a protected environment is not re-applied on a timer.
        "continueResyncOnCommitMatch": False,
        "workspaceTemplate": {"spec": workspace},
    }
    if source.branch:
        spec["branch"] = source.branch
    else:
        spec["commit"] = source.commit
    if secrets_provider:
        spec["secretsProvider"] = secrets_provider
    if config:
        spec["config"] = dict(sorted(config.items()))
    if env_refs:
        spec["envRefs"] = env_refs
    stack = {
        "apiVersion": OPERATOR_API,
        "kind": "Stack",
        "metadata": {"name": name, "namespace": namespace, "labels": _labels(project, env)},
        "spec": spec,
    }
    return [service_account, binding, stack]


def deployment_settings(
    *,
    env: str,
    cloud: str,
    backend: str | None,
    secrets_provider: str | None,
    source: RemoteSource,
    image: str,
    identity: str | None = None,
    login: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Pulumi Deployments settings of the environment's stack.

    Args:
        env: the environment (stack).
        cloud: the target cloud: its pack's ``Remote.deployments_login`` builds the OIDC login (AWS: the IAM
            role ``identity``; GCP: ``login``'s projectId, workloadPoolId, providerId, serviceAccount).
        backend: must be Pulumi Cloud (Deployments run only stacks stored there).
        secrets_provider: with the passphrase provider, the settings carry a ``PULUMI_CONFIG_PASSPHRASE``
            placeholder to be set as a secret in Pulumi Cloud, never its value.
        source: the git source.
        image: the executor image.
        identity: the ``--role-arn`` given, if any (see ``cloud``).
        login: the ``KEY=VALUE`` login options given (see ``cloud``).

    Raises:
        UsageError: a backend other than Pulumi Cloud, or a missing login.
    """
    source.check()
    if not (backend or "").startswith("https://"):
        raise UsageError(
            f"Pulumi Deployments run stacks stored in Pulumi Cloud: set `backend: https://api.pulumi.com` in "
            f"stacks/{env}.yaml (and migrate the state), or use `mlstack remote operator` with your own backend"
        )
    git: dict[str, Any] = {"repoUrl": source.repo, "repoDir": source.repo_dir or "."}
    git["branch" if source.branch else "commit"] = source.branch or source.commit
    operation: dict[str, Any] = {
        "preRunCommands": ["python -m pip install -r requirements.txt"],
        "options": {"skipInstallDependencies": True},
    }
    oidc_login = targets.pack(cloud).remote.deployments_login
    if oidc_login is not None:
        oidc = oidc_login(env, identity, login or {})
        if isinstance(oidc, str):
            raise UsageError(f"the {cloud} target needs {oidc}")
        operation["oidc"] = oidc
    if secrets_provider is None:
        operation["environmentVariables"] = {"PULUMI_CONFIG_PASSPHRASE": "<set as a secret in Pulumi Cloud>"}
    return {
        "sourceContext": {"git": git},
        "operationContext": operation,
        "executorContext": {"executorImage": {"reference": image}},
    }


def _labels(project: str, env: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "mlstack", "mlstack.io/project": project, "mlstack.io/env": env}
