"""Hardening helpers every mlstack pod spec uses: security contexts, resources, labels.

Every pod mlstack creates runs as a non-root user (uid/gid 65532, the "nonroot" user of distroless
images), with a read-only root file system (writable paths come from ``emptyDir`` volumes, see
:func:`tmp_volume`), no privilege escalation, all Linux capabilities dropped and the runtime's default
seccomp profile. That is exactly what the Pod Security Admission "restricted" level demands, plus the
read-only root file system, so the namespaces can enforce "restricted" (:func:`restricted_namespace_labels`).
The contexts are written once: typed (:func:`pod_security_context`, :func:`container_security_context`) for
the components' own pods, and as plain data (:func:`restricted_pod`, :func:`restricted_container`) for Helm
values, CRD templates and raw manifests.

This module is a stable API: other components (on-prem services) import it.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

#: The uid/gid pods run as unless a component overrides it (distroless "nonroot").
NONROOT_UID = 65532

#: Pod Security Admission level the team and system namespaces enforce.
PSA_LEVEL = "restricted"

#: PSA policy version pinned in namespace labels. "latest" follows the cluster's own version, so the
#: policy tightens with a cluster upgrade rather than freezing at a past release; all mlstack pods
#: already meet the current "restricted" level, so following it costs nothing and misses no new check.
PSA_VERSION = "latest"

#: Value of ``app.kubernetes.io/managed-by`` on every object mlstack creates.
MANAGED_BY = "mlstack"


def _seccomp() -> k8s.core.v1.SeccompProfileArgs:
    return k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")


def pod_security_context(
    fs_group: int = NONROOT_UID,
    run_as_user: int = NONROOT_UID,
    run_as_group: int = NONROOT_UID,
) -> k8s.core.v1.PodSecurityContextArgs:
    """The pod-level security context: non-root uid/gid, ``fs_group`` for volume ownership, RuntimeDefault seccomp.

    Args:
        fs_group: group that owns mounted volumes (so the non-root user can write the shared PVC); 65532.
        run_as_user: uid of every container unless a container overrides it; 65532.
        run_as_group: primary gid of every container; 65532.
    """
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=run_as_user,
        run_as_group=run_as_group,
        fs_group=fs_group,
        seccomp_profile=_seccomp(),
    )


def container_security_context(run_as_user: int | None = None) -> k8s.core.v1.SecurityContextArgs:
    """The container-level security context: no escalation, read-only root, drop ALL capabilities.

    Args:
        run_as_user: a uid for this container when its image needs one other than the pod's; by
            default unset, so the pod's ``run_as_user`` applies.
    """
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        run_as_non_root=True,
        run_as_user=run_as_user,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        seccomp_profile=_seccomp(),
    )


# The same contexts as plain data (camelCase), for Helm values, CRD templates and raw manifests.
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}


def restricted_pod(uid: int | None = None, fs_group: int | None = None, **extra: Any) -> dict[str, Any]:
    """A pod's security context as plain data: ``runAsNonRoot`` and the RuntimeDefault seccomp profile.

    Args:
        uid: the uid and gid every container runs as (``runAsUser``/``runAsGroup``); unset: the image's.
        fs_group: the group that owns mounted volumes (``fsGroup``); unset: none.
        **extra: further fields, as the chart or CRD spells them.
    """
    out: dict[str, Any] = {"runAsNonRoot": True}
    if uid is not None:
        out |= {"runAsUser": uid, "runAsGroup": uid}
    if fs_group is not None:
        out["fsGroup"] = fs_group
    return out | {"seccompProfile": dict(RUNTIME_DEFAULT)} | extra


def restricted_container(pod_level: bool = True, **extra: Any) -> dict[str, Any]:
    """A container's security context as plain data: no privilege escalation, a read-only root file system
    and every capability dropped (what :func:`container_security_context` sets).

    Args:
        pod_level: also ``runAsNonRoot`` and the RuntimeDefault seccomp profile; False where the chart sets
            them in its own pod security context and takes only the container's fields here.
        **extra: further fields (``runAsUser``...), as the chart or CRD spells them.
    """
    out: dict[str, Any] = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    if pod_level:
        out |= {"runAsNonRoot": True, "seccompProfile": dict(RUNTIME_DEFAULT)}
    return out | extra


def resources(
    cpu: str,
    memory: str,
    cpu_limit: str | None = None,
    memory_limit: str | None = None,
    extra_limits: dict[str, str] | None = None,
) -> k8s.core.v1.ResourceRequirementsArgs:
    """Requests and limits. Limits default to the requests (Guaranteed QoS for the memory part).

    Args:
        cpu: CPU request, e.g. "250m".
        memory: memory request, e.g. "512Mi".
        cpu_limit: CPU limit; defaults to ``cpu``.
        memory_limit: memory limit; defaults to ``memory``.
        extra_limits: further limits, e.g. ``{"nvidia.com/gpu": "1"}``; extended resources must be
            requested equal to their limit, so they are added to the requests as well.
    """
    requests = {"cpu": cpu, "memory": memory}
    limits = {"cpu": cpu_limit or cpu, "memory": memory_limit or memory}
    for key, value in sorted((extra_limits or {}).items()):
        limits[key] = value
        requests[key] = value
    return k8s.core.v1.ResourceRequirementsArgs(requests=requests, limits=limits)


def tmp_volume(
    name: str = "tmp", mount_path: str = "/tmp", size_limit: str = "1Gi"
) -> tuple[k8s.core.v1.VolumeArgs, k8s.core.v1.VolumeMountArgs]:
    """An ``emptyDir`` volume and its mount, for a path the program writes under a read-only root.

    Args:
        name: the volume's name; "tmp".
        mount_path: where the container sees it; "/tmp".
        size_limit: the most the volume may hold before the pod is evicted; "1Gi".
    """
    volume = k8s.core.v1.VolumeArgs(name=name, empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=size_limit))
    mount = k8s.core.v1.VolumeMountArgs(name=name, mount_path=mount_path)
    return volume, mount


def restricted_namespace_labels() -> dict[str, str]:
    """Pod Security Admission labels: enforce, audit and warn at "restricted", version "latest"."""
    labels: dict[str, str] = {}
    for mode in ("audit", "enforce", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = PSA_LEVEL
        labels[f"pod-security.kubernetes.io/{mode}-version"] = PSA_VERSION
    return dict(sorted(labels.items()))


def MLSTACK_LABELS(name: str, component: str | None = None, part_of: str = "mlstack", **extra: str) -> dict[str, str]:  # noqa: N802
    """The recommended ``app.kubernetes.io/*`` labels, sorted, plus ``extra``.

    Args:
        name: ``app.kubernetes.io/name``, e.g. "mlflow".
        component: ``app.kubernetes.io/component``, e.g. "tracking-server"; omitted when None.
        part_of: ``app.kubernetes.io/part-of``; "mlstack".
        **extra: further labels (keys as given).
    """
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": part_of,
    }
    if component:
        labels["app.kubernetes.io/component"] = component
    labels.update(extra)
    return dict(sorted(labels.items()))


def selector_labels(name: str, component: str | None = None) -> dict[str, str]:
    """The stable subset of :func:`MLSTACK_LABELS` used in selectors (selectors are immutable)."""
    labels = {"app.kubernetes.io/name": name}
    if component:
        labels["app.kubernetes.io/component"] = component
    return labels


def http_probe(
    path: str = "/health", port: str | int = "http", initial_delay: int = 0, period: int = 10, failures: int = 3
) -> k8s.core.v1.ProbeArgs:
    """An HTTP GET probe (readiness, liveness or startup) with a 5 s timeout.

    Args:
        path: the path probed; "/health".
        port: the container port's name or number; "http".
        initial_delay: seconds before the first probe; 0.
        period: seconds between probes; 10.
        failures: consecutive failures that count as failed; 3.
    """
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=port),
        initial_delay_seconds=initial_delay,
        period_seconds=period,
        timeout_seconds=5,
        failure_threshold=failures,
    )


def secret_env_var(name: str, secret: pulumi.Input[str], key: str) -> k8s.core.v1.EnvVarArgs:
    """An environment variable read from a Secret's key (``valueFrom.secretKeyRef``): never a literal value."""
    return k8s.core.v1.EnvVarArgs(
        name=name,
        value_from=k8s.core.v1.EnvVarSourceArgs(secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(name=secret, key=key)),
    )


def pinned_image(image: str, what: str = "image") -> tuple[str, str]:
    """``(repository, tag)`` of ``repository:tag``; a missing tag or ``latest`` is refused (no floating images).

    Raises:
        ValueError: the image is not pinned, naming ``what`` it is for.
    """
    repository, _, tag = image.rpartition(":")
    if not repository or not tag or "/" in tag:
        raise ValueError(f"{what} {image!r} must be 'repository:tag' with a pinned tag")
    if tag == "latest":
        raise ValueError(f"{what} {image!r} must pin a version, not 'latest'")
    return repository, tag
