"""Kubernetes rules over the platform layer's objects (workload pods, namespaces, NetworkPolicies, Helm)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mlstack.targets.policy import Finding, Rule, as_list, each, finding, get

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan
    from mlstack.engine.plan.recorder import Registration

# Kind -> path of its pod spec in the inputs.
WORKLOADS = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
}
NAMESPACE = "kubernetes:core/v1:Namespace"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
from mlstack.components.contract import TEAM_LABEL


def pods(plan: Plan) -> Iterator[tuple[Registration, dict[str, Any]]]:
    for type_, path in WORKLOADS.items():
        for r in plan.of_type(type_):
            spec = get(r.inputs, path)
            if isinstance(spec, dict):
                yield r, spec


def containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for c in as_list(spec.get("initContainers")) + as_list(spec.get("containers")):
        if isinstance(c, dict):
            yield c


def _each_container(plan: Plan, bad) -> Iterator[Finding]:
    for r, spec in pods(plan):
        for c in containers(spec):
            message = bad(spec, c)
            if message:
                yield finding(r, f"container {c.get('name', '?')}: {message}")


def _non_root(spec: dict, c: dict) -> str:
    pod_nr = get(spec, "securityContext.runAsNonRoot")
    c_nr = get(c, "securityContext.runAsNonRoot")
    uid = get(c, "securityContext.runAsUser", get(spec, "securityContext.runAsUser"))
    if c_nr is False or (c_nr is None and pod_nr is not True and not (isinstance(uid, int) and uid > 0)):
        return "may run as root (runAsNonRoot not set)"
    return ""


def _read_only(spec: dict, c: dict) -> str:
    return "" if get(c, "securityContext.readOnlyRootFilesystem") is True else "root file system is writable"


def _no_escalation(spec: dict, c: dict) -> str:
    sc = c.get("securityContext") or {}
    if sc.get("privileged") is True:
        return "runs privileged"
    return "" if sc.get("allowPrivilegeEscalation") is False else "allowPrivilegeEscalation is not false"


def _caps(spec: dict, c: dict) -> str:
    drop = [str(x).upper() for x in as_list(get(c, "securityContext.capabilities.drop"))]
    return "" if "ALL" in drop else "does not drop ALL capabilities"


def _resources(spec: dict, c: dict) -> str:
    missing = [p for p in ("requests.cpu", "requests.memory", "limits.memory") if get(c, f"resources.{p}") is None]
    return f"missing resources.{', resources.'.join(missing)}" if missing else ""


def _image_tag(spec: dict, c: dict) -> str:
    image = str(c.get("image") or "")
    if "@sha256:" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (means latest)"
    if last.rsplit(":", 1)[-1] == "latest":
        return f"image {image!r} uses the latest tag"
    return ""


def _default_deny(plan: Plan) -> Iterator[Finding]:
    denied: set[str] = set()
    for r in each(plan, NETPOL):
        spec = r.inputs.get("spec") or {}
        selects_all = not (get(spec, "podSelector.matchLabels") or get(spec, "podSelector.matchExpressions"))
        types = set(as_list(spec.get("policyTypes")))
        if selects_all and {"Ingress", "Egress"} <= types and not spec.get("ingress") and not spec.get("egress"):
            denied.add(str(get(r.inputs, "metadata.namespace", "")))
    for r in each(plan, NAMESPACE):
        labels = get(r.inputs, "metadata.labels") or {}
        if TEAM_LABEL in labels:
            name = str(get(r.inputs, "metadata.name", r.name))
            if name not in denied:
                yield finding(r, f"team namespace {name} has no default-deny NetworkPolicy (ingress and egress)")


def _helm_pinned(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, RELEASE):
        version = str(r.inputs.get("version") or "")
        if not version or version in ("latest", "*") or version.startswith(("^", "~", ">")):
            yield finding(r, f"chart {r.inputs.get('chart')!r} version is not pinned ({version or 'unset'})")


def _rule(fn):
    return lambda plan: _each_container(plan, fn)


def _chart_root(values: Any, path: str = "values") -> Iterator[str]:
    """Security contexts in chart values that ask for root (runAsUser 0 or runAsNonRoot false), wherever the
    chart puts them: charts name their security-context keys differently, the fields inside are Kubernetes'."""
    if isinstance(values, dict):
        if values.get("runAsUser") == 0 or values.get("runAsNonRoot") is False:
            yield path
        for key, value in sorted(values.items()):
            yield from _chart_root(value, f"{path}.{key}")
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from _chart_root(value, f"{path}[{i}]")


def _non_root_everywhere(plan: Plan) -> Iterator[Finding]:
    yield from _each_container(plan, _non_root)
    for r in each(plan, RELEASE):
        for where in _chart_root(r.inputs.get("values")):
            yield finding(r, f"chart {r.inputs.get('chart')!r} runs a pod as root ({where})")


SERVICE = "kubernetes:core/v1:Service"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
# What makes an Ingress's or a Gateway's load balancer internet-facing, as the controllers name it (checked
# 2026-12-02): the AWS Load Balancer Controller's scheme annotation (docs/guide/ingress/annotations.md), GKE's
# external Ingress class and its external GatewayClasses (cloud.google.com/kubernetes-engine/docs/concepts/
# gateway-api, "GatewayClass capabilities").
INTERNET_FACING_ANNOTATIONS = {"alb.ingress.kubernetes.io/scheme": "internet-facing", "kubernetes.io/ingress.class": "gce"}
INTERNET_FACING_CLASSES = ("gke-l7-global-external-managed", "gke-l7-regional-external-managed", "gke-l7-gxlb",
                           "gke-l7-global-external-managed-mc", "gke-l7-regional-external-managed-mc", "gke-l7-gxlb-mc")


def _private_endpoints(plan: Plan) -> Iterator[Finding]:
    """A load balancer admits private networks only; an Ingress serves every host over TLS; neither an Ingress nor
    a Gateway is internet-facing; every Gateway listener terminates TLS with a certificate."""
    import ipaddress

    for r in each(plan, SERVICE):
        if get(r.inputs, "spec.type") != "LoadBalancer":
            continue
        ranges = as_list(get(r.inputs, "spec.loadBalancerSourceRanges"))
        public = [c for c in ranges if not _private(ipaddress, str(c))]
        if not ranges or public:
            yield finding(r, "load balancer admits " + (f"public networks {public}" if public else "every address (no loadBalancerSourceRanges)"))
    for r in each(plan, INGRESS):
        covered = {str(h) for t in as_list(get(r.inputs, "spec.tls")) for h in as_list((t or {}).get("hosts"))}
        hosts = [str(rule.get("host", "*")) for rule in as_list(get(r.inputs, "spec.rules")) if isinstance(rule, dict)]
        bare = [h for h in hosts if h not in covered] or ([] if hosts else ["(every host)"])
        if bare:
            yield finding(r, f"Ingress serves {', '.join(bare)} without TLS (basic-auth passwords would cross the network in clear)")
        annotations = get(r.inputs, "metadata.annotations") or {}
        for key, value in INTERNET_FACING_ANNOTATIONS.items():
            if annotations.get(key) == value:
                yield finding(r, f"Ingress is internet-facing ({key}: {value})")
    for r in each(plan, GATEWAY):
        klass = str(get(r.inputs, "spec.gatewayClassName"))
        if klass in INTERNET_FACING_CLASSES:
            yield finding(r, f"Gateway is internet-facing (GatewayClass {klass})")
        for listener in as_list(get(r.inputs, "spec.listeners")):
            tls = (listener or {}).get("tls") or {}
            if listener.get("protocol") not in ("HTTPS", "TLS") or not tls.get("certificateRefs"):
                yield finding(r, f"Gateway listener {listener.get('name')} ({listener.get('protocol')}) does not terminate "
                                 "TLS with a certificate (basic-auth passwords would cross the network in clear)")


def _private(ipaddress, text: str) -> bool:
    try:
        return ipaddress.ip_network(text, strict=False).is_private
    except ValueError:
        return False


_W = tuple(WORKLOADS)
RULES: list[Rule] = [
    Rule("MLS-K8S-001", "Pods run as non-root", "A container escape as root owns the node.", ("CKV_K8S_23", "AVD-KSV-0012"),
         (*_W, RELEASE), _non_root_everywhere),
    Rule("MLS-K8S-002", "Containers have a read-only root file system", "An attacker cannot drop tools or alter binaries.",
         ("CKV_K8S_22", "AVD-KSV-0014"), _W, _rule(_read_only)),
    Rule("MLS-K8S-003", "No privilege escalation, not privileged", "setuid binaries and privileged mode break isolation.",
         ("CKV_K8S_20", "CKV_K8S_16", "AVD-KSV-0001", "AVD-KSV-0017"), _W, _rule(_no_escalation)),
    Rule("MLS-K8S-004", "Containers drop ALL capabilities", "Least privilege inside the container.", ("CKV_K8S_37", "AVD-KSV-0003"),
         _W, _rule(_caps)),
    Rule("MLS-K8S-005", "CPU and memory requests and a memory limit", "Scheduling is honest and one pod cannot starve a node.",
         ("CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "AVD-KSV-0015", "AVD-KSV-0016", "AVD-KSV-0018"), _W,
         _rule(_resources)),
    Rule("MLS-K8S-006", "No image uses the latest tag", "A moving tag makes deploys unreproducible and unreviewable.",
         ("CKV_K8S_14", "AVD-KSV-0013"), _W, _rule(_image_tag)),
    Rule("MLS-K8S-007", "Every team namespace has a default-deny NetworkPolicy", "Traffic is allowed only where a policy says so.",
         ("no Checkov/Trivy id (NSA/CISA Kubernetes hardening guide)",), (NAMESPACE,), _default_deny),
    Rule("MLS-K8S-008", "Helm chart versions are pinned", "An unpinned chart changes what `up` deploys without a diff.",
         ("no Checkov/Trivy id",), (RELEASE,), _helm_pinned),
    Rule("MLS-K8S-010", "No endpoint is open to the internet: load balancers admit private networks, Ingresses and Gateways are internal and use TLS",
         "The tracking server (and anything else) is reached over the private network only, never with clear-text passwords.",
         ("no Checkov/Trivy id (NSA/CISA Kubernetes hardening guide: network separation)",), (SERVICE, INGRESS, GATEWAY),
         _private_endpoints),
]
