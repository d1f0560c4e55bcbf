"""AWS components of mlstack: one ComponentResource per module, composed by :class:`AwsEnvironment`."""

from mlstack.components.aws.audit import Audit, AuditArgs
from mlstack.components.aws.bucket import Bucket, BucketArgs
from mlstack.components.aws.ci_trust import CiTrust, CiTrustArgs
from mlstack.components.aws.cluster import Cluster, ClusterArgs
from mlstack.components.aws.container_registry import ContainerRegistry, ContainerRegistryArgs
from mlstack.components.aws.environment import AwsEnvironment, AwsEnvironmentArgs
from mlstack.components.aws.irsa_role import WorkloadRole, WorkloadRoleArgs
from mlstack.components.aws.network import Network, NetworkArgs
from mlstack.components.aws.node_pool import NodePool, NodePoolArgs, Taint
from mlstack.components.aws.shared_file_system import SharedFileSystem, SharedFileSystemArgs
from mlstack.components.aws.tracking_database import TrackingDatabase, TrackingDatabaseArgs

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
    "ContainerRegistry",
    "ContainerRegistryArgs",
    "Network",
    "NetworkArgs",
    "NodePool",
    "NodePoolArgs",
    "SharedFileSystem",
    "SharedFileSystemArgs",
    "Taint",
    "TrackingDatabase",
    "TrackingDatabaseArgs",
    "WorkloadRole",
    "WorkloadRoleArgs",
]
