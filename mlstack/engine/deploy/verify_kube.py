"""The real ``KubeJobs``: the ``kubernetes`` Python client, built from the cluster's kubeconfig."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from mlstack.errors import EngineError, UsageError

T = TypeVar("T")


def _reaching(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Turns the client's connection and API failures into errors that say what to check (never a traceback)."""

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def call(self: Any, *args: Any, **kwargs: Any) -> T:
            from kubernetes.client.exceptions import ApiException
            from urllib3.exceptions import HTTPError

            try:
                return fn(self, *args, **kwargs)
            except ApiException as exc:
                if exc.status in (401, 403):
                    raise EngineError(f"the cluster refused to {what} ({exc.status} {exc.reason}): the credentials "
                                      "in use lack RBAC rights in the verification namespace") from None
                raise EngineError(f"the cluster API failed to {what}: {exc.status} {exc.reason}") from None
            except HTTPError as exc:
                host = getattr(self._client.configuration, "host", "the API server")
                raise EngineError(f"cannot reach {host} to {what}: {type(exc).__name__}. Check that this machine can "
                                  "reach the cluster's endpoint (VPN, authorised networks, a private endpoint needs "
                                  "a runner inside the VPC)") from None

        return call

    return wrap


def api_client(outputs: dict[str, tuple[Any, bool]], kube_context: str | None, kubeconfig_path: str | None) -> Any:
    """A kubernetes ApiClient: from the stack output ``kubeconfig`` (cloud targets) or, on-prem, from the
    kubeconfig file (default KUBECONFIG or ~/.kube/config) and the spec's context."""
    import json

    import yaml
    from kubernetes import config

    raw = outputs.get("kubeconfig", (None, False))[0]
    if raw:
        data = raw if isinstance(raw, dict) else (json.loads(raw) if str(raw).lstrip().startswith("{") else yaml.safe_load(raw))
        return config.new_client_from_config_dict(data)
    if kube_context is None:
        raise UsageError("the stack has no `kubeconfig` output and the spec no target.kube_context: "
                         "cannot reach the cluster (run `mlstack up` first)")
    try:
        return config.new_client_from_config(config_file=kubeconfig_path, context=kube_context)
    except config.ConfigException as exc:
        where = kubeconfig_path or "the default kubeconfig (KUBECONFIG or ~/.kube/config)"
        raise UsageError(f"cannot use kube context {kube_context!r} from {where}: {exc}. Check target.kube_context "
                         "and target.kubeconfig_path, or `kubectl config get-contexts`") from None


class KubernetesJobs:
    def __init__(self, client: Any):
        from kubernetes import client as k8s

        self._client = client
        # typed Any: the client accepts plain dict bodies, and its models mark every field Optional
        self._batch: Any = k8s.BatchV1Api(client)
        self._core: Any = k8s.CoreV1Api(client)

    @_reaching("read the verification Job")
    def read_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            job = self._batch.read_namespaced_job(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self._client.sanitize_for_serialization(job)

    @_reaching("create the verification run")
    def create_job(self, namespace: str, body: dict[str, Any]) -> str:
        return self._batch.create_namespaced_job(namespace, body).metadata.name

    @_reaching("read the verification run's status")
    def job_state(self, namespace: str, name: str) -> str:
        status = self._batch.read_namespaced_job_status(name, namespace).status
        for cond in status.conditions or []:
            if cond.status == "True" and cond.type == "Complete":
                return "succeeded"
            if cond.status == "True" and cond.type == "Failed":
                return "failed"
        return "running"

    @_reaching("read the verification pod's log")
    def job_log(self, namespace: str, name: str) -> str:
        pods = self._core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
        if not pods:
            return ""
        last = sorted(pods, key=lambda p: (p.metadata.creation_timestamp, p.metadata.name))[-1]
        return self._core.read_namespaced_pod_log(last.metadata.name, namespace) or ""


def make_jobs(outputs: dict[str, tuple[Any, bool]], kube_context: str | None, kubeconfig_path: str | None) -> KubernetesJobs:
    """The cluster boundary ``verify`` uses (tests replace this function)."""
    return KubernetesJobs(api_client(outputs, kube_context, kubeconfig_path))
