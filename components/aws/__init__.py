"""AWS components of mlstack: one ComponentResource per module, composed by :class:`AwsEnvironment`."""

from .audit import Audit, AuditArgs
from .bucket import Bucket, BucketArgs
from .ci_trust import CiTrust, CiTrustArgs
from .cluster import Cluster, ClusterArgs
from .container_registry import ContainerRegistry, ContainerRegistryArgs
from .environment import AwsEnvironment, AwsEnvironmentArgs
from .irsa_role import WorkloadRole, WorkloadRoleArgs
from .network import Network, NetworkArgs
from .node_pool import NodePool, NodePoolArgs, Taint
from .shared_file_system import SharedFileSystem, SharedFileSystemArgs
from .tracking_database import TrackingDatabase, TrackingDatabaseArgs

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
