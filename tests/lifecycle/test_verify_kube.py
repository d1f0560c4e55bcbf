"""The real cluster boundary of `verify`: ordinary cluster problems become clear errors, not tracebacks."""

from __future__ import annotations

import pytest

from mlstack.engine.deploy import verify_kube
from mlstack.errors import EngineError, UsageError


def test_unknown_context_is_a_usage_error(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(UsageError, match=r"cannot use kube context 'lab' from .*config: .*Check target.kube_context"):
        verify_kube.api_client({}, "lab", str(kubeconfig))


def test_unreachable_api_server_is_an_engine_error():
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "x"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    client = verify_kube.api_client({"kubeconfig": (kubeconfig, True)}, None, None)
    client.configuration.retries = 0
    jobs = verify_kube.KubernetesJobs(client)
    with pytest.raises(EngineError, match=r"cannot reach https://127.0.0.1:9 to read the verification Job"):
        jobs.read_job("mlstack-system", "mlstack-verify")
