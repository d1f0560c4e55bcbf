"""CI access to the cluster: a ServiceAccount and, per team namespace, a least-privilege Role for jobs.

The CI identity may run batch Jobs (create, get, list, watch, delete) and read pods and their logs in the
team namespaces listed, and nothing else: no cluster-wide rights, no Secrets, no RBAC.

How CI authenticates differs per target, and the target binds it:
- aws: the pipeline assumes the IAM role its OIDC trust allows; an EKS access entry maps that role to a
  Kubernetes group, given here in ``groups``. ``service_account_annotations`` may carry an IRSA role for
  in-cluster runners.
- gcp: the pipeline impersonates a Google service account through Workload Identity Federation; GKE knows it
  as the user ``<sa>@<project>.iam.gserviceaccount.com``, given in ``users``.
- onprem: there is no cloud identity to federate, so ``issue_token=True`` creates a long-lived token Secret
  (``kubernetes.io/service-account-token``) for the ServiceAccount; the CI system stores it as its own
  secret. It is the only long-lived credential mlstack hands to a system outside the cluster, which is why it
  is opt-in (the generated keys of the object store, the registry and MLflow's admin stay in cluster Secrets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider
from .hardening import MLSTACK_LABELS, restricted_namespace_labels

TOKEN = "mlstack:k8s:CiAccess"
CI = "mlstack-ci"
RBAC_GROUP = "rbac.authorization.k8s.io"

#: The Role's rules: run jobs, watch their pods and read logs. Nothing else.
RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("batch", ("jobs",), ("create", "delete", "get", "list", "watch")),
    ("", ("pods", "pods/log"), ("get", "list")),
)


@dataclass(frozen=True, kw_only=True)
class CiAccessArgs:
    """The CI identity's access.

    Attributes:
        namespaces: team namespaces CI may deploy jobs to: key (a team name) -> namespace name or output.
            Default none.
        namespace: namespace of the CI ServiceAccount, created here; "mlstack-ci".
        service_account_name: the ServiceAccount; "mlstack-ci".
        service_account_annotations: identity binding annotations from the target; default none.
        groups: further RBAC Group subjects that get the same Role (e.g. the EKS access-entry group). None.
        users: further RBAC User subjects (e.g. the GKE name of a federated service account). None.
        issue_token: create a long-lived token Secret for the ServiceAccount (onprem). Default False.
    """

    namespaces: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    namespace: str = CI
    service_account_name: str = CI
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    groups: Sequence[str] = ()
    users: Sequence[str] = ()
    issue_token: bool = False


def policy_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """The Role's rules as typed Args."""
    return [k8s.rbac.v1.PolicyRuleArgs(api_groups=[g], resources=list(r), verbs=list(v)) for g, r, v in RULES]


class CiAccess(pulumi.ComponentResource):
    """ServiceAccount ``mlstack-ci``, a Role and RoleBinding per team namespace, a token Secret on request.

    Attributes:
        namespace: the CI namespace.
        service_account_name: the ServiceAccount's name.
        token_secret_name: the token Secret's name, or None without ``issue_token``.
    """

    def __init__(self, name: str, args: CiAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        labels = MLSTACK_LABELS(CI, "ci-access")
        child = pulumi.ResourceOptions(parent=self)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels={**labels, **restricted_namespace_labels()}),
            opts=child,
        )
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.service_account_name,
                namespace=ns.metadata.name,
                labels=labels,
                annotations=dict(sorted(args.service_account_annotations.items())) or None,
            ),
            automount_service_account_token=False,
            opts=child,
        )
        subjects = [k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=sa.metadata.name, namespace=ns.metadata.name)]
        subjects += [k8s.rbac.v1.SubjectArgs(kind="Group", api_group=RBAC_GROUP, name=g) for g in sorted(args.groups)]
        subjects += [k8s.rbac.v1.SubjectArgs(kind="User", api_group=RBAC_GROUP, name=u) for u in sorted(args.users)]
        for key, namespace in sorted(args.namespaces.items()):
            meta = k8s.meta.v1.ObjectMetaArgs(name=CI, namespace=namespace, labels=labels)
            role = k8s.rbac.v1.Role(f"{name}-{key}-role", metadata=meta, rules=policy_rules(), opts=child)
            k8s.rbac.v1.RoleBinding(
                f"{name}-{key}-binding",
                metadata=meta,
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group=RBAC_GROUP, kind="Role", name=role.metadata.name),
                subjects=subjects,
                opts=child,
            )
        self.token_secret_name: pulumi.Output[str] | None = None
        if args.issue_token:
            token = k8s.core.v1.Secret(
                f"{name}-token",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{args.service_account_name}-token",
                    namespace=ns.metadata.name,
                    labels=labels,
                    annotations={"kubernetes.io/service-account.name": sa.metadata.name},
                ),
                type="kubernetes.io/service-account-token",
                opts=child,
            )
            self.token_secret_name = token.metadata.name
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.service_account_name: pulumi.Output[str] = sa.metadata.name
        self.register_outputs(
            {
                "token_secret_name": self.token_secret_name,
                "namespace": self.namespace,
                "service_account_name": self.service_account_name,
            }
        )
