"""``tracking.access.mode: gateway``: a Gateway API Gateway (one HTTPS listener, TLS from the Secret) and an
HTTPRoute to MLflow, validated against strict models of the upstream CRDs (tests/crd_schemas/gateway.py); on GKE
the gke-l7-rilb class, its Gateway API on the cluster, the proxy-only subnet and a HealthCheckPolicy on /health;
on-prem the class the spec names; on AWS a located refusal with the reason."""

from __future__ import annotations

import json

import pytest
from crd_schemas import validate_custom
from k8s_checks import manifests, validate_manifests

from mlstack.engine.review.planning import plan_env
from tests.components.test_k8s_tracking_server import _plan as _server_plan
from tests.lifecycle.fakes import copy_stacks
from tests.stack_text import with_sections

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
HEALTH = "kubernetes:networking.gke.io/v1:HealthCheckPolicy"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
LABELS = {"app.kubernetes.io/component": "tracking-server", "app.kubernetes.io/managed-by": "mlstack",
          "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/part-of": "mlstack"}  # fmt: skip
ACCESS = {"mode": "gateway", "source_cidrs": ["10.0.0.0/8"], "host": "mlflow.ml.acme.internal", "tls_secret": "mlflow-tls"}
LISTENER = {"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "mlflow.ml.acme.internal",
            "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": "mlflow-tls"}]},
            "allowedRoutes": {"namespaces": {"from": "Same"}}}  # fmt: skip
ROUTE_SPEC = {
    "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "mlflow", "sectionName": "https"}],
    "hostnames": ["mlflow.ml.acme.internal"],
    "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
               "backendRefs": [{"group": "", "kind": "Service", "name": "mlflow", "port": 5000}]}],
}  # fmt: skip


def _access(**kw):
    from mlstack.components.k8s.tracking_access import TrackingAccessArgs

    return TrackingAccessArgs(**{**{k: v for k, v in ACCESS.items()}, "source_cidrs": ("10.0.0.0/8",), **kw})


def test_a_gateway_and_its_route_terminate_tls_for_the_host_on_the_class(record_plan):
    plan = _server_plan(record_plan, access=_access(gateway_class="internal-gateway"), allowed_hosts=["mlflow.ml.acme.internal"])
    gateway = plan.one(GATEWAY, "tracking-gateway")
    assert gateway.inputs == {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                              "metadata": {"name": "mlflow", "namespace": "mlflow", "labels": LABELS},
                              "spec": {"gatewayClassName": "internal-gateway", "listeners": [LISTENER]}}  # fmt: skip
    route = plan.one(ROUTE, "tracking-route")
    assert route.inputs == {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                            "metadata": {"name": "mlflow", "namespace": "mlflow", "labels": LABELS}, "spec": ROUTE_SPEC}
    assert plan.of_type(HEALTH) == [] and plan.of_type("kubernetes:networking.k8s.io/v1:Ingress") == []
    assert validate_manifests(manifests(plan.resources), "1.33") == []


def test_the_strict_models_refuse_what_the_crds_refuse():
    ok = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "mlflow"},
          "spec": {"gatewayClassName": "c", "listeners": [LISTENER]}}  # fmt: skip
    assert validate_custom(ok, "gw", "1.33") == []
    no_cert = {**LISTENER, "tls": {"mode": "Terminate"}}
    http_tls = {**LISTENER, "protocol": "HTTP"}
    typo = {**LISTENER, "hostName": "x"}
    for listener, message in ((no_cert, "certificateRefs or options must be specified when mode is Terminate"),
                              (http_tls, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
                              (typo, "spec.listeners.0.hostName: Extra inputs are not permitted"),
                              ({**LISTENER, "port": 0}, "spec.listeners.0.port: Input should be greater than or equal to 1")):
        errors = validate_custom({**ok, "spec": {**ok["spec"], "listeners": [listener]}}, "gw", "1.33")
        assert any(message in e for e in errors), (message, errors)
    route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "mlflow"}, "spec": ROUTE_SPEC}
    assert validate_custom(route, "r", "1.33") == []
    portless = json.loads(json.dumps(route))
    del portless["spec"]["rules"][0]["backendRefs"][0]["port"]
    assert any("Must have port for Service reference" in e for e in validate_custom(portless, "r", "1.33"))


@pytest.fixture(scope="module")
def gcp_gateway(tmp_path_factory):
    stacks = copy_stacks(tmp_path_factory.mktemp("gcp"))
    path = stacks / "gcp-staging.yaml"
    path.write_text(with_sections(path.read_text(), json.dumps({"tracking": {"access": ACCESS}})))
    return plan_env("gcp-staging", stacks)


def test_on_gke_the_internal_gateway_class_with_what_it_needs(gcp_gateway):
    prefix = "acme-ml-gcp-staging-platform-tracking"
    assert gcp_gateway.one(GATEWAY, f"{prefix}-gateway").inputs["spec"] == {"gatewayClassName": "gke-l7-rilb", "listeners": [LISTENER]}
    assert gcp_gateway.one(ROUTE, f"{prefix}-route").inputs["spec"] == ROUTE_SPEC
    # GKE checks backends on / unless told: MLflow answers 401 there, /health is the probes' path.
    assert gcp_gateway.one(HEALTH, f"{prefix}-backend-policy").inputs["spec"] == {
        "default": {"config": {"type": "HTTP", "httpHealthCheck": {"portSpecification": "USE_SERVING_PORT", "requestPath": "/health"}}},
        "targetRef": {"group": "", "kind": "Service", "name": "mlflow"},
    }  # fmt: skip
    cluster = gcp_gateway.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke")
    assert cluster.inputs["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    (proxy,) = [s for s in gcp_gateway.of_type("gcp:compute/subnetwork:Subnetwork") if s.inputs.get("purpose") == "REGIONAL_MANAGED_PROXY"]
    assert proxy.inputs["ipCidrRange"] == "10.9.0.0/23"
    (rule,) = gcp_gateway.one(POLICY, f"{prefix}-ingress").inputs["spec"]["ingress"]
    assert [p["ipBlock"]["cidr"] for p in rule["from"] if "ipBlock" in p] == ["10.0.0.0/8", "10.9.0.0/23"]
    custom = [(r, m) for r, m in manifests(gcp_gateway.resources) if r.type in (GATEWAY, ROUTE, HEALTH)]
    assert len(custom) == 3 and validate_manifests(custom, "1.33") == []


def test_no_gateway_api_on_gke_without_the_gateway_mode(example_plan):
    cluster = example_plan("gcp-staging").one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke")
    assert "gatewayApiConfig" not in cluster.inputs


def _validate(tmp_path, capsys, env, access):
    from mlstack.cli import main

    stacks = copy_stacks(tmp_path)
    path = stacks / f"{env}.yaml"
    path.write_text(with_sections(path.read_text(), json.dumps({"tracking": {"access": access}})))
    code = main(["--stacks-dir", str(stacks), "validate", "--env", env])
    return code, capsys.readouterr().err


def test_on_aws_the_gateway_is_refused_with_the_reason_and_the_way_out(tmp_path, capsys):
    code, err = _validate(tmp_path, capsys, "staging", ACCESS)
    assert code == 2
    assert "tracking.access.mode" in err
    assert ("mode gateway on aws: the AWS Load Balancer Controller's Gateway takes certificates from ACM only and ignores "
            "a listener's certificateRefs, so MLflow's tls_secret cannot be served. Use mode: ingress") in " ".join(err.split())


def test_on_prem_the_gateway_needs_the_clusters_class(tmp_path, capsys):
    code, err = _validate(tmp_path, capsys, "onprem", ACCESS)
    assert code == 2
    assert "tracking.access.gateway_class" in err
    assert "mode gateway on onprem needs gateway_class" in " ".join(err.split())


def test_a_class_of_the_other_mode_is_refused(tmp_path, capsys):
    code, err = _validate(tmp_path, capsys, "gcp-staging", {**ACCESS, "ingress_class": "nginx"})
    assert code == 2
    assert "ingress_class is read with mode ingress only, not gateway. Remove it" in " ".join(err.split())


def test_on_prem_the_named_class_and_no_policy_of_a_cloud(tmp_path):
    stacks = copy_stacks(tmp_path)
    path = stacks / "onprem.yaml"
    path.write_text(with_sections(path.read_text(), json.dumps({"tracking": {"access": {**ACCESS, "gateway_class": "cilium"}}})))
    plan = plan_env("onprem", stacks)
    (gateway,) = plan.of_type(GATEWAY)
    assert gateway.inputs["spec"] == {"gatewayClassName": "cilium", "listeners": [LISTENER]}
    assert plan.of_type(HEALTH) == []
    (rule,) = [r for r in plan.of_type(POLICY) if r.name.endswith("platform-tracking-ingress")][0].inputs["spec"]["ingress"]
    assert [p["ipBlock"]["cidr"] for p in rule["from"] if "ipBlock" in p] == ["10.0.0.0/8"]
