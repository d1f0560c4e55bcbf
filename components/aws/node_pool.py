"""NodePool: an EKS managed node group with a hardened launch template (IMDSv2, encrypted gp3 root volume)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import name_tags

TOKEN = "mlstack:aws:NodePool"

from ..contract import ACCELERATOR_LABEL, POOL_LABEL
#: Taints that keep ordinary pods off accelerator nodes, by the AMI family that marks the pool.
GPU_TAINT = ("nvidia.com/gpu", "present")
NEURON_TAINT = ("aws.amazon.com/neuron", "present")
#: Root device of the EKS-optimised Amazon Linux AMIs.
ROOT_DEVICE = "/dev/xvda"

Effect = Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]


@dataclass(frozen=True, kw_only=True)
class Taint:
    """A Kubernetes taint in the EKS API's terms (``effect`` is ``NO_SCHEDULE``, ``NO_EXECUTE`` or
    ``PREFER_NO_SCHEDULE``)."""

    key: str
    value: str
    effect: Effect = "NO_SCHEDULE"


@dataclass(frozen=True, kw_only=True)
class NodePoolArgs:
    """Arguments of :class:`NodePool`.

    Attributes:
        instance_types: EC2 instance types, e.g. ``["p4de.24xlarge"]``; several spread spot capacity.
        max_size: most nodes.
        min_size: fewest nodes; 0 (the default) lets the autoscaler scale the pool to zero.
        desired_size: nodes at creation; None means ``min_size``. Ignored afterwards: the cluster
            autoscaler owns it (``ignore_changes`` on ``scalingConfig.desiredSize``), so an update does not
            reset a pool the autoscaler has grown.
        ami_type: EKS AMI type, e.g. ``AL2023_x86_64_STANDARD`` (default), ``AL2023_x86_64_NVIDIA``,
            ``AL2023_x86_64_NEURON``. NVIDIA AMIs add the taint ``nvidia.com/gpu=present:NoSchedule``,
            Neuron (Trainium/Inferentia) AMIs ``aws.amazon.com/neuron=present:NoSchedule``.
        spot: SPOT capacity instead of ON_DEMAND (default False).
        accelerator: portable accelerator name (e.g. ``nvidia-a100-80gb``) for the ``mlstack.io/accelerator``
            label; None for CPU pools.
        labels: extra node labels; ``mlstack.io/pool`` (the pool name) is always set.
        taints: extra taints, after the accelerator taint.
        disk_size_gib: size of the encrypted gp3 root volume; default 100 (GPU images are large).
        pool_name: value of the ``mlstack.io/pool`` label; None uses the component's name.
        cluster_name: EKS cluster (AwsEnvironment fills it in).
        node_role_arn: IAM role of the nodes (AwsEnvironment fills it in from the Cluster).
        subnet_ids: private subnets for the nodes (AwsEnvironment fills them in).
        tags: tags for the node group, launch template, instances and volumes, merged with ``Name``.
        efa_interfaces: EFA network interfaces per node, one per network card (the catalogue's count for the
            instance type); 0 (the default) for none. With EFA the pool is *multi-node*: its nodes go into a
            cluster placement group in one subnet (one AZ), and a security group that admits all traffic from
            itself (EFA's requirement) is put on every interface, with ``node_security_group_ids``.
        vpc_id: the VPC of the EFA security group; required with ``efa_interfaces``.
        node_security_group_ids: security groups the nodes keep on their EFA interfaces (the cluster security
            group: EKS attaches it only when the launch template names no interfaces); required with
            ``efa_interfaces``.
        auto_repair: EKS node auto repair: nodes whose conditions stay unhealthy (``Ready``, and those the
            ``eks-node-monitoring-agent`` add-on reports: ``AcceleratedHardwareReady`` for GPU and Neuron faults,
            ``KernelReady``, ``NetworkingReady``, ``StorageReady``) are replaced or rebooted. Default False.
        local_nvme_raid0: stripe the instance store NVMe disks into one RAID0 array that holds the kubelet's and
            containerd's directories (container images, emptyDir), through the AL2023 nodeadm ``NodeConfig``
            (``spec.instance.localStorage.strategy: RAID0``, mounted at ``/mnt/k8s-disks/0``) in the launch
            template's user data, which EKS merges with its own. Only for AL2023 AMI types. Default False.
        release_version: the EKS-optimised AMI release the nodes run (``<kubernetes>-<YYYYMMDD>``, e.g.
            ``1.36.2-20261110``: a lock's). Default None: the newest release for the cluster's version when the
            group is created, and unchanged after (EKS does not move a group to a new release by itself).
    """

    instance_types: Sequence[str]
    max_size: int
    min_size: int = 0
    desired_size: int | None = None
    ami_type: str = "AL2023_x86_64_STANDARD"
    spot: bool = False
    accelerator: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: Sequence[Taint] = ()
    disk_size_gib: int = 100
    pool_name: str | None = None
    cluster_name: pulumi.Input[str] | None = None
    node_role_arn: pulumi.Input[str] | None = None
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    efa_interfaces: int = 0
    vpc_id: pulumi.Input[str] | None = None
    node_security_group_ids: Sequence[pulumi.Input[str]] = ()
    auto_repair: bool = False
    local_nvme_raid0: bool = False
    release_version: str | None = None

    def __post_init__(self) -> None:
        if not self.instance_types:
            raise ValueError("instance_types must not be empty")
        if self.min_size < 0 or self.max_size < max(self.min_size, 1):
            raise ValueError(f"need 0 <= min_size <= max_size and max_size >= 1, got {self.min_size}..{self.max_size}")
        desired = self.min_size if self.desired_size is None else self.desired_size
        if not self.min_size <= desired <= self.max_size:
            raise ValueError(f"desired_size {desired} is outside {self.min_size}..{self.max_size}")
        if self.disk_size_gib < 20:
            raise ValueError(f"disk_size_gib must be at least 20, got {self.disk_size_gib}")
        if self.efa_interfaces < 0:
            raise ValueError(f"efa_interfaces must not be negative, got {self.efa_interfaces}")
        if self.local_nvme_raid0 and not self.ami_type.startswith("AL2023"):
            raise ValueError(f"local_nvme_raid0 needs an AL2023 AMI type (nodeadm), got {self.ami_type}")


#: The MIME boundary of the user data (EKS merges a managed node group's NodeConfig parts with its own).
USER_DATA_BOUNDARY = "MLSTACK"


def local_storage_user_data() -> str:
    """Launch template user data (base64 MIME multi-part) with one nodeadm ``NodeConfig``: the instance store
    disks striped into RAID0 for the kubelet and containerd (AL2023)."""
    import base64

    node_config = (
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  instance:\n"
        "    localStorage:\n"
        "      strategy: RAID0\n"
    )
    text = (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{USER_DATA_BOUNDARY}"\n\n'
        f"--{USER_DATA_BOUNDARY}\n"
        "Content-Type: application/node.eks.aws\n\n"
        f"{node_config}\n"
        f"--{USER_DATA_BOUNDARY}--\n"
    )
    return base64.b64encode(text.encode()).decode()


def accelerator_taints(ami_type: str) -> list[Taint]:
    """The taint an accelerator AMI family implies: NVIDIA GPUs or AWS Neuron devices; none otherwise."""
    if "NVIDIA" in ami_type:
        return [Taint(key=GPU_TAINT[0], value=GPU_TAINT[1])]
    if "NEURON" in ami_type:
        return [Taint(key=NEURON_TAINT[0], value=NEURON_TAINT[1])]
    return []


class NodePool(pulumi.ComponentResource):
    """A managed node group and its launch template.

    Outputs:
        node_group_name, node_group_arn, launch_template_id, labels (plain dict), taints (plain list),
        release_version (the AMI release EKS deployed: what a lock records).
    """

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.cluster_name is None or args.node_role_arn is None or args.subnet_ids is None:
            raise ValueError(f"{name}: NodePoolArgs.cluster_name, node_role_arn and subnet_ids are required")
        tags = args.tags
        pool = args.pool_name or name
        labels = {**dict(args.labels), POOL_LABEL: pool}
        if args.accelerator:
            labels[ACCELERATOR_LABEL] = args.accelerator
        labels = dict(sorted(labels.items()))
        taints = accelerator_taints(args.ami_type) + list(args.taints)
        efa = self._efa(name, args, tags) if args.efa_interfaces else None

        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Nodes of pool {pool}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only: no unauthenticated GET of credentials (SSRF)
                # Hop limit 1: a pod on the pod network is one hop further than the node, so its token
                # request never comes back and pods cannot take the node role's credentials; pods get AWS
                # access through IRSA only. (2 would let every pod act as the node.)
                http_put_response_hop_limit=1,
                # Instance tags in IMDS stay off: EKS tags nodes with keys holding "/", which IMDS tags reject.
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",  # the provider types these two as strings
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=name_tags(tags, name))
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=name_tags(tags, f"{name}-lt"),
            network_interfaces=efa[0] if efa else None,
            placement=aws.ec2.LaunchTemplatePlacementArgs(group_name=efa[1].name) if efa else None,
            user_data=local_storage_user_data() if args.local_nvme_raid0 else None,
            opts=child_opts(self),
        )
        # A placement group lives in one AZ: the pool's nodes take the first subnet only.
        subnet_ids = pulumi.Output.from_input(args.subnet_ids).apply(lambda ids: list(ids)[:1]) if efa else args.subnet_ids
        desired = args.min_size if args.desired_size is None else args.desired_size
        # No node_group_name: Pulumi's auto-name lets a replacement come up before the old group goes.
        group = aws.eks.NodeGroup(
            name,
            cluster_name=args.cluster_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=subnet_ids,
            instance_types=list(args.instance_types),
            ami_type=args.ami_type,
            release_version=args.release_version,
            capacity_type="SPOT" if args.spot else "ON_DEMAND",
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_size, max_size=args.max_size, desired_size=desired
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            labels=labels,
            taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=t.effect) for t in taints],
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True) if args.auto_repair else None,
            tags=name_tags(tags, name),
            # The cluster autoscaler changes the desired size; Pulumi must not reset it on the next update.
            opts=child_opts(self, ignore_changes=["scalingConfig.desiredSize"]),
        )

        self.efa_interfaces = args.efa_interfaces
        self.node_group_name: pulumi.Output[str] = group.node_group_name
        self.node_group_arn: pulumi.Output[str] = group.arn
        self.launch_template_id: pulumi.Output[str] = template.id
        self.release_version: pulumi.Output[str] = group.release_version
        self.labels: dict[str, str] = labels
        self.taints: list[Taint] = taints
        self.register_outputs(
            {
                # Plain data on the wire: a Taint dataclass is not a Pulumi value.
                "taints": [{"key": t.key, "value": t.value, "effect": t.effect} for t in self.taints],
                "node_group_name": self.node_group_name,
                "node_group_arn": self.node_group_arn,
                "launch_template_id": self.launch_template_id,
                "labels": labels,
                "efa_interfaces": self.efa_interfaces,
                "release_version": self.release_version,
            }
        )

    def _efa(self, name: str, args: NodePoolArgs, tags: Mapping[str, str]):
        """The EFA security group (all traffic from itself), the cluster placement group and the interfaces."""
        if args.vpc_id is None or not args.node_security_group_ids:
            raise ValueError(f"{name}: efa_interfaces needs vpc_id and node_security_group_ids")
        sg = aws.ec2.SecurityGroup(
            f"{name}-efa",
            vpc_id=args.vpc_id,
            description="EFA: all traffic between the pool's nodes",
            tags=name_tags(tags, f"{name}-efa"),
            opts=child_opts(self),
        )
        for direction, rule in (("in", aws.vpc.SecurityGroupIngressRule), ("out", aws.vpc.SecurityGroupEgressRule)):
            rule(
                f"{name}-efa-{direction}",
                security_group_id=sg.id,
                referenced_security_group_id=sg.id,
                ip_protocol="-1",
                description=f"EFA {direction}bound: the pool's own nodes",
                opts=child_opts(self),
            )
        placement = aws.ec2.PlacementGroup(
            f"{name}-pg", strategy="cluster", tags=name_tags(tags, f"{name}-pg"), opts=child_opts(self)
        )
        groups = [*args.node_security_group_ids, sg.id]
        interfaces = [
            aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                network_card_index=card,
                # The primary interface is device 0 of card 0; every further card's EFA is its device 1.
                device_index=0 if card == 0 else 1,
                interface_type="efa",
                security_groups=groups,
                delete_on_termination="true",
            )
            for card in range(args.efa_interfaces)
        ]
        return interfaces, placement, sg
