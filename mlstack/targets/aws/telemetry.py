"""AWS GPU telemetry: Amazon Managed Service for Prometheus scraping the DCGM exporters of the GPU pools (the
exporter itself is the platform layer's, the same on every target)."""

from __future__ import annotations

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.aws.environment import AwsEnvironment
from mlstack.components.aws.managed_prometheus import ManagedPrometheus, ManagedPrometheusArgs
from mlstack.components.k8s.gpu_telemetry import NAMESPACE
from mlstack.spec import Spec


def has_gpu_pool(spec: Spec, catalog: Catalog) -> bool:
    return any(p.accelerator and catalog.accelerators[p.accelerator].kind == "gpu" for p in spec.node_pools.values())


def managed_prometheus(
    spec: Spec, catalog: Catalog, env: AwsEnvironment, provider: pulumi.ProviderResource, tags: dict[str, str]
) -> list[pulumi.Resource]:
    """The AMP workspace (CMK, protected with the environment) and its agentless scraper, for GPU pools only."""
    if not has_gpu_pool(spec, catalog):
        return []
    return [
        ManagedPrometheus(
            f"{spec.prefix}-metrics",
            ManagedPrometheusArgs(
                cluster_name=env.cluster_name,
                cluster_arn=env.cluster_arn,
                subnet_ids=env.private_subnet_ids,
                security_group_ids=[env.node_security_group_id],
                namespaces=(NAMESPACE,),
                protect=spec.protected,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
    ]
