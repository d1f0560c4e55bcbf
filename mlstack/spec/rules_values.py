"""Rules on values a schema cannot judge: networks, zones, capacity, node pools. Each yields (path, message).

What differs between targets (network prefix lengths, the ranges a target reserves besides its node subnet,
whether zones are counted, TPUs) is read from the target's pack (``Pack.spec``), never named here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from mlstack import targets
from mlstack.spec.models import Spec
from mlstack.targets.base import SpecRules

Finding = tuple[str, str]


def check(spec: Spec, catalog) -> Iterator[Finding]:
    yield from _cidrs(spec)
    yield from _zones(spec, catalog)
    yield from _tpu_quota(spec, catalog)
    yield from _tracking_access(spec)
    if not _rules(spec).existing_cluster and not spec.node_pools:
        yield "node_pools", ("an environment needs at least one node pool: without nodes nothing runs, not even the "
                             "tracking server. Add e.g. node_pools: {system: {machine: "
                             f"{catalog.default_system_machine.get(spec.target.cloud, 'm6i.xlarge')}, min: 2, max: 4}}}}")


def _rules(spec: Spec) -> SpecRules:
    return targets.pack(spec.target.cloud).spec


def parse_cidr(text: str) -> tuple[ipaddress.IPv4Network | None, str]:
    """The network ``text`` names, or None and why not (with the fix)."""
    try:
        return ipaddress.IPv4Network(text, strict=True), ""
    except ValueError as exc:
        if "has host bits set" in str(exc):
            net = ipaddress.IPv4Network(text, strict=False)
            return None, f"{text} has host bits set: the network is {net}. Write {net}"
        return None, f"{text!r} is not an IPv4 network ({exc}). Write one such as 10.0.0.0/16"


def node_subnet(net: ipaddress.IPv4Network, prefix: int | None) -> ipaddress.IPv4Network:
    """The node subnet mlstack makes of ``network.cidr``: its first /``prefix`` (all of it when smaller or when
    the target has no such rule, ``SpecRules.node_subnet_prefix``)."""
    return next(net.subnets(new_prefix=prefix)) if prefix is not None and net.prefixlen < prefix else net


def _cidrs(spec: Spec) -> Iterator[Finding]:
    cloud = spec.target.cloud
    rules = _rules(spec)
    if rules.network_prefixes is not None:
        net, why = parse_cidr(spec.network.cidr)
        if net is None:
            yield "network.cidr", why
        else:
            lo, hi = rules.network_prefixes
            if not lo <= net.prefixlen <= hi:
                yield "network.cidr", (f"a /{net.prefixlen} network; on {cloud} it must be /{lo} to /{hi} "
                                       f"(e.g. 10.0.0.0/16)")
            else:
                yield from _overlaps(net, rules)
    for i, cidr in enumerate(spec.cluster.allowed_cidrs):
        ok, why = parse_cidr(cidr)
        if ok is None:
            yield f"cluster.allowed_cidrs.{i}", why
    for name, team in spec.teams.items():
        for i, cidr in enumerate(team.egress_cidrs):
            ok, why = parse_cidr(cidr)
            if ok is None:
                yield f"teams.{name}.egress_cidrs.{i}", why


def _overlaps(net: ipaddress.IPv4Network, rules: SpecRules) -> Iterator[Finding]:
    subnet = node_subnet(net, rules.node_subnet_prefix)
    for what, text in rules.reserved_ranges.items():
        reserved = ipaddress.IPv4Network(text)
        if subnet.overlaps(reserved):
            yield "network.cidr", (f"the node subnet {subnet} (from {net}) overlaps the cluster's {what} range "
                                   f"{reserved}: pods and services would be unreachable. Choose a network outside "
                                   f"{', '.join(rules.reserved_ranges.values())}, e.g. 10.0.0.0/16")


def _zones(spec: Spec, catalog) -> Iterator[Finding]:
    if not _rules(spec).zone_counts or spec.network.existing_vpc_id:
        return
    zones = catalog.availability_zones.get(spec.target.cloud, {}).get(spec.target.region or "")
    if zones is not None and spec.network.availability_zones > zones:
        yield "network.availability_zones", (
            f"{spec.target.region} offers an account {zones} availability zones, not {spec.network.availability_zones} "
            f"(catalogue of {catalog.as_of}). Set availability_zones: {zones} or less")


def _tpu_quota(spec: Spec, catalog) -> Iterator[Finding]:
    """A team's TPU quota within what the TPU pools can ever hold (chips per slice x most slices)."""
    if not _rules(spec).tpus:
        return
    capacity = 0
    for pool in spec.node_pools.values():
        acc = catalog.accelerators.get(pool.accelerator or "")
        if acc is None or acc.kind != "tpu" or pool.topology is None:
            continue
        shape = catalog.tpus.get(acc.name, None)
        topo = shape.topologies.get(pool.topology) if shape else None
        if topo is None:
            continue  # an invalid topology is reported by the pool rules
        slices = pool.size()[1]
        capacity += topo.chips * max(slices, 0)
    for name, team in spec.teams.items():
        if team.tpu_quota and capacity and team.tpu_quota > capacity:
            yield f"teams.{name}.tpu_quota", (
                f"{team.tpu_quota} TPU chips is more than the TPU pools can ever provide ({capacity} chips at their "
                "max slices). Lower tpu_quota or raise a TPU pool's max")


def _tracking_access(spec: Spec) -> Iterator[Finding]:
    access = spec.tracking.access
    if access is None:
        return
    for i, text in enumerate(access.source_cidrs):
        net, why = parse_cidr(text)
        if net is None:
            yield f"tracking.access.source_cidrs[{i}]", why
        elif not net.is_private:
            yield f"tracking.access.source_cidrs[{i}]", (
                f"{text} is not a private network: the tracking server is never internet-facing. List your VPN or "
                "office networks (RFC 1918, e.g. 10.0.0.0/8)")
    if access.mode in ("ingress", "gateway"):
        what = "Ingress" if access.mode == "ingress" else "Gateway"
        for key in ("host", "tls_secret"):
            if getattr(access, key) is None:
                yield f"tracking.access.{key}", (
                    f"mode {access.mode} needs {key}: the {what} serves MLflow over TLS for one host name "
                    "(e.g. host: mlflow.ml.acme.internal, tls_secret: mlflow-tls)")
    yield from _tracking_gateway(spec)


def _tracking_gateway(spec: Spec) -> Iterator[Finding]:
    access, rules = spec.tracking.access, _rules(spec)
    if access is None:
        return
    for key, mode in (("ingress_class", "ingress"), ("gateway_class", "gateway")):
        if getattr(access, key) is not None and access.mode != mode:
            yield f"tracking.access.{key}", f"{key} is read with mode {mode} only, not {access.mode}. Remove it"
    if access.mode != "gateway":
        return
    if rules.gateway_refused:
        yield "tracking.access.mode", f"mode gateway on {spec.target.cloud}: {rules.gateway_refused}"
    elif rules.gateway_class_required and access.gateway_class is None:
        yield "tracking.access.gateway_class", (
            f"mode gateway on {spec.target.cloud} needs gateway_class: the cluster's own internal Gateway controller's "
            "GatewayClass (e.g. gateway_class: internal-gateway); mlstack installs no Gateway controller there")
