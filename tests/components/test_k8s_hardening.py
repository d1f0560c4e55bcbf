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


def test_the_plain_data_contexts_are_the_typed_ones_on_the_wire():
    """Helm values, CRD templates and raw manifests take the same restricted contexts as plain data."""
    assert h.restricted_container() == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
    }  # fmt: skip
    assert h.restricted_container(pod_level=False) == {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert h.restricted_container(runAsUser=10001)["runAsUser"] == 10001
    assert h.restricted_pod() == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert h.restricted_pod(uid=h.NONROOT_UID, fs_group=h.NONROOT_UID) == {
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"}}  # fmt: skip
    # Each call is a fresh object: a caller that changes its copy changes no other pod.
    a, b = h.restricted_pod(), h.restricted_pod()
    a["seccompProfile"]["type"] = "Localhost"
    assert b["seccompProfile"] == {"type": "RuntimeDefault"}
    # The typed helper sets the same fields (snake_case there, camelCase on the wire).
    sc = h.container_security_context()
    assert (sc.allow_privilege_escalation, sc.read_only_root_filesystem, sc.capabilities.drop, sc.run_as_non_root,
            sc.seccomp_profile.type) == (False, True, ["ALL"], True, "RuntimeDefault")


def test_no_component_spells_a_restricted_context_out():
    """The restricted contexts are written once, here: a component that needs one calls the helpers."""
    from pathlib import Path

    root = Path(h.__file__).resolve().parents[1]
    spelled = [str(p.relative_to(root)) for p in sorted(root.rglob("*.py"))
               if p.name != "hardening.py" and ('"drop": ["ALL"]' in p.read_text() or '"RuntimeDefault"' in p.read_text())]
    assert spelled == []
