"""ClusterAutoscaler: IRSA role scoped to the cluster's node groups, and the pinned Helm release."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s

from mlstack.components.aws.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs


def test_role_and_release(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        ClusterAutoscaler(
            "acme-ml-staging-autoscaler",
            ClusterAutoscalerArgs(
                cluster_name="acme-ml-staging",
                oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC",
                oidc_provider_url="oidc.eks.us-west-2.amazonaws.com/id/ABC",
                chart_version="9.59.0",
                image="registry.k8s.io/autoscaling/cluster-autoscaler:v1.36.1",
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    plan = record_plan(program, region="us-west-2")
    release = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-autoscaler")
    assert release.provider == "test-k8s"
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "cluster-autoscaler", "9.59.0", "kube-system"
    )
    values = release.inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "acme-ml-staging"}
    assert values["awsRegion"] == "us-west-2"
    assert values["image"] == {
        "repository": "registry.k8s.io/autoscaling/cluster-autoscaler", "tag": "v1.36.1", "pullPolicy": "IfNotPresent"}
    role = plan.one("aws:iam/role:Role", "acme-ml-staging-autoscaler-role-role")
    assert values["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/acme-ml-staging-autoscaler-role"
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        "oidc.eks.us-west-2.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        "oidc.eks.us-west-2.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:cluster-autoscaler",
    }
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "acme-ml-staging-autoscaler-role-policy").inputs["policy"])
    scale = next(s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert scale["Action"] == ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/eks:cluster-name": "acme-ml-staging"}}
    assert not any(a.endswith("*") for s in policy["Statement"] for a in s["Action"])


def test_an_unpinned_image_is_refused(record_plan):
    def program():
        ClusterAutoscaler(
            "acme-ml-staging-autoscaler",
            ClusterAutoscalerArgs(cluster_name="c", oidc_provider_arn="arn", oidc_provider_url="u", chart_version="9.59.0",
                                  image="registry.k8s.io/autoscaling/cluster-autoscaler"),
        )

    import pytest

    with pytest.raises(Exception, match="operator image 'registry.k8s.io/autoscaling/cluster-autoscaler' must be "
                                        "'repository:tag' with a pinned tag"):
        record_plan(program, region="us-west-2")
