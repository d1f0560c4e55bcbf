"""Gateway API v1 (gateway.networking.k8s.io, standard channel v1.6.1: Gateway, HTTPRoute) and GKE's
HealthCheckPolicy (networking.gke.io/v1), the parts mlstack's objects use, written from the upstream CRDs'
OpenAPI schemas (config/crd/standard/gateway.networking.k8s.io_{gateways,httproutes}.yaml at tag v1.6.1;
GoogleCloudPlatform/gke-gateway-api config/crd/networking.gke.io_healthcheckpolicies.yaml at fc40d60): names,
patterns, bounds, enums and the CEL rules on those fields. A field mlstack does not use is an error here
(``extra="forbid"``), so adding one means reading its schema first."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ._base import ObjectMeta, Strict

_DNS = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
Group = Annotated[str, StringConstraints(pattern=rf"^$|^{_DNS}$", max_length=253)]
Kind = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$", min_length=1, max_length=63)]
ObjectName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
SectionName = Annotated[str, StringConstraints(pattern=rf"^{_DNS}$", min_length=1, max_length=253)]
Namespace = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", min_length=1, max_length=63)]
Hostname = Annotated[str, StringConstraints(pattern=rf"^(\*\.)?{_DNS}$", min_length=1, max_length=253)]
Port = Annotated[int, Field(ge=1, le=65535)]


class SecretObjectReference(Strict):
    group: Group = ""
    kind: Kind = "Secret"
    name: ObjectName
    namespace: Namespace | None = None


class ListenerTLS(Strict):
    mode: Literal["Terminate", "Passthrough"] = "Terminate"
    certificateRefs: list[SecretObjectReference] = Field(default_factory=list, max_length=64)

    @model_validator(mode="after")
    def _terminate_has_certificates(self) -> ListenerTLS:
        # CEL: self.mode == 'Terminate' ? size(self.certificateRefs) > 0 || size(self.options) > 0 : true
        if self.mode == "Terminate" and not self.certificateRefs:
            raise ValueError("certificateRefs or options must be specified when mode is Terminate")
        return self


class RouteNamespaces(Strict):
    from_: Literal["All", "Selector", "Same"] = Field("Same", alias="from")


class AllowedRoutes(Strict):
    namespaces: RouteNamespaces = Field(default_factory=RouteNamespaces)


class Listener(Strict):
    name: SectionName
    hostname: Hostname | None = None
    port: Port
    protocol: Annotated[str, StringConstraints(min_length=1, max_length=255,
                                               pattern=rf"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|{_DNS}\/[A-Za-z0-9]+$")]
    tls: ListenerTLS | None = None
    allowedRoutes: AllowedRoutes = Field(default_factory=AllowedRoutes)


class GatewaySpec(Strict):
    gatewayClassName: ObjectName
    listeners: list[Listener] = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _listener_rules(self) -> GatewaySpec:
        names = [listener.name for listener in self.listeners]
        if len(set(names)) != len(names):
            raise ValueError("Listener name must be unique within the Gateway")
        for listener in self.listeners:
            if listener.protocol in ("HTTP", "TCP", "UDP") and listener.tls is not None:
                raise ValueError("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
            if listener.protocol == "HTTPS" and listener.tls is not None and listener.tls.mode != "Terminate":
                raise ValueError("tls mode must be Terminate for protocol HTTPS")
            if listener.protocol == "TLS" and listener.tls is None:
                raise ValueError("tls mode must be set for protocol TLS")
        return self


class Gateway(Strict):
    apiVersion: Literal["gateway.networking.k8s.io/v1"]
    kind: Literal["Gateway"]
    metadata: ObjectMeta
    spec: GatewaySpec


class ParentReference(Strict):
    group: Group = "gateway.networking.k8s.io"
    kind: Kind = "Gateway"
    name: ObjectName
    namespace: Namespace | None = None
    sectionName: SectionName | None = None
    port: Port | None = None


class PathMatch(Strict):
    type: Literal["Exact", "PathPrefix", "RegularExpression"] = "PathPrefix"
    value: Annotated[str, StringConstraints(max_length=1024)] = "/"

    @model_validator(mode="after")
    def _absolute(self) -> PathMatch:
        if self.type in ("Exact", "PathPrefix") and (not self.value.startswith("/") or "//" in self.value):
            raise ValueError("value must be an absolute path and start with '/' (no '//') when type is Exact or PathPrefix")
        return self


class RouteMatch(Strict):
    path: PathMatch = Field(default_factory=PathMatch)


class BackendRef(Strict):
    group: Group = ""
    kind: Kind = "Service"
    name: ObjectName
    namespace: Namespace | None = None
    port: Port | None = None
    weight: Annotated[int, Field(ge=0, le=1_000_000)] = 1

    @model_validator(mode="after")
    def _service_has_port(self) -> BackendRef:
        # CEL: (size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true
        if self.group == "" and self.kind == "Service" and self.port is None:
            raise ValueError("Must have port for Service reference")
        return self


class RouteRule(Strict):
    matches: list[RouteMatch] = Field(default_factory=lambda: [RouteMatch()], max_length=64)
    backendRefs: list[BackendRef] = Field(default_factory=list, max_length=16)


class HTTPRouteSpec(Strict):
    parentRefs: list[ParentReference] = Field(default_factory=list, max_length=32)
    hostnames: list[Hostname] = Field(default_factory=list, max_length=16)
    rules: list[RouteRule] = Field(min_length=1, max_length=16)


class HTTPRoute(Strict):
    apiVersion: Literal["gateway.networking.k8s.io/v1"]
    kind: Literal["HTTPRoute"]
    metadata: ObjectMeta
    spec: HTTPRouteSpec


class HttpHealthCheck(Strict):
    portSpecification: Literal["USE_FIXED_PORT", "USE_NAMED_PORT", "USE_SERVING_PORT"] | None = None
    port: Port | None = None
    portName: Annotated[str, StringConstraints(max_length=63, pattern=r"[a-z]([-a-z0-9]*[a-z0-9])?")] | None = None
    requestPath: Annotated[str, StringConstraints(max_length=2048, pattern=r"\/[A-Za-z0-9\/\-._~%!?$&'()*+,;=:]*$")] | None = None

    @model_validator(mode="after")
    def _port_rules(self) -> HttpHealthCheck:
        spec, fixed, named = self.portSpecification, self.port is not None, self.portName is not None
        if (spec == "USE_FIXED_PORT" and (not fixed or named)) or (spec == "USE_NAMED_PORT" and (fixed or not named)) \
                or (spec in (None, "USE_SERVING_PORT") and (fixed or named)):
            raise ValueError(f"port/portName do not fit portSpecification {spec}")
        return self


class HealthCheckConfig(Strict):
    type: Literal["TCP", "HTTP", "HTTPS", "HTTP2", "GRPC"]
    httpHealthCheck: HttpHealthCheck | None = None

    @model_validator(mode="after")
    def _has_its_check(self) -> HealthCheckConfig:
        if self.type == "HTTP" and self.httpHealthCheck is None:
            raise ValueError("type HTTP needs httpHealthCheck")
        if self.type != "HTTP":
            raise ValueError(f"type {self.type}: no model for its check here (only HTTP is used by mlstack)")
        return self


class HealthCheckPolicyDefault(Strict):
    config: HealthCheckConfig
    checkIntervalSec: Annotated[int, Field(ge=1, le=300)] | None = None
    timeoutSec: Annotated[int, Field(ge=1, le=300)] | None = None


class PolicyTargetReference(Strict):
    group: Group
    kind: Kind
    name: ObjectName
    namespace: Namespace | None = None


class HealthCheckPolicySpec(Strict):
    default: HealthCheckPolicyDefault | None = None
    targetRef: PolicyTargetReference


class HealthCheckPolicy(Strict):
    apiVersion: Literal["networking.gke.io/v1"]
    kind: Literal["HealthCheckPolicy"]
    metadata: ObjectMeta
    spec: HealthCheckPolicySpec


MODELS = {
    ("gateway.networking.k8s.io/v1", "Gateway"): Gateway,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTPRoute,
    ("networking.gke.io/v1", "HealthCheckPolicy"): HealthCheckPolicy,
}
