"""EksAddons: every EKS add-on of an environment, each at its locked version, and the versions EKS runs.

A lock records what each add-on runs (``platform_versions``: ``addon/<name>``) and ``up --locked`` passes it back, so
an add-on made anywhere but here would go unlocked: tests/deploy/test_lock_platform.py checks that none is missed.
The add-ons are plain resources of the environment (parented to it, as before this module existed), not a
component of their own: their URNs do not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .._base import child_opts, tags_with
from .cluster import Cluster
from .irsa_role import WorkloadRole, WorkloadRoleArgs

#: The EKS add-on that reports node health (GPU XID and DCGM faults among them) as node conditions.
NODE_MONITORING_ADDON = "eks-node-monitoring-agent"
EFS_CSI_POLICY = "service-role/AmazonEFSCSIDriverPolicy"  # AWS-managed; its ARN follows the partition


class EksAddons:
    """Makes the add-ons of ``cluster`` under ``parent``.

    Args:
        parent: the environment component; each add-on (and the EFS driver's role) is its child.
        cluster: the EKS cluster the add-ons go on.
        versions: add-on name -> the version to install (a lock's); an add-on without one gets EKS's default for
            the cluster's Kubernetes version.
        tags: tags on every add-on (``Name`` is added).

    Attributes:
        versions: ``addon/<name>`` -> the version each add-on runs, as EKS reports it (for ``platform_versions``).
    """

    def __init__(self, parent: pulumi.Resource, cluster: Cluster, versions: Mapping[str, str], tags: Mapping[str, str]) -> None:
        self._parent, self._cluster, self._locked, self._tags = parent, cluster, versions, tags
        self.versions: dict[str, pulumi.Output[str]] = {}

    def add(self, addon: str, resource: str, depends_on: Sequence[pulumi.Resource] = (), **extra: Any) -> aws.eks.Addon:
        """The add-on ``addon`` as resource ``resource``, adopting one EKS installed itself (OVERWRITE).
        ``depends_on``: resources it waits for (e.g. node groups for an add-on whose pods need nodes); ``extra``:
        further ``aws.eks.Addon`` inputs."""
        created = aws.eks.Addon(
            resource,
            cluster_name=self._cluster.cluster_name,
            addon_name=addon,
            addon_version=self._locked.get(addon),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags_with(dict(self._tags), Name=resource),
            opts=child_opts(self._parent, depends_on=list(depends_on) or None),
            **extra,
        )
        self.versions[f"addon/{addon}"] = created.addon_version
        return created

    def efs_csi_driver(self, name: str) -> aws.eks.Addon:
        """The add-on that mounts EFS volumes, with its controller's IRSA role (AWS-managed policy)."""
        role = WorkloadRole(
            f"{name}-efs-csi",
            WorkloadRoleArgs(
                namespace="kube-system",
                service_account="efs-csi-controller-sa",
                managed_policies=[EFS_CSI_POLICY],
                oidc_provider_arn=self._cluster.oidc_provider_arn,
                oidc_provider_url=self._cluster.oidc_provider_url,
                tags=tags_with(dict(self._tags)),
            ),
            opts=child_opts(self._parent),
        )
        return self.add("aws-efs-csi-driver", f"{name}-efs-csi", service_account_role_arn=role.role_arn)
