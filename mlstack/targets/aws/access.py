"""What AWS needs for MLflow's laptop endpoint (``tracking.access``): the AWS Load Balancer Controller, installed
when the endpoint is an Ingress of class ``alb`` (EKS has no Ingress controller of its own)."""

from __future__ import annotations

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.aws.environment import AwsEnvironment
from mlstack.components.aws.load_balancer_controller import (
    INGRESS_CLASS,
    PARTITION_VARIABLE,
    LoadBalancerController,
    LoadBalancerControllerArgs,
)
from mlstack.spec import Spec

CONTROLLER = "aws-load-balancer-controller"


def needs_load_balancer_controller(spec: Spec) -> bool:
    """An Ingress of class ``alb`` (the pack's default class); a class the spec names is the user's controller."""
    access = spec.tracking.access
    return access is not None and access.mode == "ingress" and (access.ingress_class or INGRESS_CLASS) == INGRESS_CLASS


def load_balancer_controller(
    spec: Spec, catalog: Catalog, env: AwsEnvironment, provider: pulumi.ProviderResource, tags: dict[str, str]
) -> list[pulumi.Resource]:
    """The controller (pinned chart and image, IRSA role with its documented policy) when the spec needs it."""
    if not needs_load_balancer_controller(spec):
        return []
    chart, image = catalog.versions.charts[CONTROLLER], catalog.versions.images[CONTROLLER]
    return [
        LoadBalancerController(
            f"{spec.prefix}-lb-controller",
            LoadBalancerControllerArgs(
                cluster_name=env.cluster_name,
                vpc_id=env.vpc_id,
                oidc_provider_arn=env.oidc_provider_arn,
                oidc_provider_url=env.oidc_provider_url,
                chart_version=chart.version,
                chart_repository=chart.repo,
                image=image.ref,
                policy_statements=catalog.iam_policies[CONTROLLER].document(PARTITION_VARIABLE),
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
    ]
