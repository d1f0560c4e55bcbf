"""NeuronSupport: the AWS Neuron Helm chart for Trainium (and Inferentia) nodes.

The EKS AL2023 Neuron AMI carries the driver; Kubernetes sees ``aws.amazon.com/neuron`` and
``aws.amazon.com/neuroncore`` only once the Neuron device plugin runs. The chart (``oci://public.ecr.aws/neuron/
neuron-helm-chart``) installs the device plugin and the scheduler extension; its node problem detector is left
off (it needs its own IAM role). Installed once per cluster, only where a pool has Neuron devices.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider

TOKEN = "mlstack:k8s:NeuronSupport"
CHART = "oci://public.ecr.aws/neuron/neuron-helm-chart"


@dataclass(frozen=True, kw_only=True)
class NeuronSupportArgs:
    """Arguments of :class:`NeuronSupport`.

    Attributes:
        chart_version: pinned chart version (from the catalogue).
        namespace: where the release goes; ``kube-system`` (the chart's device plugin expects it).
    """

    chart_version: str
    namespace: str = "kube-system"


class NeuronSupport(pulumi.ComponentResource):
    """The Neuron device plugin and scheduler extension. Pass the cluster's provider in ``opts.providers``.

    Outputs: release_name.
    """

    def __init__(self, name: str, args: NeuronSupportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        release = k8s.helm.v3.Release(
            name,
            k8s.helm.v3.ReleaseArgs(
                name="neuron-helm-chart",
                chart=CHART,
                version=args.chart_version,
                namespace=args.namespace,
                values={"npd": {"enabled": False}},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.release_name: pulumi.Output[str | None] = release.name
        self.register_outputs({"release_name": self.release_name})
