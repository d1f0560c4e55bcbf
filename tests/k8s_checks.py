"""Reusable checks over a recorded plan's Kubernetes objects: schema validation and pod hardening.

- :func:`manifests` turns every recorded Kubernetes resource (type ``kubernetes:<group>/<version>:<Kind>``)
  into the manifest the provider would send: the recorded wire inputs are already camelCase manifests;
  Helm releases (not manifests) and providers are skipped.
- :func:`validate_manifests` validates them with kubernetes-validate's strict schemas, one compiled
  validator per (version, apiVersion, kind); custom resources with a CRD schema in ``crd_schemas`` (Kueue,
  JobSet, Trainer) against that.
- :func:`hardening_violations` walks every pod spec (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
  CronJob, Pod) and lists each missing hardening setting and each image without a pinned version.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

SECRET = "[secret]"
NOT_MANIFESTS = ("kubernetes:helm.sh/", "pulumi:providers:", "kubernetes:yaml", "kubernetes:kustomize")
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
WORKLOADS = LONG_RUNNING | {"Job", "CronJob", "Pod"}
_TYPE = re.compile(r"^kubernetes:(?P<group>[^/:]+)/(?P<version>[^:]+):(?P<kind>\w+)$")


def api_version_of(type_token: str) -> tuple[str, str]:
    """``kubernetes:rbac.authorization.k8s.io/v1:Role`` -> ("rbac.authorization.k8s.io/v1", "Role");
    the core group is ``v1``."""
    m = _TYPE.match(type_token)
    if not m:
        raise ValueError(f"not a Kubernetes type token: {type_token}")
    group = m["group"]
    return (m["version"] if group == "core" else f"{group}/{m['version']}"), m["kind"]


def is_manifest(type_token: str) -> bool:
    return type_token.startswith("kubernetes:") and not type_token.startswith(NOT_MANIFESTS)


def _unmask(manifest: dict[str, Any]) -> dict[str, Any]:
    # A plan masks secrets; a masked map still has to be a map for the schema.
    out = dict(manifest)
    for key in ("data", "stringData"):
        if out.get(key) == SECRET:
            out[key] = {"masked": SECRET}
        elif isinstance(out.get(key), dict):
            out[key] = {k: (v if isinstance(v, str) else SECRET) for k, v in out[key].items()}
    return out


def manifests(resources: Iterable[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """(registration, manifest) for every Kubernetes object among ``resources`` (plan registrations).

    The kind and apiVersion come from the type token; a recorded ``kind``/``apiVersion`` that disagrees
    is an error.
    """
    out = []
    for reg in resources:
        if not is_manifest(reg.type):
            continue
        api_version, kind = api_version_of(reg.type)
        manifest = _unmask(reg.inputs)
        for key, want in (("apiVersion", api_version), ("kind", kind)):
            if manifest.get(key, want) != want:
                raise AssertionError(f"{reg.urn}: recorded {key} {manifest[key]!r}, type token says {want!r}")
        manifest["apiVersion"], manifest["kind"] = api_version, kind
        out.append((reg, manifest))
    return out


@functools.lru_cache(maxsize=None)
def _validator(version: str, api_version: str, kind: str):
    """One compiled strict validator per (Kubernetes version, apiVersion, kind), as kubernetes-validate builds it."""
    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    schema_version = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(version)][-1]
    schema_dir = f"kubernetes-json-schema/v{schema_version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{schema_dir}/{kind.lower()}-{group}.json", version)
    except FileNotFoundError:
        raise utils.SchemaNotFoundError(version=version, kind=kind, api_version=api_version) from None
    definitions = utils.schema_contents(f"{schema_dir}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def validate_manifests(items: Iterable[tuple[Any, dict[str, Any]]], version: str) -> list[str]:
    """Validates each manifest strictly against ``version``'s schema; returns one message per invalid object."""
    from crd_schemas import has_schema, validate_custom

    errors = []
    for reg, manifest in items:
        if has_schema(manifest["apiVersion"], manifest["kind"]):
            # A custom resource mlstack has a strict CRD schema for (Kueue, JobSet, Trainer).
            errors.extend(validate_custom(manifest, reg.urn, version))
            continue
        validator = _validator(version, manifest["apiVersion"], manifest["kind"])
        for err in validator.iter_errors(manifest):
            path = "/".join(str(p) for p in err.absolute_path)
            errors.append(f"{reg.urn}: {path}: {err.message}")
    return errors


# -- hardening -------------------------------------------------------------------------------------------


def pod_specs(resources: Iterable[Any]) -> list[tuple[Any, str, dict[str, Any]]]:
    """(registration, kind, pod spec) for every workload among ``resources``."""
    out = []
    for reg, manifest in manifests(resources):
        kind = manifest["kind"]
        if kind not in WORKLOADS:
            continue
        spec = manifest.get("spec") or {}
        if kind == "Pod":
            pod = spec
        elif kind == "CronJob":
            pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
        else:
            pod = spec.get("template", {}).get("spec", {})
        out.append((reg, kind, pod))
    return out


def image_pinned(image: str) -> bool:
    """True when ``image`` carries a digest, or a tag other than ``latest``."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("", "latest")


def _container_violations(where: str, c: dict[str, Any], pod: dict[str, Any], long_running: bool) -> list[str]:
    out = []
    psc = pod.get("securityContext") or {}
    sc = c.get("securityContext") or {}
    if not image_pinned(str(c.get("image", ""))):
        out.append(f"{where}: image {c.get('image')!r} has no pinned tag or digest")
    if sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True:
        out.append(f"{where}: runAsNonRoot is not true")
    if sc.get("readOnlyRootFilesystem") is not True:
        out.append(f"{where}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        out.append(f"{where}: allowPrivilegeEscalation is not false")
    if sc.get("privileged"):
        out.append(f"{where}: privileged")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        out.append(f"{where}: capabilities do not drop ALL")
    if (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        out.append(f"{where}: seccompProfile is not RuntimeDefault")
    res = c.get("resources") or {}
    for part in ("requests", "limits"):
        for name in ("cpu", "memory"):
            if name not in (res.get(part) or {}):
                out.append(f"{where}: no {part}.{name}")
    if long_running:
        for probe in ("readinessProbe", "livenessProbe"):
            if not c.get(probe):
                out.append(f"{where}: no {probe}")
    return out


def hardening_violations(resources: Iterable[Any]) -> list[str]:
    """Every missing hardening setting of every pod spec among ``resources`` (plan registrations).

    Per container (init containers too): a pinned image; runAsNonRoot (container or pod); readOnlyRootFilesystem;
    allowPrivilegeEscalation false; not privileged; capabilities drop ALL; seccomp RuntimeDefault (container or
    pod); cpu and memory requests and limits; readiness and liveness probes for long-running workloads' main
    containers. Per pod: no hostNetwork/hostPID/hostIPC.
    """
    out = []
    for reg, kind, pod in pod_specs(resources):
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(flag):
                out.append(f"{reg.name} ({kind}): {flag}")
        if not pod.get("containers"):
            out.append(f"{reg.name} ({kind}): no containers")
        for group, probed in (("initContainers", False), ("containers", kind in LONG_RUNNING)):
            for c in pod.get(group) or []:
                where = f"{reg.name} ({kind}) {group}/{c.get('name')}"
                out.extend(_container_violations(where, c, pod, probed))
    return out


# -- a sample platform, for tests --------------------------------------------------------------------------

MLFLOW_IMAGE = "ghcr.io/mlflow/mlflow:v2.17.2"


def sample_platform_args(target: str = "aws", **overrides: Any):
    """PlatformArgs as the engine would map a typical spec, for ``target`` "aws" or "onprem"."""
    import pulumi

    from mlstack.components.aws.db_credentials_hook import PYTHON_HOOKS
    from mlstack.components.k8s.ci_access import CiAccessArgs
    from mlstack.components.k8s.gpu_support import GpuSupportArgs
    from mlstack.components.k8s.platform import PlatformArgs
    from mlstack.components.k8s.shared_storage import SharedStorageArgs
    from mlstack.components.k8s.team import TeamArgs
    from mlstack.components.k8s.tracking_server import TrackingServerArgs
    from mlstack.components.k8s.verify_job import GpuPoolCheckArgs, VerifyJobArgs

    if target == "aws":
        storage = SharedStorageArgs(
            provisioner="efs.csi.aws.com",
            size_gib=1024,
            parameters={"provisioningMode": "efs-ap", "fileSystemId": "fs-0123456789abcdef0", "directoryPerms": "700"},
        )
        sa = {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/acme-ml-test-mlflow"}
        artifacts, env, secret_env = "s3://acme-ml-test-artifacts/mlflow", {}, {}
        hooks = PYTHON_HOOKS  # as the AWS mapping passes them
        ci = CiAccessArgs(groups=["mlstack-ci"])
        gpu = GpuSupportArgs(chart_version="0.17.0")
    else:
        storage = SharedStorageArgs(
            provisioner="cluster.local/nfs-subdir-external-provisioner",
            size_gib=1024,
            parameters={"archiveOnDelete": "true"},
            mount_options=["nfsvers=4.1"],
        )
        sa, artifacts = {}, "s3://mlflow/artifacts"
        env = {"MLFLOW_S3_ENDPOINT_URL": "http://minio.minio.svc.cluster.local:9000"}
        secret_env = {"AWS_ACCESS_KEY_ID": pulumi.Output.secret("minio"), "AWS_SECRET_ACCESS_KEY": pulumi.Output.secret("minio-secret")}
        ci = CiAccessArgs(issue_token=True)
        hooks = {}
        gpu = GpuSupportArgs(chart_version="v24.9.0", gpu_operator=True)
    args = PlatformArgs(
        storage=storage,
        tracking=TrackingServerArgs(
            image=MLFLOW_IMAGE,
            database_uri=pulumi.Output.secret("postgresql://mlflow:pw@db:5432/mlflow"),
            auth_database_uri=pulumi.Output.secret("postgresql://mlflow:pw@db:5432/mlflow_auth"),
            artifacts_uri=artifacts,
            replicas=2,
            service_account_annotations=sa,
            env=env,
            secret_env=secret_env,
            python_hooks=hooks,
        ),
        verify=VerifyJobArgs(image=MLFLOW_IMAGE, gpu_pools={"a100": GpuPoolCheckArgs(node_labels={"mlstack.io/pool": "a100"}, devices=8)}),
        teams={"research": TeamArgs(group="research", gpu_quota=16), "vision": TeamArgs(group="vision", gpu_quota=8)},
        gpu=gpu,
        ci=ci,
    )
    import dataclasses

    return dataclasses.replace(args, **overrides)


def record_sample_platform(record_plan, target: str = "aws", name: str = "acme-ml-test", **overrides: Any):
    """Records a Platform built from :func:`sample_platform_args` with an explicit provider ``test-k8s``."""
    import pulumi
    import pulumi_kubernetes as k8s

    from mlstack.components.k8s.platform import Platform

    def program() -> None:
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        Platform(name, sample_platform_args(target, **overrides), pulumi.ResourceOptions(providers=[provider]))

    return record_plan(program)


def record_with_provider(record_plan, build):
    """Records ``build(opts)`` where ``opts`` carries an explicit Kubernetes provider named ``test-k8s``."""
    import pulumi
    import pulumi_kubernetes as k8s

    def program() -> None:
        build(pulumi.ResourceOptions(providers=[k8s.Provider("test-k8s", kubeconfig="{}")]))

    return record_plan(program)
