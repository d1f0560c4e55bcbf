"""The on-premise target: an existing cluster gets what a cloud would give, in-cluster.

Postgres (CloudNativePG), an S3 object store (SeaweedFS), an image registry, the NFS provisioner and the audit policy come from
``OnPremEnvironment``; the platform layer then binds the object store for artifacts and the NFS provisioner for the
``shared`` class. Node pools describe existing nodes: each is an ``OnPremNodePool`` component that creates
nothing and carries the selector the platform schedules by, so the plan still lists every pool.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.onprem.environment import OnPremEnvironment, OnPremEnvironmentArgs
from mlstack.components.onprem.node_setup import OnPremNodePool, OnPremNodePoolArgs
from mlstack.targets.bindings import Bindings, Identities, MlflowAccess, cluster_provider
from mlstack.spec import Spec

# The platform layer owns `mlstack-system` (the verification Job); on-prem services keep their own namespace.
ONPREM_SYSTEM_NAMESPACE = "mlstack-onprem"


# MLflow's laptop endpoint (tracking.access): the lab's own load balancer (e.g. MetalLB, on the lab network) or
# its ingress controller (ingress-nginx by default); nothing on premise is internet-facing unless you route it.
MLFLOW_ACCESS = MlflowAccess(ingress_class="nginx")

def environment_args(spec: Spec, catalog: Catalog, versions: dict[str, str]) -> OnPremEnvironmentArgs:
    shared = spec.storage.shared
    assert shared is not None and shared.nfs_server and shared.nfs_path  # the spec rules require them
    charts, images = catalog.versions.charts, catalog.versions.images
    postgres = images["postgres"]
    return OnPremEnvironmentArgs(
        nfs_server=shared.nfs_server,
        nfs_path=shared.nfs_path,
        cnpg_chart_version=charts["cloudnative-pg"].version,
        cnpg_chart_repository=charts["cloudnative-pg"].repo,
        cnpg_operator_image=images["cloudnative-pg"].ref,
        # The operand image follows versions.postgres; the catalogue's tag when the majors agree.
        postgres_image=postgres.ref
        if postgres.tag.split(".")[0] == versions["postgres"].split(".")[0]
        else f"{postgres.repository}:{versions['postgres']}",
        object_store_image=images["seaweedfs"].ref,
        registry_image=images["registry"].ref,
        nfs_chart_version=charts["nfs-subdir-external-provisioner"].version,
        nfs_chart_repository=charts["nfs-subdir-external-provisioner"].repo,
        nfs_image=images["nfs-subdir-external-provisioner"].ref,
        buckets={key: bucket.versioning for key, bucket in sorted(spec.storage.buckets.items())},
        artifacts_bucket=spec.tracking.artifacts_bucket,
        protect=spec.protected,
        system_namespace=ONPREM_SYSTEM_NAMESPACE,
        database_high_availability=spec.tracking.database.high_availability,
        database_size_gib=spec.tracking.database.storage_gib,
        audit_retention_days=spec.audit.retention_days,
    )


def provision(
    spec: Spec, catalog: Catalog, versions: dict[str, str], identities: Identities, platform: Mapping[str, str] | None = None
) -> Bindings:
    """Registers the in-cluster services and returns what the platform layer binds to. ``platform`` (a lock's cloud
    versions) has nothing to pin here: the existing cluster's versions are not mlstack's to choose."""
    provider = cluster_provider(
        spec.prefix, context=spec.target.kube_context, kubeconfig=_kubeconfig_text(spec.target.kubeconfig_path)
    )
    env = OnPremEnvironment(
        spec.prefix, environment_args(spec, catalog, versions), opts=pulumi.ResourceOptions(providers=[provider])
    )
    for key, pool in sorted(spec.node_pools.items()):
        OnPremNodePool(
            f"{spec.prefix}-{key}",
            OnPremNodePoolArgs(
                selector=dict(sorted((pool.selector or {}).items())),
                accelerator=pool.accelerator,
                gpus_per_node=pool.gpus_per_node or 0,
            ),
        )
    return Bindings(
        identities=identities,
        # No cloud OIDC trust on premise: CI logs in with the ServiceAccount's token.
        ci_issue_token=True,
        provider=provider,
        kube_context=spec.target.kube_context,
        storage_provisioner=OnPremEnvironmentArgs.storage_provisioner_name,
        storage_parameters=dict(env.storage_parameters),
        artifacts_uri=env.tracking_artifacts_uri,
        database_uri=env.tracking_database_uri,
        mlflow_env={"MLFLOW_S3_ENDPOINT_URL": env.s3_endpoint_url},
        mlflow_access=MLFLOW_ACCESS,
        mlflow_secret_env={"AWS_ACCESS_KEY_ID": env.s3_access_key_id, "AWS_SECRET_ACCESS_KEY": env.s3_secret_access_key},
        registry_host=env.registry_host,
        # The existing scratch export (Lustre through its NFS gateway, or NFS), mounted as static volumes.
        scratch_source={"nfs_server": spec.storage.scratch.nfs_server, "nfs_path": spec.storage.scratch.nfs_path}
        if spec.storage.scratch
        else None,
        outputs={
            "registry_host": env.registry_host,
            "s3_endpoint_url": env.s3_endpoint_url,
            "tracking_artifacts_uri": env.tracking_artifacts_uri,
            "bucket_names": env.bucket_names,
            "audit_api_server_flags": env.audit_api_server_flags,
        },
        depends_on=[env],
    )


def _kubeconfig_text(path: str | None) -> pulumi.Input[str] | None:
    """The kubeconfig file the spec names, as its path: the Kubernetes provider takes a kubeconfig's contents or
    its path and reads the file itself when it runs, so the offline plan reads no local file (a machine without
    it still plans) and the file's contents never reach the state."""
    if path is None:
        return None
    from pathlib import Path

    return str(Path(path).expanduser())
