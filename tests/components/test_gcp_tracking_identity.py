"""Cloud SQL tracking database, MLflow Workload Identity, CI federation and audit under recording mocks."""

from __future__ import annotations

import pytest

from mlstack.errors import EngineError

P = "acme-ml-1234"
R = "us-central1"
VPC = f"https://www.googleapis.com/compute/v1/projects/{P}/global/networks/acme-vpc"


def _db_plan(record_plan, protect: bool, seen: dict):
    import pulumi

    from mlstack.components.gcp.tracking_database import TrackingDatabase, TrackingDatabaseArgs

    def program():
        db = TrackingDatabase(
            "acme-tracking",
            TrackingDatabaseArgs(project_id=P, region=R, private_network=VPC, allocated_ip_range="acme-psa-range",
                                 tier="db-custom-2-7680", high_availability=protect, protect=protect),
        )
        pulumi.export("connection_uri", db.connection_uri)
        db.connection_uri.apply(lambda v: seen.setdefault("uri", v))

    return record_plan(program, region=R, gcp_project=P)


def test_database_private_ip_protected(record_plan):
    seen: dict = {}
    plan = _db_plan(record_plan, True, seen)
    comp = plan.one("mlstack:gcp:TrackingDatabase", "acme-tracking")
    inst = plan.one("gcp:sql/databaseInstance:DatabaseInstance", "acme-tracking-postgres")
    assert inst.parent == comp.urn
    s = inst.inputs["settings"]
    assert s["ipConfiguration"] == {
        "allocatedIpRange": "acme-psa-range", "ipv4Enabled": False, "privateNetwork": VPC, "sslMode": "ENCRYPTED_ONLY",
    }
    assert inst.inputs["deletionProtection"] is True
    assert s["deletionProtectionEnabled"] is True
    assert inst.protect and inst.retain_on_delete
    assert s["availabilityType"] == "REGIONAL"
    assert s["backupConfiguration"]["enabled"] is True
    assert s["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True
    assert inst.inputs["databaseVersion"] == "POSTGRES_16"
    assert s["tier"] == "db-custom-2-7680"
    db = plan.one("gcp:sql/database:Database", "acme-tracking-db")
    assert db.inputs["name"] == "mlflow"
    user = plan.one("gcp:sql/user:User", "acme-tracking-user")
    assert user.inputs["name"] == "mlflow"
    assert user.inputs["password"] == "[secret]"
    pw = plan.one("random:index/randomPassword:RandomPassword", "acme-tracking-password")
    assert pw.inputs["length"] == 32 and pw.inputs["special"] is False
    assert plan.outputs["connection_uri"] == "[secret]"
    assert seen["uri"] == "postgresql://mlflow:mock-password-xxxxxxxxxxxxxxxx@10.20.0.3:5432/mlflow"


def test_database_unprotected_has_both_flags_off(record_plan):
    plan = _db_plan(record_plan, False, {})
    inst = plan.one("gcp:sql/databaseInstance:DatabaseInstance", "acme-tracking-postgres")
    assert inst.inputs["deletionProtection"] is False
    assert inst.inputs["settings"]["deletionProtectionEnabled"] is False
    assert inst.inputs["settings"]["availabilityType"] == "ZONAL"
    assert not inst.protect and not inst.retain_on_delete


def test_mlflow_workload_identity(record_plan):
    import pulumi

    from mlstack.components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs

    def program():
        wi = WorkloadIdentity(
            "acme-mlflow",
            WorkloadIdentityArgs(project_id=P, namespace="mlflow", service_account_name="mlflow", artifacts_bucket="acme-artifacts"),
        )
        pulumi.export("annotations", wi.annotations)
        pulumi.export("gsa_email", wi.gsa_email)

    plan = record_plan(program, region=R, gcp_project=P)
    email = f"acme-mlflow-gsa@{P}.iam.gserviceaccount.com"
    assert plan.outputs == {"annotations": {"iam.gke.io/gcp-service-account": email}, "gsa_email": email}
    wi = plan.one("gcp:serviceaccount/iAMMember:IAMMember", "acme-mlflow-wi-user")
    assert wi.inputs == {
        "member": f"serviceAccount:{P}.svc.id.goog[mlflow/mlflow]",
        "role": "roles/iam.workloadIdentityUser",
        "serviceAccountId": f"projects/{P}/serviceAccounts/{email}",
    }
    grants = plan.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    assert [g.inputs for g in grants] == [
        {"bucket": "acme-artifacts", "member": f"serviceAccount:{email}", "role": "roles/storage.objectAdmin"}
    ]
    assert plan.of_type("gcp:projects/iAMMember:IAMMember") == []


def test_ci_trust_github(record_plan):
    import pulumi

    from mlstack.components.gcp.ci_trust import CiTrust, CiTrustArgs, RegistryRepository

    def program():
        ci = CiTrust(
            "acme-ci",
            CiTrustArgs(project_id=P, provider="github", repository="acme/ml", refs=("refs/heads/main",),
                        pool_id="acme-ml-test-ci",
                        registry_repositories=(RegistryRepository(location=R, repository_id="trainer"),)),
        )
        pulumi.export("provider_name", ci.provider_name)
        pulumi.export("service_account_email", ci.service_account_email)

    plan = record_plan(program, region=R, gcp_project=P)
    prov = plan.one("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "acme-ci-provider")
    assert prov.inputs["attributeCondition"] == 'assertion.repository == "acme/ml" && assertion.ref in ["refs/heads/main"]'
    assert prov.inputs["oidc"] == {"issuerUri": "https://token.actions.githubusercontent.com"}
    assert prov.inputs["attributeMapping"]["attribute.repository"] == "assertion.repository"
    assert prov.inputs["attributeMapping"]["google.subject"] == "assertion.sub"
    pool_name = "projects/000000000000/locations/global/workloadIdentityPools/acme-ml-test-ci"
    assert plan.outputs == {
        "provider_name": f"{pool_name}/providers/github",
        "service_account_email": f"acme-ci-sa@{P}.iam.gserviceaccount.com",
    }
    wi = plan.one("gcp:serviceaccount/iAMMember:IAMMember", "acme-ci-wi-user")
    assert wi.inputs["member"] == f"principalSet://iam.googleapis.com/{pool_name}/attribute.repository/acme/ml"
    assert wi.inputs["role"] == "roles/iam.workloadIdentityUser"
    push = plan.one("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "acme-ci-push-trainer")
    assert push.inputs == {
        "location": R, "member": f"serviceAccount:acme-ci-sa@{P}.iam.gserviceaccount.com", "project": P,
        "repository": "trainer", "role": "roles/artifactregistry.writer",
    }
    assert [r.inputs["role"] for r in plan.of_type("gcp:projects/iAMMember:IAMMember")] == ["roles/container.clusterViewer"]


def test_ci_trust_conditions():
    from mlstack.components.gcp.ci_trust import attribute_condition

    assert attribute_condition("github", "acme/ml", ("refs/heads/main", "refs/tags/v1")) == (
        'assertion.repository == "acme/ml" && assertion.ref in ["refs/heads/main", "refs/tags/v1"]'
    )
    assert attribute_condition("gitlab", "acme/ml", ("refs/heads/main",)) == (
        'assertion.project_path == "acme/ml" && assertion.ref_type == "branch" && assertion.ref in ["main"]'
    )
    assert attribute_condition("gitlab", "acme/ml", ("refs/heads/main", "refs/tags/v1")) == (
        'assertion.project_path == "acme/ml" && ((assertion.ref_type == "branch" && assertion.ref in ["main"])'
        ' || (assertion.ref_type == "tag" && assertion.ref in ["v1"]))'
    )
    with pytest.raises(ValueError, match="at least one ref"):
        attribute_condition("github", "acme/ml", ())


def test_ci_trust_gitlab_issuer(record_plan):
    from mlstack.components.gcp.ci_trust import CiTrust, CiTrustArgs

    args = CiTrustArgs(project_id=P, provider="gitlab", repository="acme/ml", refs=("refs/heads/main",),
                       pool_id="acme-ml-test-ci", gitlab_url="https://gitlab.acme.dev")
    plan = record_plan(lambda: CiTrust("acme-ci", args), region=R, gcp_project=P)
    prov = plan.one("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "acme-ci-provider")
    assert prov.inputs["oidc"] == {"issuerUri": "https://gitlab.acme.dev"}
    assert prov.inputs["workloadIdentityPoolProviderId"] == "gitlab"
    assert prov.inputs["attributeMapping"]["attribute.repository"] == "assertion.project_path"


def test_audit(record_plan):
    from mlstack.components.gcp.audit import Audit, AuditArgs

    args = AuditArgs(project_id=P, services=("storage.googleapis.com", "container.googleapis.com"), retention_days=365)
    plan = record_plan(lambda: Audit("acme-audit", args), region=R, gcp_project=P)
    configs = plan.of_type("gcp:projects/iAMAuditConfig:IAMAuditConfig")
    assert [(c.name, c.inputs["service"]) for c in configs] == [
        ("acme-audit-container", "container.googleapis.com"),
        ("acme-audit-storage", "storage.googleapis.com"),
    ]
    assert configs[0].inputs["auditLogConfigs"] == [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]
    bucket = plan.one("gcp:logging/projectBucketConfig:ProjectBucketConfig", "acme-audit-default-logs")
    assert bucket.inputs == {"bucketId": "_Default", "location": "global", "project": P, "retentionDays": 365}


def test_workload_identity_requires_bucket(record_plan):
    from mlstack.components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs

    args = WorkloadIdentityArgs(project_id=P, namespace="mlflow", service_account_name="mlflow")
    with pytest.raises(EngineError, match="artifacts_bucket is required"):
        record_plan(lambda: WorkloadIdentity("acme-mlflow", args), region=R, gcp_project=P)
