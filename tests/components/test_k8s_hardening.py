"""The hardening helpers' exact values (other components import them)."""

from __future__ import annotations

from mlstack.components.k8s import hardening as h


def test_pod_security_context():
    psc = h.pod_security_context()
    assert (psc.run_as_non_root, psc.run_as_user, psc.run_as_group, psc.fs_group) == (True, 65532, 65532, 65532)
    assert psc.seccomp_profile.type == "RuntimeDefault"
    assert h.pod_security_context(fs_group=1000).fs_group == 1000


def test_container_security_context():
    sc = h.container_security_context()
    assert sc.allow_privilege_escalation is False
    assert sc.read_only_root_filesystem is True
    assert sc.run_as_non_root is True
    assert sc.run_as_user is None
    assert sc.capabilities.drop == ["ALL"]
    assert sc.seccomp_profile.type == "RuntimeDefault"
    assert h.container_security_context(run_as_user=999).run_as_user == 999


def test_resources_default_limits_to_requests_and_add_extended_resources_to_both():
    r = h.resources("250m", "512Mi")
    assert r.requests == {"cpu": "250m", "memory": "512Mi"}
    assert r.limits == {"cpu": "250m", "memory": "512Mi"}
    r = h.resources("1", "2Gi", cpu_limit="2", memory_limit="4Gi", extra_limits={"nvidia.com/gpu": "1"})
    assert r.limits == {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": "1"}
    assert r.requests == {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": "1"}


def test_tmp_volume():
    volume, mount = h.tmp_volume()
    assert volume.name == mount.name == "tmp"
    assert volume.empty_dir.size_limit == "1Gi"
    assert mount.mount_path == "/tmp"
    volume, mount = h.tmp_volume("cache", "/home/app/.cache")
    assert (volume.name, mount.mount_path) == ("cache", "/home/app/.cache")


def test_restricted_namespace_labels():
    assert h.restricted_namespace_labels() == {
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "latest",
    }


def test_labels():
    assert h.MLSTACK_LABELS("mlflow", "tracking-server") == {
        "app.kubernetes.io/component": "tracking-server",
        "app.kubernetes.io/managed-by": "mlstack",
        "app.kubernetes.io/name": "mlflow",
        "app.kubernetes.io/part-of": "mlstack",
    }
    assert "app.kubernetes.io/component" not in h.MLSTACK_LABELS("x")
    assert h.selector_labels("mlflow") == {"app.kubernetes.io/name": "mlflow"}


def test_probe_and_secret_env():
    p = h.http_probe(initial_delay=10, failures=30)
    assert (p.http_get.path, p.http_get.port, p.initial_delay_seconds, p.failure_threshold) == ("/health", "http", 10, 30)
    e = h.secret_env_var("X", "s", "k")
    assert e.value is None and e.value_from.secret_key_ref.name == "s" and e.value_from.secret_key_ref.key == "k"
