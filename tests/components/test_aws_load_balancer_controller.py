"""LoadBalancerController: the documented policy in the provider's partition, its role trusted by its service
account only, and the release told its cluster, region and VPC."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s

from mlstack.catalog import load_catalog
from mlstack.components.aws.load_balancer_controller import (
    PARTITION_VARIABLE,
    LoadBalancerController,
    LoadBalancerControllerArgs,
)

OIDC = "oidc.eks.us-gov-west-1.amazonaws.com/id/ABC"


def _program():
    LoadBalancerController(
        "gov-lb-controller",
        LoadBalancerControllerArgs(
            cluster_name="gov", vpc_id="vpc-0abc", oidc_provider_arn=f"arn:aws-us-gov:iam::123456789012:oidc-provider/{OIDC}",
            oidc_provider_url=OIDC, chart_version="3.5.0", image="public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0",
            policy_statements=load_catalog().iam_policies["aws-load-balancer-controller"].document(PARTITION_VARIABLE),
            replicas=3,
        ),
        opts=pulumi.ResourceOptions(providers=[k8s.Provider("test-k8s", kubeconfig="{}")]),
    )


def test_in_govcloud_the_policy_names_the_govcloud_partition(record_plan):
    plan = record_plan(_program, region="us-gov-west-1")
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "gov-lb-controller-role-policy").inputs["policy"])
    assert policy["Statement"] == load_catalog().iam_policies["aws-load-balancer-controller"].document("aws-us-gov")
    assert "arn:aws:" not in json.dumps(policy) and "${partition}" not in json.dumps(policy)
    trust = json.loads(plan.one("aws:iam/role:Role", "gov-lb-controller-role-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        f"{OIDC}:aud": "sts.amazonaws.com", f"{OIDC}:sub": "system:serviceaccount:kube-system:aws-load-balancer-controller"}
    values = plan.one("kubernetes:helm.sh/v3:Release", "gov-lb-controller").inputs["values"]
    assert (values["clusterName"], values["region"], values["vpcId"], values["replicaCount"]) == ("gov", "us-gov-west-1", "vpc-0abc", 3)
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws-us-gov:iam::123456789012:role/gov-lb-controller-role-role")
