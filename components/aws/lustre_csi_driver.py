"""LustreCsiDriver: the FSx for Lustre CSI driver (pinned Helm chart) that mounts the scratch file system.

mlstack creates the file system itself and binds it to static PersistentVolumes, so the driver never calls the
FSx API: its controller gets no IAM role at all (dynamic provisioning would need ``AmazonFSxFullAccess``).
The node DaemonSet tolerates every taint (the chart's default), so it runs on GPU and Neuron nodes too. The
controller's region is set explicitly: with IMDS hop limit 1 (mlstack's launch templates) a pod cannot look
it up from instance metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .._base import child_opts
from ..k8s.operator_release import image_values
from ._util import region_name

TOKEN = "mlstack:aws:LustreCsiDriver"
DRIVER = "fsx.csi.aws.com"
NAMESPACE = "kube-system"
#: The chart's sidecar containers (``sidecars.<name>.image`` in its values) and the Args field of each one's image.
SIDECARS = {
    "livenessProbe": "liveness_probe_image",
    "nodeDriverRegistrar": "node_driver_registrar_image",
    "provisioner": "provisioner_image",
    "resizer": "resizer_image",
}


@dataclass(frozen=True, kw_only=True)
class LustreCsiDriverArgs:
    """Arguments of :class:`LustreCsiDriver`.

    Attributes:
        chart_version: pinned ``aws-fsx-csi-driver`` chart version (from the catalogue).
        chart_repository: the chart's Helm repository.
        image: the driver's image, ``<repository>:<tag>`` (catalogue pin: the chart's own default at the pinned
            version), the chart's ``image`` value; default None (the chart's default, which no lock pins).
        liveness_probe_image, node_driver_registrar_image, provisioner_image, resizer_image: the CSI sidecars'
            images (``sidecars.<name>.image``; catalogue pins, the chart's defaults); default None each. Set, a
            plan names each image and a lock pins it by digest.
    """

    chart_version: str
    chart_repository: str = "https://kubernetes-sigs.github.io/aws-fsx-csi-driver"
    image: str | None = None
    liveness_probe_image: str | None = None
    node_driver_registrar_image: str | None = None
    provisioner_image: str | None = None
    resizer_image: str | None = None


def image_settings(args: LustreCsiDriverArgs) -> dict[str, Any]:
    """The chart values that set the driver's and the sidecars' images (only those given)."""
    values: dict[str, Any] = {"image": image_values(args.image)} if args.image else {}
    sidecars = {name: {"image": image_values(ref)} for name, field in SIDECARS.items() if (ref := getattr(args, field))}
    return {**values, **({"sidecars": sidecars} if sidecars else {})}


class LustreCsiDriver(pulumi.ComponentResource):
    """The Helm release. Pass the cluster's Kubernetes provider. Outputs: driver, release_name."""

    def __init__(self, name: str, args: LustreCsiDriverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="aws-fsx-csi-driver",
                chart="aws-fsx-csi-driver",
                version=args.chart_version,
                namespace=NAMESPACE,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.chart_repository),
                values={
                    "controller": {
                        "region": region_name(self),
                        "serviceAccount": {"create": True, "name": "fsx-csi-controller-sa", "annotations": {}},
                    },
                    "node": {"tolerateAllTaints": True},
                    **image_settings(args),
                },
                atomic=True,
                cleanup_on_fail=True,
            ),
            opts=child_opts(self),
        )
        self.driver = DRIVER
        self.release_name: pulumi.Output[str | None] = release.name
        self.register_outputs({"driver": DRIVER, "release_name": release.name})
