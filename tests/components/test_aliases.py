"""Renames keep URNs through aliases: the engine moves a resource whose old URN is among its aliases instead of
deleting and re-creating it.

The recording monitor keeps each registration's alias specs as the SDK sends them; :func:`resolve` turns them
into the URNs the engine matches against its state, by Pulumi's rule: a spec's unset fields are the resource's
own (name, type, parent, stack, project), and a child inherits each alias of its parent, with the parent's old
name in place of its new one where the child's name starts with it (``pulumi.runtime.resource.
inherited_child_alias``). :func:`test_the_resolution_rule_is_the_sdks` pins that rule against the SDK's own
resolution (its path for engines without alias specs, which computes the URNs client-side).
"""

from __future__ import annotations

import hashlib

import pulumi
import pytest
from pulumi.runtime.proto import resource_pb2

from mlstack.engine.plan import recorder

STACK, PROJECT = "test", "acme-ml"
PREFIX = f"urn:pulumi:{STACK}::{PROJECT}::"


def _urn(parent_urn: str, type_: str, name: str) -> str:
    if not parent_urn:
        return f"{PREFIX}{type_}::{name}"
    qualified = parent_urn.split("::")[2]  # the parent's type chain
    return f"{PREFIX}{qualified}${type_}::{name}"


@pytest.fixture
def alias_urns(monkeypatch):
    """Records ``urn -> alias URNs`` (resolved, inherited ones included) of every registration."""
    seen: dict[str, list[str]] = {}
    meta: dict[str, tuple[str, str, str]] = {}  # urn -> (parent urn, type, name)

    class AliasRecordingMonitor(recorder.RecordingMonitor):
        def RegisterResource(self, request):  # noqa: N802 - gRPC method name
            response = super().RegisterResource(request)
            if request.type == "pulumi:pulumi:Stack":
                return response
            urn = self.make_urn(request.parent, request.type, request.name)
            parent = "" if request.parent == self.stack_urn else request.parent
            meta[urn] = (parent, request.type, request.name)
            found: list[str] = []
            for alias in request.aliases:
                if alias.urn:
                    found.append(alias.urn)
                    continue
                spec = alias.spec
                alias_parent = "" if spec.noParent else (spec.parentUrn or parent)
                found.append(_urn(alias_parent, spec.type or request.type, spec.name or request.name))
            if parent in meta:  # inherited from the parent's aliases, for the child's own name and its aliases'
                parent_name = meta[parent][2]
                own = [(request.type, request.name)] + [(u.split("::")[2].split("$")[-1], u.rsplit("::", 1)[1]) for u in found]
                for parent_alias in seen[parent]:
                    old_parent_name = parent_alias.rsplit("::", 1)[1]
                    for type_, name in own:
                        if name.startswith(parent_name):
                            name = old_parent_name + name[len(parent_name):]
                        found.append(_urn(parent_alias, type_, name))
            seen[urn] = sorted(set(found))
            return response

    monkeypatch.setattr(recorder, "RecordingMonitor", AliasRecordingMonitor)
    return seen


def _renamed_pair() -> None:
    """A component renamed ``old`` -> ``new`` whose child was also renamed on its own."""
    parent = pulumi.ComponentResource("test:index:Thing", "new", None, pulumi.ResourceOptions(aliases=[pulumi.Alias(name="old")]))
    pulumi.ComponentResource(
        "test:index:Part", "new-part", None, pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(name="new-piece")])
    )


def test_the_resolution_rule_is_the_sdks(record_plan, alias_urns, monkeypatch):
    record_plan(_renamed_pair)
    ours = dict(alias_urns)
    sdk: dict[str, list[str]] = {}

    class ClientSideAliases(recorder.RecordingMonitor):
        def GetDeploymentInfo(self, request):  # noqa: N802 - gRPC method name
            info = super().GetDeploymentInfo(request)
            features = [f for f in info.supportedFeatures if f != resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]
            return resource_pb2.DeploymentInfo(supportedFeatures=features)

        def RegisterResource(self, request):  # noqa: N802 - gRPC method name
            if request.type != "pulumi:pulumi:Stack":
                sdk[self.make_urn(request.parent, request.type, request.name)] = sorted(request.aliasURNs)
            return super().RegisterResource(request)

    monkeypatch.setattr(recorder, "RecordingMonitor", ClientSideAliases)
    record_plan(_renamed_pair)
    part = f"{PREFIX}test:index:Thing$test:index:Part::new-part"
    assert sdk == ours
    assert ours[part] == sorted(
        f"{PREFIX}test:index:Thing$test:index:Part::{n}" for n in ("new-piece", "old-part", "old-piece")
    )


def _cluster(name: str, admins: list[str], opts: pulumi.ResourceOptions | None = None) -> None:
    from mlstack.components.aws.cluster import Cluster, ClusterArgs

    Cluster(name, ClusterArgs(version="1.31", subnet_ids=["subnet-a", "subnet-b"], admin_principal_arns=admins), opts)


ADMINS = ["arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:user/ops/ana"]


def _digest(arn: str) -> str:
    return hashlib.sha256(arn.encode()).hexdigest()[:8]


def test_admin_entries_named_by_principal_keep_their_positional_urns(record_plan, alias_urns):
    """Access entries were named ``<cluster>-admin-<i>``: each one is now named by its principal's digest and
    aliases its old name, so a deployed entry moves to the new name instead of being replaced."""
    plan = record_plan(lambda: _cluster("c", ADMINS))
    cluster = "mlstack:aws:Cluster"
    entry, assoc = "aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
    keys = [_digest(a) for a in ADMINS]
    assert sorted(r.name for r in plan.of_type(entry)) == sorted([f"c-admin-{k}" for k in keys] + ["c-deployer"])
    for i, key in enumerate(keys):
        assert plan.one(entry, f"c-admin-{key}").inputs["principalArn"] == ADMINS[i]
        for type_ in (entry, assoc):
            new = f"{PREFIX}{cluster}${type_}::c-admin-{key}"
            assert alias_urns[new] == [f"{PREFIX}{cluster}${type_}::c-admin-{i}"]
    assert alias_urns[f"{PREFIX}{cluster}${entry}::c-deployer"] == []  # new: nothing to carry over


def test_removing_one_admin_leaves_the_others_urns_alone(record_plan):
    before = {r.urn for r in record_plan(lambda: _cluster("c", ADMINS)).resources}
    after = {r.urn for r in record_plan(lambda: _cluster("c", ADMINS[1:])).resources}
    key = _digest(ADMINS[0])
    assert before - after == {
        f"{PREFIX}mlstack:aws:Cluster$aws:eks/accessEntry:AccessEntry::c-admin-{key}",
        f"{PREFIX}mlstack:aws:Cluster$aws:eks/accessPolicyAssociation:AccessPolicyAssociation::c-admin-{key}",
    }
    assert after <= before


def test_a_principal_listed_twice_or_not_iam_is_refused(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="lists a principal twice"):
        record_plan(lambda: _cluster("c", [ADMINS[0], ADMINS[0]]))
    with pytest.raises(EngineError, match="is not an IAM role or user ARN"):
        record_plan(lambda: _cluster("c", ["arn:aws:sts::123456789012:assumed-role/ops/session"]))


def test_renaming_a_component_keeps_every_child_urn_through_its_alias(record_plan, alias_urns):
    """Children take derived names (``<component>-<part>``), so one alias on the component carries them all."""
    old = {r.urn for r in record_plan(lambda: _cluster("c", ADMINS)).resources}
    alias_urns.clear()
    renamed = record_plan(lambda: _cluster("platform", ADMINS, pulumi.ResourceOptions(aliases=[pulumi.Alias(name="c")])))
    assert {r.urn for r in renamed.resources}.isdisjoint(old)  # every URN changed...
    reachable = {alias for r in renamed.resources for alias in alias_urns[r.urn]}
    assert old <= reachable  # ...and every old one is an alias of a new resource
    key = _digest(ADMINS[0])
    new_entry = f"{PREFIX}mlstack:aws:Cluster$aws:eks/accessEntry:AccessEntry::platform-admin-{key}"
    assert f"{PREFIX}mlstack:aws:Cluster$aws:eks/accessEntry:AccessEntry::c-admin-{key}" in alias_urns[new_entry]


def test_every_child_name_derives_from_its_parent_in_every_example_plan():
    """What makes a component's alias reach its children: a child whose name does not start with its parent's
    would not inherit the alias and would be replaced when the component is renamed."""
    from pathlib import Path

    from example_plans import example_plan

    for env in ("staging", "prod", "gcp-staging", "onprem"):
        plan = example_plan(env)
        names = {r.urn: r.name for r in plan.resources}
        orphans = [(names[r.parent], r.name) for r in plan.resources if r.parent in names and not r.name.startswith(names[r.parent])]
        assert orphans == [], env
