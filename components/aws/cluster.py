"""Cluster: an EKS control plane with a private endpoint, KMS secrets encryption, logs and IRSA."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .._base import child_opts, stateful_opts
from ._util import (
    account_id,
    aws_managed_policy_arn,
    eks_access_policy_arn,
    kms_key,
    logs_key_policy,
    name_tags,
    partition,
    principal_digest,
    region_name,
    service_trust_policy,
)

TOKEN = "mlstack:aws:Cluster"

#: Every EKS control-plane log type.
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: Managed policies of the role every node group shares (kubelet, VPC CNI, image pulls, SSM Session Manager
#: instead of SSH). The CNI policy sits on the node role for simplicity; moving it to an IRSA role for
#: ``aws-node`` is stricter.
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)


@dataclass(frozen=True, kw_only=True)
class ClusterArgs:
    """Arguments of :class:`Cluster`.

    Attributes:
        version: Kubernetes version of the control plane (``versions.kubernetes``), e.g. ``"1.31"``.
        cluster_name: the EKS cluster's name; None uses the component's name. Explicit, so the log group
            (``/aws/eks/<name>/cluster``) and subnet tags can name it before it exists.
        subnet_ids: private subnets for the control-plane network interfaces (AwsEnvironment fills them in).
        public_access_cidrs: CIDRs allowed to reach a public endpoint. Empty (default) keeps the endpoint
            private only; any CIDR turns the public endpoint on, restricted to these CIDRs.
        authentication_mode: ``API`` (default: access entries only) or ``API_AND_CONFIG_MAP`` (also the
            legacy ``aws-auth`` ConfigMap).
        admin_principal_arns: IAM roles/users given cluster-admin through access entries (one each, named
            ``<name>-admin-<digest of the ARN>``, so adding or removing one leaves the others alone); default
            none.
        deployer_admin: cluster-admin for the IAM identity running the deployment (the role behind its
            session, ``aws.iam.get_session_context``), through the access entry ``<name>-deployer``; default
            True, so that the first ``up`` can install the platform layer. Set it False once
            ``admin_principal_arns`` names the admins: the next ``up`` deletes that entry and the access with
            it. EKS's own grant (``bootstrap_cluster_creator_admin_permissions``) stays off: it is hidden, and
            undoing it replaces the cluster. Do not also list the deployer in ``admin_principal_arns`` (EKS
            allows one access entry per principal).
        log_retention_days: days CloudWatch keeps control-plane logs; default 90.
        kms_deletion_window_days: waiting period before the secrets key is deleted (7 to 30); default 30.
        oidc_thumbprints: thumbprints for the IRSA OIDC provider. Default none: IAM then fetches the issuer's
            top intermediate CA thumbprint itself, and for issuers whose CA it trusts it ignores
            thumbprints, so pinning one only risks breaking on certificate rotation.
        protect: protect and retain the cluster and its secrets key.
        tags: tags for every resource, merged with ``Name``.
    """

    version: str
    cluster_name: str | None = None
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    public_access_cidrs: Sequence[str] = ()
    authentication_mode: Literal["API", "API_AND_CONFIG_MAP"] = "API"
    admin_principal_arns: Sequence[str] = ()
    deployer_admin: bool = True
    log_retention_days: int = 90
    kms_deletion_window_days: int = 30
    oidc_thumbprints: Sequence[str] = ()
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)


class Cluster(pulumi.ComponentResource):
    """An EKS cluster, its IAM roles, secrets key, log group and IRSA OIDC provider.

    Outputs:
        cluster_name, cluster_arn, endpoint, certificate_authority (base64 PEM), oidc_provider_arn,
        oidc_provider_url (issuer without ``https://``), node_role_arn, node_role_name,
        cluster_security_group_id, kubeconfig (secret JSON kubeconfig using ``aws eks get-token``),
        platform_version (the EKS platform version the control plane runs, e.g. ``eks.7``: EKS chooses it, and with
        it the Kubernetes patch; what a lock records).
    """

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.subnet_ids is None:
            raise ValueError(f"{name}: ClusterArgs.subnet_ids is required")
        tags = args.tags
        cluster_name = args.cluster_name or name
        for arn in args.admin_principal_arns:
            check_principal(arn)
        if len(set(args.admin_principal_arns)) != len(args.admin_principal_arns):
            raise ValueError(f"{name}: admin_principal_arns lists a principal twice: {sorted(args.admin_principal_arns)}")

        part = partition(self)  # aws, aws-us-gov or aws-cn: every ARN below is built from it
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust_policy("eks.amazonaws.com", tag_session=True),
            tags=name_tags(tags, f"{name}-role"),
            opts=child_opts(self),
        )
        role_policy = aws.iam.RolePolicyAttachment(
            f"{name}-role-AmazonEKSClusterPolicy",
            role=role.name,
            policy_arn=aws_managed_policy_arn(part, "AmazonEKSClusterPolicy"),
            opts=child_opts(self),
        )
        key = kms_key(
            f"{name}-secrets",
            self,
            description=f"EKS secrets encryption for {cluster_name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            opts=stateful_opts(self, args.protect),
        )
        # The control plane's logs (audit included) under a key of their own that CloudWatch Logs may use for
        # this group only; the secrets key stays the cluster's alone.
        log_group = f"/aws/eks/{cluster_name}/cluster"
        logs_key = kms_key(
            f"{name}-logs-key",
            self,
            description=f"CloudWatch Logs of the EKS control plane of {cluster_name}",
            tags=tags,
            deletion_window_days=args.kms_deletion_window_days,
            policy=logs_key_policy(self, pulumi.Output.format(
                "arn:{0}:logs:{1}:{2}:log-group:{3}", part, region_name(self), account_id(self), log_group)),
            opts=stateful_opts(self, args.protect),
        )
        # Created before the cluster so EKS writes into a group with our retention and key, not one it makes itself.
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group,
            retention_in_days=args.log_retention_days,
            kms_key_id=logs_key.arn,
            tags=name_tags(tags, f"{name}-logs"),
            opts=child_opts(self),
        )
        public = bool(args.public_access_cidrs)
        cluster = aws.eks.Cluster(
            name,
            name=cluster_name,
            version=args.version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.public_access_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode=args.authentication_mode,
                # No hidden, permanent admin: the deployer's access is the removable entry below.
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            deletion_protection=args.protect,
            tags=name_tags(tags, cluster_name),
            # The flag only acts at creation and changing it replaces the cluster: a cluster created with it
            # on (mlstack before 0.2) keeps it rather than being re-created (see docs/cluster-access.md).
            opts=stateful_opts(
                self,
                args.protect,
                depends_on=[role_policy, logs],
                ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"],
            ),
        )

        issuer = cluster.identities.apply(_issuer)
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            thumbprint_lists=list(args.oidc_thumbprints) or None,
            tags=name_tags(tags, f"{name}-oidc"),
            opts=child_opts(self),
        )

        node_role = aws.iam.Role(
            f"{name}-node",
            assume_role_policy=service_trust_policy("ec2.amazonaws.com"),
            tags=name_tags(tags, f"{name}-node"),
            opts=child_opts(self),
        )
        for policy in NODE_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy}",
                role=node_role.name,
                policy_arn=aws_managed_policy_arn(part, policy),
                opts=child_opts(self),
            )

        admins: dict[str, tuple[pulumi.Input[str], list[pulumi.Alias]]] = {}
        for i, principal in enumerate(args.admin_principal_arns):
            # Before 0.2 the entries were named by position (``<name>-admin-<i>``): removing one renamed, and so
            # replaced, every later one, briefly revoking those admins. The alias carries a deployed entry over.
            admins[f"{name}-admin-{principal_digest(principal)}"] = (principal, [pulumi.Alias(name=f"{name}-admin-{i}")])
        if args.deployer_admin:
            caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            session = aws.iam.get_session_context_output(arn=caller.arn, opts=pulumi.InvokeOutputOptions(parent=self))
            admins[f"{name}-deployer"] = (session.issuer_arn, [])
        for entry_name, (principal, moved) in admins.items():
            entry = aws.eks.AccessEntry(
                entry_name,
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=name_tags(tags, entry_name),
                opts=child_opts(self, aliases=moved or None),
            )
            aws.eks.AccessPolicyAssociation(
                entry_name,
                cluster_name=cluster.name,
                principal_arn=principal,
                policy_arn=eks_access_policy_arn(part, "AmazonEKSClusterAdminPolicy"),
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=child_opts(self, depends_on=[entry], aliases=moved or None),
            )

        self.cluster_name: pulumi.Output[str] = cluster.name
        self.cluster_arn: pulumi.Output[str] = cluster.arn
        self.endpoint: pulumi.Output[str] = cluster.endpoint
        self.certificate_authority: pulumi.Output[str] = cluster.certificate_authority.data
        self.oidc_provider_arn: pulumi.Output[str] = oidc.arn
        self.oidc_provider_url: pulumi.Output[str] = issuer.apply(lambda u: u.removeprefix("https://"))
        self.node_role_arn: pulumi.Output[str] = node_role.arn
        self.node_role_name: pulumi.Output[str] = node_role.name
        self.cluster_security_group_id: pulumi.Output[str] = cluster.vpc_config.cluster_security_group_id
        self.secrets_key_arn: pulumi.Output[str] = key.arn
        self.platform_version: pulumi.Output[str] = cluster.platform_version
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(cluster.name, cluster.endpoint, self.certificate_authority, region_name(self)).apply(
                lambda a: kubeconfig_json(a[0], a[1], a[2], a[3])
            )
        )
        self.register_outputs(
            {
                "node_role_name": self.node_role_name,
                "secrets_key_arn": self.secrets_key_arn,
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_provider_url": self.oidc_provider_url,
                "node_role_arn": self.node_role_arn,
                "cluster_security_group_id": self.cluster_security_group_id,
                "kubeconfig": self.kubeconfig,
                "platform_version": self.platform_version,
            }
        )


def check_principal(arn: str) -> None:
    """Raises unless ``arn`` is an IAM role or user ARN, the principals an access entry takes.

    Raises:
        ValueError: e.g. an STS assumed-role ARN (name its role instead: ``arn:<partition>:iam::<account>:role/<name>``).
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith(("role/", "user/")):
        raise ValueError(f"admin principal {arn!r} is not an IAM role or user ARN (arn:<partition>:iam::<account>:role/<name>)")


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity] | None) -> str:
    """The cluster's OIDC issuer URL (``https://oidc.eks...``) from its identities."""
    for identity in identities or []:
        for oidc in identity.oidcs or []:
            if oidc.issuer:
                return oidc.issuer
    return ""


def kubeconfig_json(cluster_name: str, endpoint: str, ca_data: str, region: str) -> str:
    """A kubeconfig (JSON, which is valid YAML) that authenticates with ``aws eks get-token``.

    No token is stored: each kubectl call asks the AWS CLI for a short-lived one with the caller's own
    credentials, so the kubeconfig grants nothing by itself.
    """
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "preferences": {},
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        indent=2,
    )
