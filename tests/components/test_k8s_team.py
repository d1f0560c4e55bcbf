from __future__ import annotations

from k8s_checks import record_with_provider

NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _plan(record_plan, name="research", **kw):
    from mlstack.components.k8s.team import Team, TeamArgs

    return record_with_provider(record_plan, lambda opts: Team(name, TeamArgs(**kw), opts))


def test_namespace_quota_limits_rbac(record_plan):
    plan = _plan(record_plan, group="research-team", gpu_quota=16)
    comp = plan.one("mlstack:k8s:Team", "research")
    children = plan.children(comp)
    assert sorted(r.type.rsplit(":", 1)[1] for r in children) == [
        "LimitRange", "Namespace", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy",
        "ResourceQuota", "RoleBinding",
    ]  # fmt: skip
    assert {r.provider for r in children} == {"test-k8s"}
    ns = plan.one("kubernetes:core/v1:Namespace", "research-ns")
    labels = ns.inputs["metadata"]["labels"]
    assert ns.inputs["metadata"]["name"] == "research"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["mlstack.io/team"] == "research"
    quota = plan.one("kubernetes:core/v1:ResourceQuota", "research-quota")
    assert quota.inputs["metadata"] == {**quota.inputs["metadata"], "name": "team-quota", "namespace": "research"}
    assert quota.inputs["spec"]["hard"] == {
        "limits.cpu": "128",
        "limits.memory": "512Gi",
        "requests.cpu": "64",
        "requests.memory": "256Gi",
        "requests.nvidia.com/gpu": "16",
    }
    lr = plan.one("kubernetes:core/v1:LimitRange", "research-limits")
    assert lr.inputs["spec"]["limits"] == [
        {"default": {"cpu": "1", "memory": "2Gi"}, "defaultRequest": {"cpu": "250m", "memory": "512Mi"}, "type": "Container"}
    ]
    rb = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "research-edit")
    assert rb.inputs["metadata"]["namespace"] == "research"
    assert rb.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
    assert rb.inputs["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "research-team"}]
    assert not ns.protect


def test_network_policies(record_plan):
    plan = _plan(record_plan, group="g")
    spec = {r.name: r.inputs["spec"] for r in plan.of_type(NP)}
    assert spec["research-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert spec["research-allow-dns"] == {
        "egress": [
            {
                "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
            }
        ],
        "podSelector": {},
        "policyTypes": ["Egress"],
    }
    assert spec["research-allow-same-namespace"] == {
        "egress": [{"to": [{"podSelector": {}}]}],
        "ingress": [{"from": [{"podSelector": {}}]}],
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    assert spec["research-allow-tracking"]["egress"] == [
        {
            "ports": [{"port": 5000, "protocol": "TCP"}],
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mlflow"}}}],
        }
    ]
    names = {r.inputs["metadata"]["name"] for r in plan.of_type(NP)}
    assert names == {"default-deny", "allow-dns", "allow-same-namespace", "allow-tracking"}


def test_tpu_quota_egress_cidrs_namespace_and_protect(record_plan):
    plan = _plan(record_plan, name="vision", group="g", tpu_quota=8, namespace="team-vision", egress_cidrs=["10.0.0.0/8"], protect=True)
    hard = plan.one("kubernetes:core/v1:ResourceQuota", "vision-quota").inputs["spec"]["hard"]
    assert hard["requests.google.com/tpu"] == "8"
    assert hard["requests.nvidia.com/gpu"] == "0"
    ns = plan.one("kubernetes:core/v1:Namespace", "vision-ns")
    assert ns.inputs["metadata"]["name"] == "team-vision" and ns.protect and ns.retain_on_delete
    cidr = plan.one(NP, "vision-allow-egress-cidrs")
    assert cidr.inputs["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]
    assert cidr.inputs["metadata"]["namespace"] == "team-vision"
    assert "requests.google.com/tpu" not in _plan(record_plan, group="g").one(
        "kubernetes:core/v1:ResourceQuota", "research-quota"
    ).inputs["spec"]["hard"]


def test_team_label_is_the_team_not_the_resource_name(record_plan):
    # The Platform names the component "<platform>-<team>" and sets the namespace to the team key.
    plan = _plan(record_plan, name="acme-ml-staging-platform-applied", group="g", namespace="applied")
    comp = plan.one("mlstack:k8s:Team", "acme-ml-staging-platform-applied")
    for r in plan.children(comp):
        assert r.inputs["metadata"]["labels"]["mlstack.io/team"] == "applied", r.name
    ns = plan.one("kubernetes:core/v1:Namespace", "acme-ml-staging-platform-applied-ns")
    assert ns.inputs["metadata"]["name"] == "applied"


def test_team_label_explicit_team_name(record_plan):
    plan = _plan(record_plan, name="acme-vision", group="g", team_name="vision", namespace="team-vision")
    ns = plan.one("kubernetes:core/v1:Namespace", "acme-vision-ns")
    assert ns.inputs["metadata"]["labels"]["mlstack.io/team"] == "vision"
    assert ns.inputs["metadata"]["name"] == "team-vision"
    quota = plan.one("kubernetes:core/v1:ResourceQuota", "acme-vision-quota")
    assert quota.inputs["metadata"]["labels"]["mlstack.io/team"] == "vision"


def test_members_are_bound_as_users_next_to_the_group(record_plan):
    plan = _plan(record_plan, group="research-team", users=("ana@acme.com", "ml-sa@p.iam.gserviceaccount.com"))
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "research-edit")
    assert binding.inputs["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "research-team"},
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ana@acme.com"},
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ml-sa@p.iam.gserviceaccount.com"},
    ]


def test_neuron_quota_only_when_asked(record_plan):
    plan = _plan(record_plan, group="research-team", neuron_quota=16)
    hard = plan.one("kubernetes:core/v1:ResourceQuota", "research-quota").inputs["spec"]["hard"]
    assert hard["requests.aws.amazon.com/neuron"] == "16"
    plain = _plan(record_plan, group="research-team")
    assert "requests.aws.amazon.com/neuron" not in plain.one("kubernetes:core/v1:ResourceQuota", "research-quota").inputs["spec"]["hard"]
