"""One ML team's namespace: Pod Security "restricted", quota (GPUs included), defaults, RBAC, default-deny network.

Per team: a Namespace labelled for Pod Security Admission "restricted"; a ResourceQuota bounding CPU, memory
and accelerators (``requests.nvidia.com/gpu`` always, 0 for a team without GPUs; ``requests.google.com/tpu``
when it has a TPU quota); a LimitRange giving containers default requests and limits (the quota demands
them); a RoleBinding of the team's identity-provider group to the ClusterRole ``edit``; and NetworkPolicies:
deny all ingress and egress, then allow DNS to kube-system, traffic inside the namespace and egress to the
tracking server. The team's ``shared`` PVC is made by ``SharedStorage`` (one place for the volume).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .._base import stateful_opts
from . import require_provider
from .hardening import MLSTACK_LABELS, restricted_namespace_labels

TOKEN = "mlstack:k8s:Team"
from ..contract import MLFLOW_NAMESPACE, TEAM_LABEL
#: The ConfigMap in each team namespace that holds the environment's stamp (see ``TeamArgs.environment``).
ENVIRONMENT_CONFIGMAP = "mlstack-environment"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, kw_only=True)
class TeamArgs:
    """A team's namespace and limits.

    Attributes:
        group: the identity-provider group (Kubernetes RBAC subject of kind Group) bound to ``cluster_role``.
        users: further RBAC subjects of kind User bound to it (e.g. the Google accounts GKE names users by, or
            the user names an on-prem authenticator presents); none by default.
        team_name: the team's name, the value of the ``mlstack.io/team`` label on every object; default
            ``namespace`` (the Platform sets the namespace to the spec's team key), else the component's name.
        namespace: the namespace's name; default the component's name.
        gpu_quota: most NVIDIA GPUs the team's pods may request at once (``requests.nvidia.com/gpu``); 0.
        tpu_quota: most TPU chips (``requests.google.com/tpu``); 0 leaves the key out of the quota.
        neuron_quota: most AWS Neuron devices (``requests.aws.amazon.com/neuron``, Trainium); 0 leaves it out.
        requests_cpu: quota on the sum of CPU requests; "64".
        requests_memory: quota on the sum of memory requests; "256Gi".
        limits_cpu: quota on the sum of CPU limits; "128".
        limits_memory: quota on the sum of memory limits; "512Gi".
        default_request_cpu: CPU request of a container that sets none (LimitRange); "250m".
        default_request_memory: memory request of a container that sets none; "512Mi".
        default_limit_cpu: CPU limit of a container that sets none; "1".
        default_limit_memory: memory limit of a container that sets none; "2Gi".
        cluster_role: the ClusterRole the group gets in its namespace; "edit" (no RBAC or quota changes).
        tracking_namespace: namespace of the tracking server the team may reach; "mlflow". The ``Platform`` sets
            it to its tracking server's namespace.
        tracking_port: its port; 5000.
        egress_cidrs: further destinations pods may reach (e.g. object storage endpoints); default none,
            so a team reaches only DNS, its own namespace and the tracking server.
        protect: protect the namespace (deleting it deletes the team's claims) and keep it on delete; False.
        environment: the environment's stamp (``MLSTACK_ENV``, ``MLSTACK_LOCK_DIGEST``, versions, image digests):
            written to the ConfigMap ``mlstack-environment`` in the namespace, which training pods load as
            environment variables (``envFrom``); empty (the default) creates no ConfigMap.
    """

    group: str
    users: Sequence[str] = ()
    team_name: str | None = None
    namespace: str | None = None
    gpu_quota: int = 0
    tpu_quota: int = 0
    neuron_quota: int = 0
    requests_cpu: str = "64"
    requests_memory: str = "256Gi"
    limits_cpu: str = "128"
    limits_memory: str = "512Gi"
    default_request_cpu: str = "250m"
    default_request_memory: str = "512Mi"
    default_limit_cpu: str = "1"
    default_limit_memory: str = "2Gi"
    cluster_role: str = "edit"
    tracking_namespace: str = MLFLOW_NAMESPACE
    tracking_port: int = 5000
    egress_cidrs: Sequence[str] = ()
    protect: bool = False
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)


def quota_hard(args: TeamArgs) -> dict[str, str]:
    """The ResourceQuota's ``hard`` map, sorted."""
    if min(args.gpu_quota, args.tpu_quota, args.neuron_quota) < 0:
        raise ValueError("gpu_quota, tpu_quota and neuron_quota must not be negative")
    hard = {
        "requests.cpu": args.requests_cpu,
        "requests.memory": args.requests_memory,
        "limits.cpu": args.limits_cpu,
        "limits.memory": args.limits_memory,
        "requests.nvidia.com/gpu": str(args.gpu_quota),
    }
    if args.tpu_quota:
        hard["requests.google.com/tpu"] = str(args.tpu_quota)
    if args.neuron_quota:
        hard["requests.aws.amazon.com/neuron"] = str(args.neuron_quota)
    return dict(sorted(hard.items()))


def _ns_peer(namespace: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_NAME_LABEL: namespace})
    )


def _port(port: int, protocol: str = "TCP") -> k8s.networking.v1.NetworkPolicyPortArgs:
    return k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol)


def network_policies(args: TeamArgs) -> dict[str, k8s.networking.v1.NetworkPolicySpecArgs]:
    """The team's NetworkPolicy specs by object name: default deny, then the allowances."""
    all_pods = k8s.meta.v1.LabelSelectorArgs()
    specs = {
        "default-deny": k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=all_pods, policy_types=["Ingress", "Egress"]),
        "allow-dns": k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=all_pods,
            policy_types=["Egress"],
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[_ns_peer("kube-system")], ports=[_port(53, "UDP"), _port(53, "TCP")])],
        ),
        "allow-same-namespace": k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=all_pods,
            policy_types=["Ingress", "Egress"],
            ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=all_pods)])],
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=all_pods)])],
        ),
        "allow-tracking": k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=all_pods,
            policy_types=["Egress"],
            egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=[_ns_peer(args.tracking_namespace)], ports=[_port(args.tracking_port)])],
        ),
    }
    if args.egress_cidrs:
        specs["allow-egress-cidrs"] = k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=all_pods,
            policy_types=["Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=c)) for c in sorted(args.egress_cidrs)]
                )
            ],
        )
    return specs


class Team(pulumi.ComponentResource):
    """A team's namespace with quota, defaults, RBAC and default-deny network policies.

    Attributes:
        namespace: the namespace's name (an output: depending on it orders a resource after the namespace).
        team: the team's name.
    """

    def __init__(self, name: str, args: TeamArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        namespace_name = args.namespace or name
        # The team's name, never the Pulumi resource name (``acme-ml-staging-platform-applied``).
        team_name = args.team_name or namespace_name
        labels = MLSTACK_LABELS("team", "team-namespace", **{TEAM_LABEL: team_name})
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace_name, labels={**labels, **restricted_namespace_labels()}),
            opts=stateful_opts(self, args.protect),
        )
        child = pulumi.ResourceOptions(parent=self)

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns.metadata.name, labels=labels)

        k8s.core.v1.ResourceQuota(
            f"{name}-quota", metadata=meta("team-quota"), spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(args)), opts=child
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=meta("team-defaults"),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={"cpu": args.default_request_cpu, "memory": args.default_request_memory},
                        default={"cpu": args.default_limit_cpu, "memory": args.default_limit_memory},
                    )
                ]
            ),
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-edit",
            metadata=meta(f"team-{args.cluster_role}"),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=args.cluster_role),
            subjects=[k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="Group", name=args.group)]
            + [k8s.rbac.v1.SubjectArgs(api_group="rbac.authorization.k8s.io", kind="User", name=u) for u in sorted(args.users)],
            opts=child,
        )
        for policy_name, spec in network_policies(args).items():
            k8s.networking.v1.NetworkPolicy(f"{name}-{policy_name}", metadata=meta(policy_name), spec=spec, opts=child)

        if args.environment:
            k8s.core.v1.ConfigMap(
                f"{name}-environment", metadata=meta(ENVIRONMENT_CONFIGMAP), data=dict(sorted(args.environment.items())), opts=child
            )

        self.team = team_name
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.register_outputs(
            {
                "team": self.team,
                "namespace": self.namespace,
            }
        )
