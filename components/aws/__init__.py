"""AWS components of mlstack: one ComponentResource per module, composed by :class:`AwsEnvironment`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import exports

# Public names, imported when first used (PEP 562): a program that uses one component does not import every
# module's SDK classes. The TYPE_CHECKING imports give editors and pyright the same names with their types;
# tests/test_public_api.py checks that both lists agree and that every component and its Args are exported.
_EXPORTS = {
    "Audit": "audit",
    "AuditArgs": "audit",
    "AwsEnvironment": "environment",
    "AwsEnvironmentArgs": "environment",
    "Bucket": "bucket",
    "BucketArgs": "bucket",
    "CiTrust": "ci_trust",
    "CiTrustArgs": "ci_trust",
    "Cluster": "cluster",
    "ClusterArgs": "cluster",
    "ClusterAutoscaler": "cluster_autoscaler",
    "ClusterAutoscalerArgs": "cluster_autoscaler",
    "ContainerRegistry": "container_registry",
    "ContainerRegistryArgs": "container_registry",
    "InterruptionQueue": "interruption_queue",
    "InterruptionQueueArgs": "interruption_queue",
    "Karpenter": "karpenter",
    "KarpenterArgs": "karpenter",
    "KarpenterNodePool": "karpenter_node_pool",
    "KarpenterNodePoolArgs": "karpenter_node_pool",
    "LoadBalancerController": "load_balancer_controller",
    "LoadBalancerControllerArgs": "load_balancer_controller",
    "LustreCsiDriver": "lustre_csi_driver",
    "LustreCsiDriverArgs": "lustre_csi_driver",
    "ManagedPrometheus": "managed_prometheus",
    "ManagedPrometheusArgs": "managed_prometheus",
    "Network": "network",
    "NetworkArgs": "network",
    "NodePool": "node_pool",
    "NodePoolArgs": "node_pool",
    "ScratchFileSystem": "scratch_file_system",
    "ScratchFileSystemArgs": "scratch_file_system",
    "SharedFileSystem": "shared_file_system",
    "SharedFileSystemArgs": "shared_file_system",
    "Taint": "node_pool",
    "TrackingDatabase": "tracking_database",
    "TrackingDatabaseArgs": "tracking_database",
    "WorkloadRole": "irsa_role",
    "WorkloadRoleArgs": "irsa_role",
}
__all__ = [
    "Audit",
    "AuditArgs",
    "AwsEnvironment",
    "AwsEnvironmentArgs",
    "Bucket",
    "BucketArgs",
    "CiTrust",
    "CiTrustArgs",
    "Cluster",
    "ClusterArgs",
    "ClusterAutoscaler",
    "ClusterAutoscalerArgs",
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "InterruptionQueue",
    "InterruptionQueueArgs",
    "Karpenter",
    "KarpenterArgs",
    "KarpenterNodePool",
    "KarpenterNodePoolArgs",
    "LoadBalancerController",
    "LoadBalancerControllerArgs",
    "LustreCsiDriver",
    "LustreCsiDriverArgs",
    "ManagedPrometheus",
    "ManagedPrometheusArgs",
    "Network",
    "NetworkArgs",
    "NodePool",
    "NodePoolArgs",
    "ScratchFileSystem",
    "ScratchFileSystemArgs",
    "SharedFileSystem",
    "SharedFileSystemArgs",
    "Taint",
    "TrackingDatabase",
    "TrackingDatabaseArgs",
    "WorkloadRole",
    "WorkloadRoleArgs",
]

if TYPE_CHECKING:
    from .audit import Audit, AuditArgs
    from .bucket import Bucket, BucketArgs
    from .ci_trust import CiTrust, CiTrustArgs
    from .cluster import Cluster, ClusterArgs
    from .cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
    from .container_registry import ContainerRegistry, ContainerRegistryArgs
    from .environment import AwsEnvironment, AwsEnvironmentArgs
    from .interruption_queue import InterruptionQueue, InterruptionQueueArgs
    from .irsa_role import WorkloadRole, WorkloadRoleArgs
    from .karpenter import Karpenter, KarpenterArgs
    from .karpenter_node_pool import KarpenterNodePool, KarpenterNodePoolArgs
    from .load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs
    from .lustre_csi_driver import LustreCsiDriver, LustreCsiDriverArgs
    from .managed_prometheus import ManagedPrometheus, ManagedPrometheusArgs
    from .network import Network, NetworkArgs
    from .node_pool import NodePool, NodePoolArgs, Taint
    from .scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs
    from .shared_file_system import SharedFileSystem, SharedFileSystemArgs
    from .tracking_database import TrackingDatabase, TrackingDatabaseArgs


__getattr__ = exports(__name__, _EXPORTS)
