from __future__ import annotations

from k8s_checks import record_with_provider

ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
RB = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"


def _plan(record_plan, **kw):
    from mlstack.components.k8s.ci_access import CiAccess, CiAccessArgs

    return record_with_provider(record_plan, lambda opts: CiAccess("ci", CiAccessArgs(**kw), opts))


def test_roles_per_team_namespace_and_no_token_by_default(record_plan):
    plan = _plan(
        record_plan,
        namespaces={"research": "research", "vision": "vision"},
        service_account_annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ci"},
        groups=["mlstack-ci"],
    )
    sa = plan.one("kubernetes:core/v1:ServiceAccount", "ci-sa")
    assert sa.inputs["metadata"]["name"] == "mlstack-ci" and sa.inputs["metadata"]["namespace"] == "mlstack-ci"
    assert sa.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ci"}
    assert sa.inputs["automountServiceAccountToken"] is False
    ns = plan.one("kubernetes:core/v1:Namespace", "ci-ns")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert sorted(r.name for r in plan.of_type(ROLE)) == ["ci-research-role", "ci-vision-role"]
    role = plan.one(ROLE, "ci-research-role")
    assert role.inputs["metadata"]["namespace"] == "research"
    assert role.inputs["rules"] == [
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["create", "delete", "get", "list", "watch"]},
        {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
    ]
    rb = plan.one(RB, "ci-vision-binding")
    assert rb.inputs["metadata"]["namespace"] == "vision"
    assert rb.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "mlstack-ci"}
    assert rb.inputs["subjects"] == [
        {"kind": "ServiceAccount", "name": "mlstack-ci", "namespace": "mlstack-ci"},
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "mlstack-ci"},
    ]
    assert plan.of_type("kubernetes:core/v1:Secret") == []
    # Nothing cluster-wide.
    assert not [r for r in plan.resources if r.type.endswith(("ClusterRole", "ClusterRoleBinding"))]
    assert {r.provider for r in plan.resources if r.type.startswith("kubernetes:")} == {"test-k8s"}


def test_token_on_request(record_plan):
    plan = _plan(record_plan, issue_token=True, users=["ci@acme-ml.iam.gserviceaccount.com"], namespaces={"r": "r"})
    token = plan.one("kubernetes:core/v1:Secret", "ci-token")
    assert token.inputs["type"] == "kubernetes.io/service-account-token"
    assert token.inputs["metadata"]["name"] == "mlstack-ci-token"
    assert token.inputs["metadata"]["annotations"] == {"kubernetes.io/service-account.name": "mlstack-ci"}
    subjects = plan.one(RB, "ci-r-binding").inputs["subjects"]
    assert subjects[1] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ci@acme-ml.iam.gserviceaccount.com"}
