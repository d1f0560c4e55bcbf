"""The Kubernetes audit policy shipped for the on-premise target.

CloudTrail/EKS audit logs and Cloud Audit Logs come with a managed control plane. On premises the
API server is the cluster admin's: its ``--audit-policy-file`` and ``--audit-log-*`` flags live in the
kube-apiserver static pod manifest (kubeadm: ``/etc/kubernetes/manifests/kube-apiserver.yaml``) on each
control-plane node, which no Kubernetes API exposes and Pulumi therefore cannot set. This component
ships the policy two ways: as a ConfigMap in the cluster (versioned with the environment, visible to
auditors) and as rendered YAML plus the API server flags, outputs the admin installs on the
control-plane nodes. The plan shows both, so a policy change is reviewed like any other.

The policy: never log request or response bodies of Secrets, ConfigMaps or tokens (Metadata only);
full bodies for RBAC changes; request bodies for other writes; metadata for reads and exec/attach/
port-forward; nothing for health checks, events, leases and kube-proxy watches (volume, no value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..contract import SYSTEM_NAMESPACE
from .._base import child_opts
from ..k8s.hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:AuditPolicy"
POLICY_KEY = "audit-policy.yaml"
POLICY_PATH = "/etc/kubernetes/audit-policy.yaml"
LOG_PATH = "/var/log/kubernetes/audit/audit.log"
WRITES = ["create", "update", "patch", "delete", "deletecollection"]


@dataclass(frozen=True, kw_only=True)
class AuditPolicyArgs:
    """Inputs of :class:`AuditPolicy`.

    Attributes:
        namespace: namespace of the ConfigMap (must exist); "mlstack-system".
        retention_days: days the API server keeps rotated audit logs (``--audit-log-maxage``); 365.
        max_size_mib: size in MiB at which the audit log rotates (``--audit-log-maxsize``); 100.
        max_backups: rotated files kept (``--audit-log-maxbackup``); 30.
    """

    namespace: pulumi.Input[str] = SYSTEM_NAMESPACE
    retention_days: int = 365
    max_size_mib: int = 100
    max_backups: int = 30


def policy() -> dict[str, Any]:
    """The ``audit.k8s.io/v1`` Policy. Rules match first-to-last: the first matching rule decides."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"],
             "resources": [{"group": "", "resources": ["endpoints", "services", "services/status"]}]},
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"]},
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}, {"group": "events.k8s.io"}]},
            {"level": "None", "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
            {"level": "Metadata", "resources": [
                {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
            ]},
            {"level": "Metadata", "resources": [
                {"group": "", "resources": ["pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy"]}
            ]},
            {"level": "RequestResponse", "verbs": WRITES, "resources": [{"group": "rbac.authorization.k8s.io"}]},
            {"level": "Request", "verbs": WRITES},
            {"level": "Metadata"},
        ],
    }


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # A JSON string is a valid YAML double-quoted scalar: "" and "/healthz*" stay unambiguous.
    return json.dumps(value)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for plain dicts, lists and scalars (components may import only pulumi)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            else:
                lines.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, (dict, list)) else json.dumps(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2:]}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return "\n".join(lines)


def render_policy() -> str:
    """The policy file as YAML, ending with a newline."""
    return to_yaml(policy()) + "\n"


def api_server_flags(args: AuditPolicyArgs) -> list[str]:
    """The kube-apiserver flags that load the policy and rotate the log (the admin adds them)."""
    return [
        f"--audit-policy-file={POLICY_PATH}",
        f"--audit-log-path={LOG_PATH}",
        f"--audit-log-maxage={args.retention_days}",
        f"--audit-log-maxbackup={args.max_backups}",
        f"--audit-log-maxsize={args.max_size_mib}",
    ]


class AuditPolicy(pulumi.ComponentResource):
    """The audit policy as a ConfigMap, and as YAML plus flags for the API server.

    Outputs:
        policy_yaml: the policy file to place at :data:`POLICY_PATH` on every control-plane node.
        api_server_flags: the kube-apiserver flags to add (with a hostPath mount of both paths).
        config_map_name: the ConfigMap holding the policy under key :data:`POLICY_KEY`.
    """

    def __init__(self, name: str, args: AuditPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        self.policy_yaml: str = render_policy()
        self.api_server_flags: list[str] = api_server_flags(args)
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-policy",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="mlstack-audit-policy",
                namespace=args.namespace,
                labels=MLSTACK_LABELS("audit-policy", component="audit"),
                annotations={"mlstack.io/api-server-flags": " ".join(self.api_server_flags)},
            ),
            data={POLICY_KEY: self.policy_yaml},
            opts=child_opts(self),
        )
        self.config_map_name: pulumi.Output[str] = config_map.metadata.name
        self.register_outputs(
            {"policy_yaml": self.policy_yaml, "api_server_flags": self.api_server_flags, "config_map_name": self.config_map_name}
        )
