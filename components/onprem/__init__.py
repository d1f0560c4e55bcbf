"""In-cluster services that stand in for a cloud's managed ones, for clusters mlstack does not create.

``components/k8s/`` is the platform layer every target gets; this package holds what a cloud would otherwise
provide, run on the cluster itself: PostgreSQL (CloudNativePG), the SeaweedFS S3 object store, a Distribution image
registry, the NFS subdirectory provisioner, the API server's audit policy, the description of existing node
pools, and :class:`~.environment.OnPremEnvironment`, which composes them on ``target.cloud: onprem``.
:class:`~.nfs_backend.NfsBackend` is used on GCP too, where the provisioner serves one Filestore share.

Type tokens keep their ``mlstack:k8s:`` area (``mlstack:k8s:ObjectStore``, ...): they were registered under it
before this package existed, and a token is part of every deployed resource's URN, so it never changes.
Modules here import from ``..k8s`` (hardening, the provider check), never the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

# Public names, imported when first used (PEP 562): a program that uses one component does not import every
# module's SDK classes. The TYPE_CHECKING imports give editors and pyright the same names with their types;
# tests/test_public_api.py checks that both lists agree and that every component and its Args are exported.
_EXPORTS = {
    "AuditPolicy": "audit_policy",
    "AuditPolicyArgs": "audit_policy",
    "ImageRegistry": "image_registry",
    "ImageRegistryArgs": "image_registry",
    "InClusterPostgres": "postgres",
    "InClusterPostgresArgs": "postgres",
    "NfsBackend": "nfs_backend",
    "NfsBackendArgs": "nfs_backend",
    "NfsProvisioner": "nfs_provisioner",
    "NfsProvisionerArgs": "nfs_provisioner",
    "ObjectStore": "object_store",
    "ObjectStoreArgs": "object_store",
    "OnPremEnvironment": "environment",
    "OnPremEnvironmentArgs": "environment",
    "OnPremNodePool": "node_setup",
    "OnPremNodePoolArgs": "node_setup",
}
__all__ = [
    "AuditPolicy",
    "AuditPolicyArgs",
    "ImageRegistry",
    "ImageRegistryArgs",
    "InClusterPostgres",
    "InClusterPostgresArgs",
    "NfsBackend",
    "NfsBackendArgs",
    "NfsProvisioner",
    "NfsProvisionerArgs",
    "ObjectStore",
    "ObjectStoreArgs",
    "OnPremEnvironment",
    "OnPremEnvironmentArgs",
    "OnPremNodePool",
    "OnPremNodePoolArgs",
]

if TYPE_CHECKING:
    from .audit_policy import AuditPolicy, AuditPolicyArgs
    from .environment import OnPremEnvironment, OnPremEnvironmentArgs
    from .image_registry import ImageRegistry, ImageRegistryArgs
    from .nfs_backend import NfsBackend, NfsBackendArgs
    from .nfs_provisioner import NfsProvisioner, NfsProvisionerArgs
    from .node_setup import OnPremNodePool, OnPremNodePoolArgs
    from .object_store import ObjectStore, ObjectStoreArgs
    from .postgres import InClusterPostgres, InClusterPostgresArgs


__getattr__ = exports(__name__, _EXPORTS)
