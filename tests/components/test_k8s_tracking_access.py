"""MLflow from laptops (``TrackingServerArgs.access``): the internal load balancer or the TLS Ingress, exact inputs,
the NetworkPolicy's ipBlocks, strict Kubernetes validation; the packs' internal annotations; the spec rules."""

from __future__ import annotations

import pytest

from k8s_checks import manifests, validate_manifests
from tests.components.test_k8s_tracking_server import _plan

SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
LABELS = {"app.kubernetes.io/component": "tracking-server", "app.kubernetes.io/managed-by": "mlstack",
          "app.kubernetes.io/name": "mlflow", "app.kubernetes.io/part-of": "mlstack"}  # fmt: skip
SELECTOR = {"app.kubernetes.io/component": "tracking-server", "app.kubernetes.io/name": "mlflow"}


def _access(**kw):
    from mlstack.components.k8s.tracking_access import TrackingAccessArgs

    return TrackingAccessArgs(**{"source_cidrs": ["10.0.0.0/8", "192.168.0.0/16"], **kw})


def test_off_by_default_nothing_reaches_mlflow_from_outside_the_cluster(record_plan):
    plan = _plan(record_plan, allowed_namespaces=["research"])
    assert [r.name for r in plan.of_type(SERVICE)] == ["tracking-service"]
    assert plan.of_type(INGRESS) == []
    (rule,) = plan.one(POLICY, "tracking-ingress").inputs["spec"]["ingress"]
    assert not any("ipBlock" in peer for peer in rule["from"])


def test_an_internal_load_balancer_with_the_targets_annotations_and_source_ranges(record_plan):
    annotations = {"networking.gke.io/load-balancer-type": "Internal"}
    plan = _plan(record_plan, allowed_namespaces=["research"], access=_access(mode="internal-load-balancer", annotations=annotations))
    lb = plan.one(SERVICE, "tracking-internal-lb")
    assert lb.inputs["metadata"] == {"name": "mlflow-internal", "namespace": "mlflow", "labels": LABELS, "annotations": annotations}
    assert lb.inputs["spec"] == {
        "type": "LoadBalancer", "selector": SELECTOR, "externalTrafficPolicy": "Local",
        "loadBalancerSourceRanges": ["10.0.0.0/8", "192.168.0.0/16"],
        "ports": [{"name": "http", "port": 5000, "targetPort": "http", "protocol": "TCP"}],
    }
    (rule,) = plan.one(POLICY, "tracking-ingress").inputs["spec"]["ingress"]
    assert rule["from"][1:] == [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "192.168.0.0/16"}}]
    assert plan.of_type(INGRESS) == []
    assert validate_manifests(manifests(plan.resources), "1.33") == []


def test_an_ingress_terminates_tls_for_the_host_on_the_internal_class(record_plan):
    annotations = {"alb.ingress.kubernetes.io/scheme": "internal", "alb.ingress.kubernetes.io/target-type": "ip"}
    access = _access(mode="ingress", host="mlflow.ml.acme.internal", tls_secret="mlflow-tls", ingress_class="alb",
                     annotations=annotations)  # fmt: skip
    plan = _plan(record_plan, access=access, allowed_hosts=["mlflow.ml.acme.internal"])
    ingress = plan.one(INGRESS, "tracking-ingress-tls")
    assert ingress.inputs["metadata"] == {"name": "mlflow", "namespace": "mlflow", "labels": LABELS, "annotations": annotations}
    assert ingress.inputs["spec"] == {
        "ingressClassName": "alb",
        "tls": [{"hosts": ["mlflow.ml.acme.internal"], "secretName": "mlflow-tls"}],
        "rules": [{"host": "mlflow.ml.acme.internal", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": "mlflow", "port": {"number": 5000}}}}]}}],
    }  # fmt: skip
    assert [r.name for r in plan.of_type(SERVICE)] == ["tracking-service"]
    command = plan.one("kubernetes:apps/v1:Deployment", "tracking-deployment").inputs["spec"]["template"]["spec"]["containers"][0]["command"]
    assert "mlflow.ml.acme.internal" in command[command.index("--allowed-hosts") + 1].split(",")
    assert validate_manifests(manifests(plan.resources), "1.33") == []


def test_an_ingress_without_host_or_certificate_is_refused(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="with ingress a host and tls_secret"):
        _plan(record_plan, access=_access(mode="ingress", host="mlflow.ml.acme.internal"))


@pytest.mark.parametrize(("cloud", "mode", "annotations", "klass"), [
    ("aws", "internal-load-balancer", {"service.beta.kubernetes.io/aws-load-balancer-internal": "true",
                                       "service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}, None),
    ("aws", "ingress", {"alb.ingress.kubernetes.io/scheme": "internal", "alb.ingress.kubernetes.io/target-type": "ip",
                        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                        "alb.ingress.kubernetes.io/healthcheck-path": "/health",
                        "alb.ingress.kubernetes.io/inbound-cidrs": "10.0.0.0/8"}, "alb"),
    ("gcp", "internal-load-balancer", {"networking.gke.io/load-balancer-type": "Internal"}, None),
    ("gcp", "ingress", {"kubernetes.io/ingress.class": "gce-internal"}, None),
    ("onprem", "internal-load-balancer", {}, None),
    ("onprem", "ingress", {}, "nginx"),
])  # fmt: skip
def test_each_pack_makes_the_endpoint_internal(cloud, mode, annotations, klass):
    import importlib

    from mlstack.engine.plan.platform import tracking_access
    from mlstack.targets.bindings import Bindings

    pack = importlib.import_module(f"mlstack.targets.{cloud}.mapping")
    spec = _spec({"mode": mode, "source_cidrs": ["10.0.0.0/8"], "host": "mlflow.lab", "tls_secret": "mlflow-tls"})
    args = tracking_access(spec, Bindings("p", {}, "s3://b", "postgresql://x", mlflow_access=pack.MLFLOW_ACCESS))
    # Behind GKE's own Ingress the pods see the proxy-only subnet: MLflow's NetworkPolicy admits it too.
    pods_from = ("10.0.0.0/8", "10.9.0.0/23") if (cloud, mode) == ("gcp", "ingress") else ("10.0.0.0/8",)
    assert (args.mode, args.annotations, args.ingress_class, tuple(args.source_cidrs)) == (mode, annotations, klass, pods_from)


def test_a_class_the_spec_names_replaces_gkes_class_annotation():
    from mlstack.engine.plan.platform import tracking_access
    from mlstack.targets.bindings import Bindings
    from mlstack.targets.gcp.mapping import MLFLOW_ACCESS

    spec = _spec({"mode": "ingress", "source_cidrs": ["10.0.0.0/8"], "host": "m.lab", "tls_secret": "t", "ingress_class": "nginx"})
    args = tracking_access(spec, Bindings("p", {}, "s3://b", "postgresql://x", mlflow_access=MLFLOW_ACCESS))
    assert (args.ingress_class, args.annotations) == ("nginx", {})


def _spec(access):
    from pathlib import Path

    from mlstack.spec import load_spec
    from mlstack.spec.models import TrackingAccess

    spec = load_spec("staging", Path(__file__).resolve().parents[2] / "stacks")
    return spec.model_copy(update={"tracking": spec.tracking.model_copy(update={"access": TrackingAccess(**access)})})


def test_validate_refuses_a_public_source_network_located_with_the_fix(tmp_path, capsys):
    from mlstack.cli import main
    from tests.lifecycle.fakes import copy_stacks

    stacks = copy_stacks(tmp_path)
    with (stacks / "staging.yaml").open("a") as f:
        f.write("tracking:\n  access: {mode: internal-load-balancer, source_cidrs: [10.0.0.0/8, 0.0.0.0/0]}\n")
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert "tracking.access.source_cidrs[1]" in err
    assert ("0.0.0.0/0 is not a private network: the tracking server is never internet-facing. List your VPN or office "
            "networks (RFC 1918, e.g. 10.0.0.0/8)") in err
