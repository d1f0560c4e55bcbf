"""Cross-field rules: what a single field's type cannot say. Each returns (path, message) pairs.

What differs between targets is read from the target's pack (``mlstack.targets``, ``Pack.spec``): which fields it
requires or refuses, the shape of its machine and member names; no rule here names a target.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack import targets
from mlstack.components import contract
from mlstack.components.contract import ACCELERATOR_LABEL, RESERVED_PARTS
from mlstack.spec import local_nvme, rules_capacity, rules_ci, rules_mounts, rules_names, rules_storage, rules_workloads
from mlstack.spec.models import Spec
from mlstack.spec.rules_names import PLATFORM_NAMESPACES
from mlstack.targets.base import SpecRules

Finding = tuple[str, str]
NAME_BUDGET = 40  # GKE node pool names stop at 40 characters, the shortest limit a pool name meets
_BACKENDS = ("file://", "s3://", "gs://", "azblob://", "https://")
# Names of the fixed parts of an environment: a pool or bucket named like one would clash with it (the
# environment's children are <project>-<env>-<key>), and a team named like a platform part or a system
# namespace would clash in the cluster (a team's namespace is its name).
RESERVED_INFRA = RESERVED_PARTS
# "admin" is the tracking server's admin user, and every team is an MLflow user of its own name.
RESERVED_TEAMS = contract.RESERVED_TEAMS | {"admin"} | PLATFORM_NAMESPACES
MIN_MLFLOW = (3, 6)  # from 3.6 MLflow's auth tables keep their own alembic version table: one database serves both
_SECRETS_PROVIDERS = ("passphrase", "awskms://", "gcpkms://", "azurekeyvault://", "hashivault://")


def _rules(cloud: str) -> SpecRules:
    return targets.pack(cloud).spec


def _only(has) -> str:
    """The targets whose spec rules have ``has`` (for "only for ..." messages)."""
    return " or ".join(p.name for p in targets.packs() if p.target and has(p.spec))


def check(spec: Spec) -> list[Finding]:
    """Every cross-field problem of ``spec`` as (field path, message)."""
    from mlstack.catalog import load_catalog

    catalog = load_catalog()
    findings: list[Finding] = []
    for rule in (_target, _cluster, _names, _storage, _tracking, rules_ci.check, _settings):
        findings.extend(rule(spec))
    findings.extend(_pools(spec, catalog))
    findings.extend(_teams(spec, catalog))
    findings.extend(rules_storage.check(spec, catalog))
    findings.extend(rules_mounts.check(spec, catalog))
    findings.extend(rules_workloads.check(spec, catalog))
    findings.extend(rules_names.check(spec, catalog))
    findings.extend(rules_capacity.check(spec, catalog))
    findings.extend(local_nvme.check(spec, catalog))
    from mlstack.spec.rules_values import check as check_values

    findings.extend(check_values(spec, catalog))
    findings.extend(_kubernetes_version(spec, catalog))
    return findings


def _kubernetes_version(spec: Spec, catalog) -> Iterator[Finding]:
    """A pinned Kubernetes minor must be one the catalogue has a support window for on the target's cloud
    (onprem clusters are the operator's own: not checked)."""
    minor = spec.versions.kubernetes
    windows = catalog.kubernetes_support.get(spec.target.cloud)  # type: ignore[call-overload]
    if not minor or not windows or minor in windows:
        return
    listed = sorted(windows, key=lambda m: tuple(int(x) for x in m.split(".")))
    yield "versions.kubernetes", (
        f"{spec.target.cloud} Kubernetes {minor} has no support window in the catalogue (it lists "
        f"{', '.join(listed)}; support.yaml). Set one of them, e.g. versions.kubernetes: \"{listed[-1]}\""
    )


def _target(spec: Spec) -> Iterator[Finding]:
    t = spec.target
    r = _rules(t.cloud)
    if r.region_example and not t.region:
        yield "target.region", f"required for target.cloud {t.cloud}. Add e.g. region: {r.region_example}"
    if r.project_id_required and not t.project_id:
        yield "target.project_id", r.project_id_required
    if not r.project_id_required and t.project_id:
        yield "target.project_id", f"only for target.cloud {_only(lambda x: x.project_id_required)}, not {t.cloud}. Remove it"
    if r.existing_cluster:
        if not t.kube_context:
            yield "target.kube_context", f"required for target.cloud {t.cloud}: the kubeconfig context of the existing cluster"
        if t.region:
            yield "target.region", f"{t.cloud} has no region. Remove it"
    elif t.kube_context or t.kubeconfig_path:
        field = "kube_context" if t.kube_context else "kubeconfig_path"
        yield f"target.{field}", (f"only for target.cloud {_only(lambda x: x.existing_cluster)}; on {t.cloud} mlstack "
                                  "creates the cluster. Remove it")


def _cluster(spec: Spec) -> Iterator[Finding]:
    c = spec.cluster
    if _rules(spec.target.cloud).existing_cluster:
        return
    if c.endpoint == "public" and not c.allowed_cidrs:
        yield "cluster.allowed_cidrs", (
            "a public endpoint needs allowed_cidrs (the networks that may reach the API server). "
            "Add e.g. allowed_cidrs: [203.0.113.0/24], or use endpoint: private"
        )
    if c.endpoint == "private" and c.allowed_cidrs:
        yield "cluster.allowed_cidrs", "only used with endpoint: public. Remove it, or set endpoint: public"
    n = spec.network
    if n.existing_vpc_id and not n.existing_private_subnet_ids:
        yield "network.existing_private_subnet_ids", "required with existing_vpc_id: list the VPC's private subnets"
    if (n.existing_vpc_id or n.existing_private_subnet_ids) and not _rules(spec.target.cloud).existing_vpc:
        yield "network.existing_vpc_id", f"only for target.cloud {_only(lambda x: x.existing_vpc)}. Remove it"


def _names(spec: Spec) -> Iterator[Finding]:
    dns = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
    for section, keys in (("node_pools", spec.node_pools), ("storage.buckets", spec.storage.buckets), ("teams", spec.teams)):
        for key in keys:
            path = f"{section}.{key}"
            if not dns.match(key):
                yield path, (
                    f"the name {key!r} is not DNS-safe: it names cloud and Kubernetes resources. "
                    "Use lowercase letters, digits and '-', starting with a letter"
                )
            elif len(f"{spec.prefix}-{key}") > NAME_BUDGET:
                yield path, (
                    f"'{spec.prefix}-{key}' is {len(spec.prefix) + 1 + len(key)} characters; resource names built "
                    f"from project, env and this key must fit {NAME_BUDGET}. Shorten the key, project or env"
                )
    sections = (("node_pools", spec.node_pools, RESERVED_INFRA), ("storage.buckets", spec.storage.buckets, RESERVED_INFRA), ("teams", spec.teams, RESERVED_TEAMS))
    for section, keys, reserved in sections:
        for key in sorted(k for k in keys if k in reserved or k.startswith("kube-") or (section == "teams" and k.startswith("mlstack-"))):
            yield f"{section}.{key}", f"{key!r} names a fixed part of the environment. Choose another name"
    for key in sorted(set(spec.node_pools) & set(spec.storage.buckets)):
        yield f"storage.buckets.{key}", f"{key!r} is also a node pool; resource names would clash. Rename one"
    seen: set[str] = set()
    for i, repo in enumerate(spec.registry.repositories):
        if repo in seen:
            yield f"registry.repositories.{i}", f"repository {repo!r} is listed twice. Remove one"
        seen.add(repo)


def _pools(spec: Spec, catalog) -> Iterator[Finding]:
    cloud = spec.target.cloud
    r = _rules(cloud)
    if not r.existing_cluster and spec.node_pools and not any(
        p.accelerator is None and p.size()[0] >= 1 for p in spec.node_pools.values()
    ):
        yield "node_pools", (
            "needs at least one CPU pool with min >= 1 for system pods (DNS, the tracking server); "
            "GPU and TPU pools are tainted. Add e.g. system: {machine: "
            f"{catalog.default_system_machine.get(cloud, 'm6i.xlarge')}, min: 2, max: 4}}"
        )
    for key, pool in spec.node_pools.items():
        path = f"node_pools.{key}"
        if r.existing_cluster:
            if not pool.selector:
                yield f"{path}.selector", (f"required on {cloud}, with at least one label: the labels that select this "
                                           "pool's existing nodes, e.g. selector: {gpu: a100}")
            for field in ("min", "max"):
                if getattr(pool, field) is not None:
                    yield f"{path}.{field}", f"{cloud} pools describe existing nodes and do not scale. Remove it and use selector: labels instead"
            if pool.spot:
                yield f"{path}.spot", f"{cloud} has no spot capacity. Remove it"
            if pool.machine:
                yield f"{path}.machine", f"{cloud} nodes exist already; describe them with selector: labels. Remove machine"
            label = (pool.selector or {}).get(ACCELERATOR_LABEL)
            if pool.accelerator and pool.selector is not None and label != pool.accelerator:
                yield f"{path}.selector", (
                    f"an accelerator pool's nodes must carry {ACCELERATOR_LABEL}={pool.accelerator} (the device "
                    "plugin and GPU jobs schedule on it). Label them (kubectl label nodes <nodes> "
                    f"{ACCELERATOR_LABEL}={pool.accelerator}) and add it to selector"
                )
        else:
            if pool.selector is not None:
                yield f"{path}.selector", f"only for {_only(lambda x: x.existing_cluster)}; on {cloud} mlstack creates the nodes. Remove it"
            lo, hi = pool.size()
            if hi < lo:
                yield f"{path}.max", f"must be >= min ({lo}), got {hi}"
            elif hi < 1:
                yield f"{path}.max", f"must be >= 1 (a pool that can never have a node), got {hi}"
            if pool.machine and r.machine_pattern and not re.match(r.machine_pattern, pool.machine):
                yield f"{path}.machine", f"{pool.machine!r} is not a {cloud} machine type name (e.g. {r.machine_example})"
        for i, zone in enumerate(pool.zones):
            if not r.pool_zones:
                yield f"{path}.zones", f"only for {_only(lambda x: x.pool_zones)}; on {cloud} pools span the network's zones. Remove it"
                break
            if not zone.startswith(f"{spec.target.region}-"):
                yield f"{path}.zones.{i}", f"expected a zone of {spec.target.region} such as {spec.target.region}-a, got {zone!r}"
        if pool.accelerator is None:
            for field in ("gpus_per_node", "topology"):
                if getattr(pool, field) is not None:
                    yield f"{path}.{field}", "only for accelerator pools. Set accelerator, or remove it"
            continue
        yield from _accelerator(spec, key, pool, catalog)


def _accelerator(spec: Spec, key: str, pool, catalog) -> Iterator[Finding]:
    from mlstack.catalog import CatalogError

    cloud = spec.target.cloud
    r = _rules(cloud)
    path = f"node_pools.{key}"
    acc = catalog.accelerators.get(pool.accelerator)
    if acc is None:
        import difflib

        close = difflib.get_close_matches(pool.accelerator, sorted(catalog.accelerators), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        yield f"{path}.accelerator", f"unknown accelerator {pool.accelerator!r}.{hint} Known: {', '.join(sorted(catalog.accelerators))}"
        return
    if acc.kind == "tpu":
        if pool.machine and not r.existing_cluster:
            yield f"{path}.machine", "TPU pools take their machine type from the topology (the catalogue). Remove machine"
        if not r.tpus:
            yield f"{path}.accelerator", (f"pool {key!r} asks for {acc.name}, but TPUs need target.cloud "
                                          f"{_only(lambda x: x.tpus)} (this target is {cloud})")
            return
        if pool.gpus_per_node is not None:
            yield f"{path}.gpus_per_node", "TPU pools are sized by topology. Remove gpus_per_node"
        if pool.topology is None:
            valid = ", ".join(catalog.tpus[acc.name].topologies)
            yield f"{path}.topology", f"required for TPU pools. Valid for {acc.name}: {valid}"
            return
        try:
            catalog.tpu_slice(acc.name, pool.topology)
        except CatalogError as exc:
            yield f"{path}.topology", str(exc)
        regions = catalog.tpus[acc.name].regions
        offered = regions.get(spec.target.region or "", [])
        for i, zone in enumerate(pool.zones):
            if offered and zone not in offered:
                yield f"{path}.zones.{i}", f"{acc.name} is offered in {', '.join(offered)} of {spec.target.region}, not {zone!r}"
        if spec.target.region not in regions:
            yield "target.region", (
                f"pool {key!r} asks for {acc.name}, which is not offered in {spec.target.region}. "
                f"Regions with it: {', '.join(sorted(regions))}"
            )
        return
    if pool.topology is not None:
        yield f"{path}.topology", f"only for TPU pools; {acc.name} is a {acc.kind}. Remove it"
    if r.existing_cluster:
        return
    if cloud not in acc.offers:
        other = ", ".join(sorted(acc.offers)) or "none"
        yield f"{path}.accelerator", f"{acc.name} is not offered on {cloud}; clouds that offer it: {other}"
        return
    from mlstack.catalog.pool_machine import pool_machine

    try:
        pool_machine(catalog, acc.name, cloud, pool.gpus_per_node, pool.machine)
    except CatalogError as exc:
        hint = "" if pool.machine else " (or name a machine type the catalogue does not list: machine: <type>)"
        yield f"{path}.machine" if pool.machine else f"{path}.gpus_per_node", f"{exc}{hint}"


def _storage(spec: Spec) -> Iterator[Finding]:
    shared = spec.storage.shared
    cloud = spec.target.cloud
    r = _rules(cloud)
    if shared is None:
        yield "storage.shared", (
            "required: every team namespace mounts the shared ReadWriteMany volume. "
            + ("Add shared: {nfs_server: nas.lab, nfs_path: /exports/ml}" if r.existing_cluster else "Add shared: {size_gib: 1024}")
        )
        return
    if r.existing_cluster:
        if not shared.nfs_server:
            yield "storage.shared.nfs_server", f"required on {cloud}: the NFS server that backs the shared StorageClass, e.g. nfs_server: nfs.lab.internal"
        if not shared.nfs_path:
            yield "storage.shared.nfs_path", f"required on {cloud}: the exported path, e.g. nfs_path: /exports/ml"
    else:
        for field in ("nfs_server", "nfs_path"):
            if getattr(shared, field):
                yield f"storage.shared.{field}", f"only for {_only(lambda x: x.existing_cluster)}; on {cloud} mlstack creates the file system. Remove it"
    if shared.tier and not r.shared_tiers:
        tiers = next((p.spec.shared_tiers for p in targets.packs() if p.spec.shared_tiers), "")
        yield "storage.shared.tier", f"only for {_only(lambda x: x.shared_tiers)} ({tiers}). Remove it on {cloud}"


def _tracking(spec: Spec) -> Iterator[Finding]:
    mlflow = spec.versions.mlflow
    if mlflow and tuple(int(x) for x in mlflow.split(".")[:2]) < MIN_MLFLOW:
        yield "versions.mlflow", (
            f"mlstack needs MLflow {'.'.join(map(str, MIN_MLFLOW))} or newer (authentication shares the tracking "
            f"database, which older releases cannot), got {mlflow!r}"
        )
    image = spec.tracking.image
    if image is not None and (":" not in image.rsplit("/", 1)[-1] and "@" not in image or image.endswith(":latest")):
        yield "tracking.image", f"pin a tag or digest (not latest), e.g. ghcr.io/acme/mlflow:3.17.2, got {image!r}"
    bucket = spec.tracking.artifacts_bucket
    if bucket not in spec.storage.buckets:
        have = ", ".join(sorted(spec.storage.buckets)) or "none"
        yield "tracking.artifacts_bucket", f"names bucket {bucket!r}, which storage.buckets does not define (have: {have}). Add it under storage.buckets"


def _teams(spec: Spec, catalog) -> Iterator[Finding]:
    gpu_pools = {
        k: p for k, p in spec.node_pools.items() if p.accelerator and getattr(catalog.accelerators.get(p.accelerator), "kind", "") == "gpu"
    }
    capacity = 0
    bounded = not _rules(spec.target.cloud).existing_cluster
    for pool in gpu_pools.values():
        if not bounded:
            continue
        per_node = pool.gpus_per_node or _smallest(catalog, pool.accelerator, spec.target.cloud)
        capacity += per_node * max(pool.size()[1], 0)
    for name, team in spec.teams.items():
        if team.gpu_quota and not gpu_pools:
            yield f"teams.{name}.gpu_quota", (
                f"team {name!r} asks for {team.gpu_quota} GPUs but the cluster has no GPU pools. "
                "Add a pool with accelerator: nvidia-..., or set gpu_quota: 0"
            )
        elif bounded and team.gpu_quota > capacity:
            yield f"teams.{name}.gpu_quota", (
                f"{team.gpu_quota} GPUs is more than the GPU pools can ever provide ({capacity} at their max). "
                "Lower gpu_quota or raise a GPU pool's max"
            )
    tpu_pools = [p for p in spec.node_pools.values() if getattr(catalog.accelerators.get(p.accelerator or ""), "kind", "") == "tpu"]
    for name, team in spec.teams.items():
        if team.tpu_quota and not tpu_pools:
            yield f"teams.{name}.tpu_quota", (
                f"team {name!r} asks for {team.tpu_quota} TPU chips but the cluster has no TPU pools. "
                "Add a pool with accelerator: tpu-..., or set tpu_quota: 0"
            )
    r = _rules(spec.target.cloud)
    pattern, expected = re.compile(r.member_pattern), r.member_expected
    for name, team in spec.teams.items():
        for i, member in enumerate(team.members):
            if not pattern.match(member):
                yield f"teams.{name}.members.{i}", f"expected {expected} on {spec.target.cloud}, got {member!r}"
    neuron_pools = [p for p in spec.node_pools.values() if getattr(catalog.accelerators.get(p.accelerator or ""), "kind", "") == "trainium"]
    for name, team in spec.teams.items():
        if team.neuron_quota and not neuron_pools:
            yield f"teams.{name}.neuron_quota", (
                f"team {name!r} asks for {team.neuron_quota} Neuron devices but the cluster has no Trainium pools. "
                "Add a pool with accelerator: aws-trainium, or set neuron_quota: 0"
            )
    if spec.cluster.gpu_operator and not r.existing_cluster:
        yield "cluster.gpu_operator", (f"only for {_only(lambda x: x.existing_cluster)}; on {spec.target.cloud} the "
                                       "node images carry the GPU drivers. Remove it")
    elif spec.cluster.gpu_operator and not spec.cluster.gpu_node_os:
        # One OS per cluster: the operator reads it from the first GPU node's NFD labels (getGPUNodeOSInfo).
        yield "cluster.gpu_node_os", ("required with gpu_operator: the operator installs the NVIDIA driver, whose "
                                      "image tag is per node OS (e.g. ubuntu24.04 for Ubuntu 24.04, rhel9 for RHEL 9.x), "
                                      "and a lock pins that image's digest. Set it to the GPU nodes' OS")
    if spec.cluster.gpu_node_os and not spec.cluster.gpu_operator:
        yield "cluster.gpu_node_os", "only with cluster.gpu_operator: true (the driver image the operator installs). Remove it"
    if spec.ci is not None:
        for i, team in enumerate(spec.ci.teams or []):
            if team not in spec.teams:
                have = ", ".join(sorted(spec.teams)) or "none"
                yield f"ci.teams.{i}", f"unknown team {team!r}: CI can deploy only into a team's namespace (teams: {have}). Add the team under teams: or remove it here"


def _smallest(catalog, accelerator: str, cloud: str) -> int:
    counts = catalog.offered_counts(accelerator, cloud) if cloud in catalog.accelerators[accelerator].offers else []
    return counts[0] if counts else 1


def _settings(spec: Spec) -> Iterator[Finding]:
    if spec.backend and not spec.backend.startswith(_BACKENDS):
        yield "backend", f"expected a URL starting with one of {', '.join(_BACKENDS)}"
    if spec.secrets_provider and not spec.secrets_provider.startswith(_SECRETS_PROVIDERS):
        yield "secrets_provider", f"expected one of {', '.join(_SECRETS_PROVIDERS)}"
    for rule, reason in spec.waivers.items():
        if not reason.strip():
            yield f"waivers.{rule}", "a waiver needs a reason: say why the rule does not apply, e.g. waivers: {" + rule + ": \"lab cluster, no data\"}"
