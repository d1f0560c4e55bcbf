"""Names and identities the engine would refuse or silently change: rules found by walking every error path of
the plan (``tests/spec/test_validate_every_path.py``), so that ``validate`` reports them first. Each yields
(path, message).

What differs between targets is read from the target's pack (``Pack.spec``), never named here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlstack import targets
from mlstack.components import contract
from mlstack.spec.models import Spec

Finding = tuple[str, str]

#: Node labels mlstack sets on every pool it creates: ``mlstack.io/pool`` (the pool's key) and, on accelerator
#: pools only, ``mlstack.io/accelerator`` (what GPU add-ons and jobs select on). A spec may not set them.
OWN_LABELS = (contract.ACCELERATOR_LABEL, contract.POOL_LABEL)

#: Namespaces the platform layer creates (its operators, add-ons and services on every target). A team's
#: namespace is its name, so a team named like one of them would take over that namespace.
#: ``tests/spec/test_validate_every_path.py`` plans every example and fails when a plan creates a namespace
#: this list misses.
PLATFORM_NAMESPACES = frozenset(
    {"aws-efa", "cnpg-system", "gpu-telemetry", "jobset-system", "kube-node-lease", "kube-public", "kube-system",
     "kubeflow-system", "kueue-system", "mlstack-nfs", "mlstack-object-store",
     "mlstack-onprem", "mlstack-postgres", "mlstack-registry", "nvidia-device-plugin", "ray-system"}
) | {contract.MLFLOW_NAMESPACE, contract.CI_NAMESPACE, contract.SYSTEM_NAMESPACE}


def check(spec: Spec, catalog) -> Iterator[Finding]:
    yield from _region(spec, catalog)
    yield from _cloud_names(spec)
    yield from _admins(spec)
    yield from _ci_repository(spec)
    yield from _own_labels(spec)


def _region(spec: Spec, catalog) -> Iterator[Finding]:
    """``target.region`` must be one the cloud has (the catalogue's dated list); a cloud without a list is not
    checked."""
    region, cloud = spec.target.region, spec.target.cloud
    known = catalog.regions.get(cloud)  # type: ignore[call-overload]
    if not region or not known or region in known:
        return
    import difflib

    close = difflib.get_close_matches(region, sorted(known), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r} ({known[close[0]].name})?" if close else ""
    checked = max(r.checked for r in known.values())
    yield "target.region", (f"{cloud} has no region {region!r} (the catalogue lists {len(known)} {cloud} regions, "
                            f"checked {checked}: mlstack/catalog/data/regions.yaml).{hint} Set one of them, e.g. "
                            f"region: {close[0] if close else sorted(known)[0]}")


_WHAT = {"cluster": "cluster name", "database": "database identifier", "bucket": "bucket name", "tag key": "tag key",
         "tag value": "tag value"}


def _derived(spec: Spec) -> Iterator[tuple[str, str, str]]:
    """(which name, spec path to blame, the name) for every name a NameRule judges."""
    yield "cluster", "project", spec.prefix
    yield "database", "project", f"{spec.prefix}-tracking-db"
    for key in sorted(spec.storage.buckets):
        yield "bucket", f"storage.buckets.{key}", f"{spec.prefix}-{key}"
    for key, value in sorted(spec.tags.items()):
        yield "tag key", f"tags.{key}", key
        yield "tag value", f"tags.{key}", value


def _cloud_names(spec: Spec) -> Iterator[Finding]:
    """The target's own rules on the names mlstack derives (``Pack.spec.names``), each named in the error."""
    rules = targets.pack(spec.target.cloud).spec.names
    for which, path, name in _derived(spec):
        for rule in (r for r in rules if r.name == which):
            ok = ((rule.match is None or re.match(rule.match, name)) and (rule.forbid is None or not re.search(rule.forbid, name))
                  and (rule.max_length is None or len(name) <= rule.max_length))
            if not ok:
                yield path, (f"{spec.target.cloud} would refuse the {_WHAT[which]} {name!r}: {rule.rule} ({rule.source}). "
                             f"Change {path}" + (" or env (the file name)" if path == "project" else ""))


def _admins(spec: Spec) -> Iterator[Finding]:
    """``cluster.admins``: only where mlstack creates the cluster's access entries, each an identity of the
    target's kind (EKS access entries take IAM role or user ARNs), each once."""
    admins = spec.cluster.admins
    if not admins:
        return
    rules = targets.pack(spec.target.cloud).spec
    if not rules.cluster_admins:
        where = " or ".join(p.name for p in targets.packs() if p.target and p.spec.cluster_admins)
        yield "cluster.admins", (f"only for target.cloud {where}; on {spec.target.cloud} grant cluster-admin in the "
                                 "cluster's own access control. Remove it")
        return
    pattern = re.compile(rules.member_pattern)
    seen: set[str] = set()
    for i, arn in enumerate(admins):
        if not pattern.match(arn):
            yield f"cluster.admins.{i}", f"expected {rules.member_expected}, got {arn!r}"
        elif arn in seen:
            yield f"cluster.admins.{i}", f"{arn!r} is listed twice (one access entry per principal). Remove one"
        seen.add(arn)


def _ci_repository(spec: Spec) -> Iterator[Finding]:
    """GitHub repositories are exactly OWNER/REPO (GitLab groups nest: group/subgroup/project is fine)."""
    ci = spec.ci
    if ci is not None and ci.provider == "github" and ci.repository is not None and ci.repository.count("/") != 1:
        yield "ci.repository", (f"a GitHub repository is OWNER/REPO, got {ci.repository!r}: the OIDC subject names "
                                "exactly those two. Write e.g. repository: acme/ml-platform")


def _own_labels(spec: Spec) -> Iterator[Finding]:
    """mlstack's own node labels on the pools it creates (on existing clusters a selector *matches* them)."""
    if targets.pack(spec.target.cloud).spec.existing_cluster:
        return
    for key in sorted(spec.node_pools):
        for label in OWN_LABELS:
            if label in spec.node_pools[key].labels:
                yield f"node_pools.{key}.labels.{label}", (
                    f"{label} is set by mlstack on the nodes it creates (the pool's key, or its accelerator on "
                    "accelerator pools), and GPU jobs and add-ons select on it. Remove it from labels")
