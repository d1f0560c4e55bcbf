"""What the chosen ``tracking.access`` needs, in the plans of the examples: on AWS an Ingress of class alb brings
the AWS Load Balancer Controller (pinned chart and image, IRSA role with its documented policy), on GCP a
gce-internal Ingress brings the region's proxy-only subnet. Exact inputs; nothing of it without the access."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlstack.catalog import load_catalog
from mlstack.engine.review.planning import plan_env
from tests.lifecycle.fakes import copy_stacks
from tests.stack_text import with_sections

RELEASE = "kubernetes:helm.sh/v3:Release"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ACCESS = {"mode": "ingress", "source_cidrs": ["10.0.0.0/8", "192.168.0.0/16"], "host": "mlflow.ml.acme.internal",
          "tls_secret": "mlflow-tls"}  # fmt: skip


def _plan(tmp_path: Path, env: str, access: dict | None):
    stacks = copy_stacks(tmp_path)
    if access is not None:
        path = stacks / f"{env}.yaml"
        path.write_text(with_sections(path.read_text(), json.dumps({"tracking": {"access": access}})))
    return plan_env(env, stacks)


@pytest.fixture(scope="module")
def aws_ingress(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("aws"), "staging", ACCESS)


@pytest.fixture(scope="module")
def gcp_ingress(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("gcp"), "gcp-staging", ACCESS)


def test_an_alb_ingress_brings_the_load_balancer_controller_pinned_from_the_catalogue(aws_ingress):
    catalog = load_catalog()
    chart = catalog.versions.charts["aws-load-balancer-controller"]
    (controller,) = aws_ingress.of_type("mlstack:aws:LoadBalancerController")
    assert controller.name == "acme-ml-staging-lb-controller"
    release = aws_ingress.one(RELEASE, "acme-ml-staging-lb-controller")
    assert release.provider == "acme-ml-staging-k8s"
    assert (release.inputs["name"], release.inputs["chart"], release.inputs["version"], release.inputs["namespace"],
            release.inputs["repositoryOpts"]) == ("aws-load-balancer-controller", "aws-load-balancer-controller", "3.5.0",
                                                  "kube-system", {"repo": "https://aws.github.io/eks-charts"})  # fmt: skip
    assert (chart.version, chart.repo) == ("3.5.0", "https://aws.github.io/eks-charts")
    values = release.inputs["values"]
    role_arn = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith("arn:aws:iam::123456789012:role/acme-ml-staging-lb-controller-role-role")
    assert values == {
        "clusterName": "acme-ml-staging",
        "region": "us-west-2",
        "vpcId": values["vpcId"],
        "image": {"repository": "public.ecr.aws/eks/aws-load-balancer-controller", "tag": "v3.5.0", "pullPolicy": "IfNotPresent"},
        "replicaCount": 2,
        "ingressClass": "alb",
        "enableServiceMutatorWebhook": False,
        "serviceAccount": {"create": True, "name": "aws-load-balancer-controller",
                           "annotations": {"eks.amazonaws.com/role-arn": role_arn}},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True},
        "podSecurityContext": {"runAsGroup": 65532, "runAsNonRoot": True, "runAsUser": 65532,
                               "seccompProfile": {"type": "RuntimeDefault"}},
    }  # fmt: skip
    # The VPC and the cluster are the environment's own (the values carry their outputs).
    (vpc,) = aws_ingress.of_type("aws:ec2/vpc:Vpc")
    assert values["vpcId"].startswith("vpc-") and vpc.urn in release.input_deps["values"]


def test_the_controllers_role_is_trusted_by_its_service_account_only_and_holds_the_documented_policy(aws_ingress):
    role = aws_ingress.one("aws:iam/role:Role", "acme-ml-staging-lb-controller-role-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    sub = {k: v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")}
    assert list(sub.values()) == ["system:serviceaccount:kube-system:aws-load-balancer-controller"]
    policy = json.loads(aws_ingress.one("aws:iam/rolePolicy:RolePolicy", "acme-ml-staging-lb-controller-role-policy").inputs["policy"])
    documented = load_catalog().iam_policies["aws-load-balancer-controller"].document("aws")
    assert policy == {"Version": "2012-10-17", "Statement": documented}
    assert len(policy["Statement"]) == 16
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    # Changes only where the controller's own cluster tag is on the resource (it cannot touch other LBs).
    assert by_sid["ChangeOwnLoadBalancers"]["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert by_sid["RegisterTargets"]["Resource"] == "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"
    assert by_sid["CreateElbServiceLinkedRole"] == {
        "Sid": "CreateElbServiceLinkedRole", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}}  # fmt: skip


def test_the_policy_names_the_partition_it_runs_in():
    doc = load_catalog().iam_policies["aws-load-balancer-controller"].document("aws-us-gov")
    arns = [r for s in doc for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]) if r != "*"]
    assert arns and all(r.startswith("arn:aws-us-gov:") for r in arns)


def test_the_alb_ingress_is_internal_https_only_open_to_the_source_networks_and_checks_health(aws_ingress):
    ingress = aws_ingress.one(INGRESS, "acme-ml-staging-platform-tracking-ingress-tls")
    assert ingress.inputs["metadata"]["annotations"] == {
        "alb.ingress.kubernetes.io/healthcheck-path": "/health",
        "alb.ingress.kubernetes.io/inbound-cidrs": "10.0.0.0/8,192.168.0.0/16",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "alb.ingress.kubernetes.io/target-type": "ip",
    }
    assert ingress.inputs["spec"]["ingressClassName"] == "alb"


def test_no_controller_without_an_alb_ingress(tmp_path, example_plan):
    staging = example_plan("staging")
    assert staging.of_type("mlstack:aws:LoadBalancerController") == []
    assert [r.name for r in staging.of_type(RELEASE) if "aws-load-balancer-controller" in str(r.inputs.get("chart"))] == []
    own_class = _plan(tmp_path, "staging", {**ACCESS, "ingress_class": "nginx-internal"})
    assert own_class.of_type("mlstack:aws:LoadBalancerController") == []
    assert own_class.one(INGRESS, "acme-ml-staging-platform-tracking-ingress-tls").inputs["spec"]["ingressClassName"] == "nginx-internal"


def test_a_gce_internal_ingress_brings_the_regions_proxy_only_subnet(gcp_ingress, example_plan):
    (proxy,) = [s for s in gcp_ingress.of_type(SUBNET) if s.inputs.get("purpose") == "REGIONAL_MANAGED_PROXY"]
    assert proxy.name == "acme-ml-gcp-staging-network-proxy-only"
    (node_subnet,) = [s for s in gcp_ingress.of_type(SUBNET) if s is not proxy]
    assert proxy.inputs == {
        "project": "acme-ml-staging-1234", "region": "us-central1", "network": node_subnet.inputs["network"],
        "ipCidrRange": "10.9.0.0/23", "purpose": "REGIONAL_MANAGED_PROXY", "role": "ACTIVE",
    }  # fmt: skip
    # The proxies reach MLflow's pods from that subnet: its NetworkPolicy admits it next to the spec's networks.
    (rule,) = gcp_ingress.one(POLICY, "acme-ml-gcp-staging-platform-tracking-ingress").inputs["spec"]["ingress"]
    assert [p["ipBlock"]["cidr"] for p in rule["from"] if "ipBlock" in p] == ["10.0.0.0/8", "10.9.0.0/23", "192.168.0.0/16"]
    assert [s.name for s in example_plan("gcp-staging").of_type(SUBNET)] == ["acme-ml-gcp-staging-network-subnet"]


def test_the_proxy_only_range_is_reserved_clear_of_the_other_ranges():
    import ipaddress

    from mlstack.targets.gcp import PROXY_ONLY, RESERVED_RANGES

    proxy = ipaddress.IPv4Network(RESERVED_RANGES[PROXY_ONLY])
    assert proxy.prefixlen == 23
    assert not any(proxy.overlaps(ipaddress.IPv4Network(c)) for k, c in RESERVED_RANGES.items() if k != PROXY_ONLY)


def test_cost_prices_the_internal_alb_with_the_controller(aws_ingress, example_plan):
    from mlstack.engine.review.cost import estimate

    with_alb = estimate(aws_ingress)
    (line,) = [f for f in with_alb.fixed if f.name == "acme-ml-staging-lb-controller-alb"]
    assert (line.what, line.hourly) == ("internal ALB for MLflow's Ingress (hourly; LCUs extra)", 0.0225)
    assert round(with_alb.fixed_monthly - estimate(example_plan("staging")).fixed_monthly, 2) == line.monthly
