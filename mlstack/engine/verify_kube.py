"""The real ``KubeJobs``: the ``kubernetes`` Python client, built from the cluster's kubeconfig."""

from __future__ import annotations

from typing import Any

from mlstack.errors import UsageError


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
    return config.new_client_from_config(config_file=kubeconfig_path, context=kube_context)


class KubernetesJobs:
    def __init__(self, client: Any):
        from kubernetes import client as k8s

        self._client = client
        # typed Any: the client accepts plain dict bodies, and its models mark every field Optional
        self._batch: Any = k8s.BatchV1Api(client)
        self._core: Any = k8s.CoreV1Api(client)

    def read_job(self, namespace: str, name: str) -> dict[str, Any] | None:
        from kubernetes.client.exceptions import ApiException

        try:
            job = self._batch.read_namespaced_job(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return self._client.sanitize_for_serialization(job)

    def create_job(self, namespace: str, body: dict[str, Any]) -> str:
        return self._batch.create_namespaced_job(namespace, body).metadata.name

    def job_state(self, namespace: str, name: str) -> str:
        status = self._batch.read_namespaced_job_status(name, namespace).status
        for cond in status.conditions or []:
            if cond.status == "True" and cond.type == "Complete":
                return "succeeded"
            if cond.status == "True" and cond.type == "Failed":
                return "failed"
        return "running"

    def job_log(self, namespace: str, name: str) -> str:
        pods = self._core.list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
        if not pods:
            return ""
        last = sorted(pods, key=lambda p: (p.metadata.creation_timestamp, p.metadata.name))[-1]
        return self._core.read_namespaced_pod_log(last.metadata.name, namespace) or ""


def make_jobs(outputs: dict[str, tuple[Any, bool]], kube_context: str | None, kubeconfig_path: str | None) -> KubernetesJobs:
    """The cluster boundary ``verify`` uses (tests replace this function)."""
    return KubernetesJobs(api_client(outputs, kube_context, kubeconfig_path))
