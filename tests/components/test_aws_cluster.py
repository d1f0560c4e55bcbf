"""Cluster and NodePool under recording mocks: endpoint, encryption, logs, IAM, OIDC, kubeconfig, node groups."""

from __future__ import annotations

import json

import pulumi
import pytest

from mlstack.components.aws.cluster import Cluster, ClusterArgs, kubeconfig_json
from mlstack.components.aws.node_pool import NodePool, NodePoolArgs, Taint

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def _cluster(record_plan, **kw):
    def program():
        c = Cluster("acme-ml-staging", ClusterArgs(version="1.31", subnet_ids=SUBNETS, tags={"team": "ml"}, **kw))
        pulumi.export("kubeconfig", c.kubeconfig)
        pulumi.export("oidc_provider_url", c.oidc_provider_url)
        pulumi.export("cluster_security_group_id", c.cluster_security_group_id)

    return record_plan(program, region="us-west-2")


def test_private_encrypted_logged_cluster(record_plan):
    plan = _cluster(record_plan)
    comp = plan.one("mlstack:aws:Cluster", "acme-ml-staging")
    eks = plan.one("aws:eks/cluster:Cluster", "acme-ml-staging")
    assert eks.parent == comp.urn
    assert eks.inputs["name"] == "acme-ml-staging"
    assert eks.inputs["version"] == "1.31"
    assert eks.inputs["vpcConfig"] == {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": SUBNETS}
    key = plan.one("aws:kms/key:Key", "acme-ml-staging-secrets")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    assert eks.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert eks.inputs["encryptionConfig"]["provider"]["keyArn"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert eks.inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert eks.inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert eks.ignore_changes == ["accessConfig.bootstrapClusterCreatorAdminPermissions"]
    logs = plan.one("aws:cloudwatch/logGroup:LogGroup", "acme-ml-staging-logs")
    assert logs.inputs["name"] == "/aws/eks/acme-ml-staging/cluster" and logs.inputs["retentionInDays"] == 90
    assert logs.urn in eks.depends_on
    # The control plane's logs under their own key, which CloudWatch Logs may use for this one group only.
    logs_key = plan.one("aws:kms/key:Key", "acme-ml-staging-logs-key")
    assert logs_key.urn in logs.input_deps["kmsKeyId"] and logs.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert logs_key.inputs["enableKeyRotation"] is True and logs_key.inputs["deletionWindowInDays"] == 30
    assert logs_key.inputs["description"] == "CloudWatch Logs of the EKS control plane of acme-ml-staging"
    assert json.loads(logs_key.inputs["policy"])["Statement"] == [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchLogsEncrypts", "Effect": "Allow", "Principal": {"Service": "logs.us-west-2.amazonaws.com"},
         "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
         "Resource": "*", "Condition": {"ArnLike": {
             "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:/aws/eks/acme-ml-staging/cluster"}}},
    ]
    assert plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "acme-ml-staging-role-AmazonEKSClusterPolicy").urn in eks.depends_on
    assert not eks.protect and not eks.retain_on_delete and eks.inputs["deletionProtection"] is False


def test_iam_roles_and_oidc(record_plan):
    plan = _cluster(record_plan)
    role = plan.one("aws:iam/role:Role", "acme-ml-staging-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}}
    ]
    attached = {
        r.name: r.inputs["policyArn"] for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "acme-ml-staging-role-AmazonEKSClusterPolicy": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "acme-ml-staging-node-AmazonEKSWorkerNodePolicy": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "acme-ml-staging-node-AmazonEKS_CNI_Policy": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "acme-ml-staging-node-AmazonEC2ContainerRegistryReadOnly": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "acme-ml-staging-node-AmazonSSMManagedInstanceCore": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    oidc = plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "acme-ml-staging-oidc")
    assert oidc.inputs["url"].startswith("https://oidc.eks.us-west-2.amazonaws.com/id/")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert "thumbprintLists" not in oidc.inputs
    assert plan.outputs["oidc_provider_url"] == oidc.inputs["url"].removeprefix("https://")
    assert plan.outputs["kubeconfig"] == "[secret]"
    assert plan.outputs["cluster_security_group_id"].startswith("sg-")


def test_public_endpoint_only_with_cidrs_and_protect(record_plan):
    plan = _cluster(
        record_plan,
        public_access_cidrs=["203.0.113.0/24"],
        protect=True,
        authentication_mode="API_AND_CONFIG_MAP",
        admin_principal_arns=["arn:aws:iam::123456789012:role/platform-admin"],
        log_retention_days=365,
    )
    eks = plan.one("aws:eks/cluster:Cluster", "acme-ml-staging")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert eks.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert eks.inputs["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    assert eks.protect and eks.retain_on_delete and eks.inputs["deletionProtection"] is True
    key = plan.one("aws:kms/key:Key", "acme-ml-staging-secrets")
    assert key.protect and key.retain_on_delete
    logs_key = plan.one("aws:kms/key:Key", "acme-ml-staging-logs-key")
    assert logs_key.protect and logs_key.retain_on_delete  # losing the key loses the audit log
    assert plan.one("aws:cloudwatch/logGroup:LogGroup", "acme-ml-staging-logs").inputs["retentionInDays"] == 365
    assoc = plan.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "acme-ml-staging-admin-ce910ad9")
    assert assoc.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert assoc.inputs["accessScope"] == {"type": "cluster"}


def test_the_deployer_is_admin_through_a_removable_access_entry(record_plan):
    """No hidden creator admin: the identity running ``up`` gets an ordinary access entry, which
    ``deployer_admin=False`` removes on the next ``up`` without touching the cluster."""
    plan = _cluster(record_plan)
    entry = plan.one("aws:eks/accessEntry:AccessEntry", "acme-ml-staging-deployer")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:user/mlstack-plan"  # the plan's caller
    assert entry.inputs["clusterName"] == "acme-ml-staging" and entry.inputs["type"] == "STANDARD"
    assoc = plan.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "acme-ml-staging-deployer")
    assert assoc.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert assoc.inputs["accessScope"] == {"type": "cluster"} and assoc.depends_on == [entry.urn]
    assert not entry.protect and not entry.retain_on_delete

    without = _cluster(record_plan, deployer_admin=False)
    assert without.of_type("aws:eks/accessEntry:AccessEntry") == []
    assert without.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") == []
    # Removing the access changes nothing else: the cluster's inputs are the same.
    assert without.one("aws:eks/cluster:Cluster", "acme-ml-staging").inputs == plan.one("aws:eks/cluster:Cluster", "acme-ml-staging").inputs


def test_an_assumed_role_deployer_is_granted_as_its_role():
    """EKS refuses STS session ARNs as principals: the plan's answer for get_session_context, like AWS's, is
    the role behind the session."""
    from pulumi.runtime.mocks import MockCallArgs

    from mlstack.engine.plan.mocks import MockOutputs

    session = "arn:aws-us-gov:sts::123456789012:assumed-role/platform-deployer/ana@acme.com"
    answer, _ = MockOutputs(region="us-gov-west-1").call(
        MockCallArgs(token="aws:iam/getSessionContext:getSessionContext", args={"arn": session}, provider="")
    )
    assert answer["issuerArn"] == "arn:aws-us-gov:iam::123456789012:role/platform-deployer"
    assert answer["sessionName"] == "ana@acme.com"


def test_kubeconfig_uses_aws_exec():
    cfg = json.loads(kubeconfig_json("c1", "https://x.eks.amazonaws.com", "Q0E=", "us-west-2"))
    assert cfg["current-context"] == "c1"
    assert cfg["clusters"][0]["cluster"] == {"server": "https://x.eks.amazonaws.com", "certificate-authority-data": "Q0E="}
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "c1", "--region", "us-west-2", "--output", "json"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"


def _pool(record_plan, **kw):
    base = dict(cluster_name="acme-ml-staging", node_role_arn="arn:aws:iam::123456789012:role/node", subnet_ids=SUBNETS)
    return record_plan(lambda: NodePool("acme-ml-staging-a100", NodePoolArgs(**{**base, **kw})), region="us-west-2")


def test_gpu_pool(record_plan):
    plan = _pool(
        record_plan,
        instance_types=["p4de.24xlarge"],
        ami_type="AL2023_x86_64_NVIDIA",
        accelerator="nvidia-a100-80gb",
        pool_name="a100",
        min_size=0,
        max_size=4,
        spot=True,
        tags={"team": "ml"},
    )
    comp = plan.one("mlstack:aws:NodePool", "acme-ml-staging-a100")
    ng = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-a100")
    assert ng.parent == comp.urn
    assert ng.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng.inputs["capacityType"] == "SPOT"
    assert ng.inputs["instanceTypes"] == ["p4de.24xlarge"]
    assert ng.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 4, "desiredSize": 0}
    assert ng.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert ng.inputs["labels"] == {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/pool": "a100"}
    assert ng.inputs["clusterName"] == "acme-ml-staging" and ng.inputs["subnetIds"] == SUBNETS
    assert ng.ignore_changes == ["scalingConfig.desiredSize"]
    assert "diskSize" not in ng.inputs  # set in the launch template (the two conflict)
    lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-staging-a100-lt")
    assert lt.parent == comp.urn
    assert ng.inputs["launchTemplate"]["version"] == "1"
    assert ng.inputs["launchTemplate"]["id"].startswith("lt-")
    assert lt.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    assert lt.inputs["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "ebs": {"volumeSize": 100, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
        }
    ]
    specs = {s["resourceType"]: s["tags"] for s in lt.inputs["tagSpecifications"]}
    assert specs["instance"] == {"Name": "acme-ml-staging-a100", "team": "ml"} and set(specs) == {"instance", "volume", "network-interface"}


def test_cpu_and_trainium_pools(record_plan):
    plan = _pool(record_plan, instance_types=["m6i.xlarge"], min_size=2, max_size=4, desired_size=3, disk_size_gib=50)
    ng = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-a100")
    assert ng.inputs["amiType"] == "AL2023_x86_64_STANDARD" and ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 3}
    assert ng.inputs.get("taints", []) == []
    assert ng.inputs["labels"] == {"mlstack.io/pool": "acme-ml-staging-a100"}
    lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-staging-a100-lt")
    assert lt.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50

    plan = _pool(
        record_plan,
        instance_types=["trn1.32xlarge"],
        ami_type="AL2023_x86_64_NEURON",
        max_size=2,
        taints=[Taint(key="team", value="research", effect="NO_EXECUTE")],
    )
    ng = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-a100")
    assert ng.inputs["taints"] == [
        {"key": "aws.amazon.com/neuron", "value": "present", "effect": "NO_SCHEDULE"},
        {"key": "team", "value": "research", "effect": "NO_EXECUTE"},
    ]


def test_pool_validation():
    with pytest.raises(ValueError, match="min_size"):
        NodePoolArgs(instance_types=["m6i.xlarge"], min_size=3, max_size=2)
    with pytest.raises(ValueError, match="desired_size"):
        NodePoolArgs(instance_types=["m6i.xlarge"], min_size=0, max_size=2, desired_size=5)
    with pytest.raises(ValueError, match="instance_types"):
        NodePoolArgs(instance_types=[], max_size=2)
