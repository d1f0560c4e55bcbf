"""A cluster operator installed from a pinned Helm chart into its own Pod Security "restricted" namespace.

Kueue, JobSet, Kubeflow Trainer and KubeRay are installed the same way: a namespace of their own labelled for
Pod Security Admission "restricted" (their controllers run non-root with every capability dropped, so nothing
there needs more), and an atomic Helm release of a pinned chart version. This module holds that one shape;
each operator's component gives the hardened values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .hardening import MLSTACK_LABELS, pinned_image, restricted_namespace_labels


@dataclass(frozen=True, kw_only=True)
class ChartRef:
    """A pinned chart.

    Attributes:
        chart: the chart's name, also the release's name.
        repository: the Helm repository (``https://`` or ``oci://``).
        version: the chart version; required, never floating.
    """

    chart: str
    repository: str
    version: str


def image_values(image: str) -> dict[str, str]:
    """``{"repository", "tag", "pullPolicy"}`` of a pinned ``repository:tag`` (the shape most charts take).

    Raises:
        ValueError: the image has no pinned tag.
    """
    repository, tag = pinned_image(image, "operator image")
    return {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}


def install_operator(
    parent: pulumi.Resource,
    name: str,
    *,
    chart: ChartRef,
    namespace: str,
    component: str,
    values: Mapping[str, Any],
) -> tuple[k8s.core.v1.Namespace, k8s.helm.v3.Release]:
    """Creates ``<name>-ns`` (restricted) and ``<name>-release`` (atomic, cleaned up on failure) under ``parent``.

    Args:
        parent: the component that owns both.
        name: the component's name (children derive theirs from it).
        chart: the pinned chart.
        namespace: the namespace's name.
        component: value of ``app.kubernetes.io/component`` on the namespace.
        values: the chart values.
    """
    if not chart.version:
        raise ValueError(f"{name}: chart {chart.chart!r} needs a pinned version")
    ns = k8s.core.v1.Namespace(
        f"{name}-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace, labels={**MLSTACK_LABELS(chart.chart, component), **restricted_namespace_labels()}
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    release = k8s.helm.v3.Release(
        f"{name}-release",
        k8s.helm.v3.ReleaseArgs(
            name=chart.chart,
            chart=chart.chart,
            version=chart.version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository),
            namespace=ns.metadata.name,
            values=dict(values),
            atomic=True,
            cleanup_on_fail=True,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return ns, release
