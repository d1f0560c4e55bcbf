"""The Kubernetes platform layer every mlstack cluster gets (aws, gcp, onprem).

Components here create only Kubernetes objects (and Helm releases), identical on every target except the
fields a target binds, which arrive as explicit Args (storage provisioner and parameters, artifacts URI,
identity annotations, image registry host).

Providers: every Kubernetes resource goes through an explicit ``pulumi_kubernetes.Provider`` built by the
caller from the cluster's kubeconfig (aws, gcp) or from ``target.kube_context`` (onprem). Pass it to the
component as ``pulumi.ResourceOptions(providers=[provider])`` or ``provider=provider``; children inherit it
through ``parent=self``. A component built without one raises (:func:`require_provider`) rather than fall
back to the ambient default provider, which would deploy to whatever cluster the local kubeconfig selects.

Pod specs are hardened through :mod:`mlstack.components.k8s.hardening`. The in-cluster services that stand in
for a cloud's managed ones on premises (Postgres, the S3 object store, registry, NFS) live in :mod:`mlstack.components.onprem`.
"""

from __future__ import annotations

import pulumi


class MissingProviderError(ValueError):
    """A Kubernetes component was built without an explicit Kubernetes provider."""


def require_provider(component: pulumi.Resource, name: str) -> None:
    """Raises when ``component`` has no explicit Kubernetes provider (from its options or its parent).

    Args:
        component: the component, after ``super().__init__``.
        name: its logical name, for the message.

    Raises:
        MissingProviderError: no provider for the ``kubernetes`` package.
    """
    if component.get_provider("kubernetes::") is None:
        raise MissingProviderError(
            f"{type(component).__name__} {name!r} has no Kubernetes provider: pass "
            "pulumi.ResourceOptions(providers=[k8s_provider]) so that it never uses the ambient kubeconfig"
        )
