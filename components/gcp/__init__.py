"""GCP components of mlstack: one ComponentResource per module, composed by :class:`GcpEnvironment`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

# Public names, imported when first used (PEP 562): a program that uses one component does not import every
# module's SDK classes. The TYPE_CHECKING imports give editors and pyright the same names with their types;
# tests/test_public_api.py checks that both lists agree and that every component and its Args are exported.
_EXPORTS = {
    "Audit": "audit",
    "AuditArgs": "audit",
    "Bucket": "bucket",
    "BucketArgs": "bucket",
    "CiTrust": "ci_trust",
    "CiTrustArgs": "ci_trust",
    "Cluster": "cluster",
    "ClusterArgs": "cluster",
    "ComputeClass": "compute_class",
    "ComputeClassArgs": "compute_class",
    "ContainerRegistry": "container_registry",
    "ContainerRegistryArgs": "container_registry",
    "BucketGrant": "data_identity",
    "DataIdentity": "data_identity",
    "DataIdentityArgs": "data_identity",
    "GcpEnvironment": "environment",
    "GcpEnvironmentArgs": "environment",
    "Network": "network",
    "NetworkArgs": "network",
    "NodePool": "node_pool",
    "NodePoolArgs": "node_pool",
    "ScratchFileSystem": "scratch_file_system",
    "ScratchFileSystemArgs": "scratch_file_system",
    "SharedFileSystem": "shared_file_system",
    "SharedFileSystemArgs": "shared_file_system",
    "TpuNodePool": "tpu_node_pool",
    "TpuNodePoolArgs": "tpu_node_pool",
    "TrackingDatabase": "tracking_database",
    "TrackingDatabaseArgs": "tracking_database",
    "WorkloadIdentity": "identity",
    "WorkloadIdentityArgs": "identity",
}
__all__ = [
    "Audit",
    "AuditArgs",
    "Bucket",
    "BucketArgs",
    "CiTrust",
    "CiTrustArgs",
    "Cluster",
    "ClusterArgs",
    "ComputeClass",
    "ComputeClassArgs",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "BucketGrant",
    "DataIdentity",
    "DataIdentityArgs",
    "GcpEnvironment",
    "GcpEnvironmentArgs",
    "Network",
    "NetworkArgs",
    "NodePool",
    "NodePoolArgs",
    "ScratchFileSystem",
    "ScratchFileSystemArgs",
    "SharedFileSystem",
    "SharedFileSystemArgs",
    "TpuNodePool",
    "TpuNodePoolArgs",
    "TrackingDatabase",
    "TrackingDatabaseArgs",
    "WorkloadIdentity",
    "WorkloadIdentityArgs",
]

if TYPE_CHECKING:
    from .audit import Audit, AuditArgs
    from .bucket import Bucket, BucketArgs
    from .ci_trust import CiTrust, CiTrustArgs
    from .cluster import Cluster, ClusterArgs
    from .compute_class import ComputeClass, ComputeClassArgs
    from .container_registry import ContainerRegistry, ContainerRegistryArgs
    from .data_identity import BucketGrant, DataIdentity, DataIdentityArgs
    from .environment import GcpEnvironment, GcpEnvironmentArgs
    from .identity import WorkloadIdentity, WorkloadIdentityArgs
    from .network import Network, NetworkArgs
    from .node_pool import NodePool, NodePoolArgs
    from .scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs
    from .shared_file_system import SharedFileSystem, SharedFileSystemArgs
    from .tpu_node_pool import TpuNodePool, TpuNodePoolArgs
    from .tracking_database import TrackingDatabase, TrackingDatabaseArgs


__getattr__ = exports(__name__, _EXPORTS)
