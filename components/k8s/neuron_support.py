"""NeuronSupport: the AWS Neuron Helm chart for Trainium (and Inferentia) nodes.

The EKS AL2023 Neuron AMI carries the driver; Kubernetes sees ``aws.amazon.com/neuron`` and
``aws.amazon.com/neuroncore`` only once the Neuron device plugin runs. The chart (``oci://public.ecr.aws/neuron/
neuron-helm-chart``) installs the device plugin; its scheduler extension, DRA driver and UltraServer operator are
off in the chart (``enabled: false`` at chart 1.10.0) and its node problem detector is turned off here (it needs
its own IAM role), so the device plugin is the one image it deploys. Installed once per cluster, only where a
pool has Neuron devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider
from .operator_release import image_values

TOKEN = "mlstack:k8s:NeuronSupport"
CHART = "oci://public.ecr.aws/neuron/neuron-helm-chart"


@dataclass(frozen=True, kw_only=True)
class NeuronSupportArgs:
    """Arguments of :class:`NeuronSupport`.

    Attributes:
        chart_version: pinned chart version (from the catalogue).
        namespace: where the release goes; ``kube-system`` (the chart's device plugin expects it).
        device_plugin_image: the device plugin's image, ``repository:tag`` (chart value ``devicePlugin.image``):
            set, it is in the plan and a lock pins it by digest. Default None (the chart's own).
    """

    chart_version: str
    namespace: str = "kube-system"
    device_plugin_image: str | None = None


class NeuronSupport(pulumi.ComponentResource):
    """The Neuron device plugin (the chart's scheduler extension stays off). Pass the cluster's provider in
    ``opts.providers``.

    Outputs: release_name.
    """

    def __init__(self, name: str, args: NeuronSupportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        values: dict[str, Any] = {"npd": {"enabled": False}}
        if args.device_plugin_image:
            values["devicePlugin"] = {"image": image_values(args.device_plugin_image)}
        release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="neuron-helm-chart",
                chart=CHART,
                version=args.chart_version,
                namespace=args.namespace,
                values=values,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release_name: pulumi.Output[str | None] = release.name
        self.register_outputs({"release_name": self.release_name})
