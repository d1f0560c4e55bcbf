"""TrackingDatabase, CiTrust, WorkloadRole and Audit under recording mocks."""

from __future__ import annotations

import json

import pulumi
import pytest

from mlstack.components.aws.audit import Audit, AuditArgs
from mlstack.components.aws.ci_trust import CiTrust, CiTrustArgs
from mlstack.components.aws.irsa_role import WorkloadRole, WorkloadRoleArgs
from mlstack.components.aws.tracking_database import TrackingDatabase, TrackingDatabaseArgs, connection_uri

DB = "acme-ml-staging-tracking-db"
REPO_ARN = "arn:aws:ecr:us-west-2:123456789012:repository/acme-ml-staging/trainer"
CLUSTER_ARN = "arn:aws:eks:us-west-2:123456789012:cluster/acme-ml-staging"


def _db(record_plan, protect: bool):
    def program():
        args = TrackingDatabaseArgs(
            engine_version="16.4",
            vpc_id="vpc-1",
            subnet_ids=["subnet-a", "subnet-b"],
            client_security_group_ids=["sg-cluster"],
            protect=protect,
        )
        db = TrackingDatabase(DB, args)
        pulumi.export("uri", db.connection_uri)
        pulumi.export("secret", db.master_user_secret_arn)

    return record_plan(program)


def test_database_protected(record_plan):
    plan = _db(record_plan, protect=True)
    comp = plan.one("mlstack:aws:TrackingDatabase", DB)
    db = plan.one("aws:rds/instance:Instance", DB)
    assert db.parent == comp.urn and db.protect and db.retain_on_delete
    expected = {
        "engine": "postgres",
        "engineVersion": "16.4",
        "storageEncrypted": True,
        "publiclyAccessible": False,
        "manageMasterUserPassword": True,
        "backupRetentionPeriod": 7,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": f"{DB}-final",
        "multiAz": False,
        "dbName": "mlflow",
        "username": "mlflow",
        "iamDatabaseAuthenticationEnabled": True,
        "performanceInsightsEnabled": True,
    }
    assert {k: db.inputs[k] for k in expected} == expected
    assert "password" not in db.inputs
    assert db.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    group = plan.one("aws:rds/subnetGroup:SubnetGroup", f"{DB}-subnets")
    assert group.inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{DB}-pg-from-0")
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["referencedSecurityGroupId"]) == (5432, 5432, "sg-cluster")
    assert plan.one("aws:kms/key:Key", f"{DB}-key").protect
    assert plan.outputs["uri"].startswith("postgresql://mlflow@acme-ml-staging-tracking-db.") and ":5432/mlflow?sslmode=require" in plan.outputs["uri"]
    assert plan.outputs["secret"].startswith("arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-")


def test_database_unprotected(record_plan):
    db = _db(record_plan, protect=False).one("aws:rds/instance:Instance", DB)
    assert not db.protect and not db.retain_on_delete
    assert db.inputs["deletionProtection"] is False and db.inputs["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in db.inputs
    assert db.inputs["storageEncrypted"] is True and db.inputs["publiclyAccessible"] is False


def test_connection_uri_and_validation():
    uri = connection_uri("ml/flow", "db.example", 5432, "mlflow")
    assert uri == "postgresql://ml%2Fflow@db.example:5432/mlflow?sslmode=require"  # no password in the URI
    with pytest.raises(ValueError, match="backup_retention_days"):
        TrackingDatabaseArgs(engine_version="16", backup_retention_days=3)


def _trust(plan):
    role = plan.one("aws:iam/role:Role", "acme-ml-staging-ci-role")
    return json.loads(role.inputs["assumeRolePolicy"])


def test_ci_trust_github(record_plan):
    args = CiTrustArgs(
        provider="github",
        repository="acme/ml-platform",
        refs=["refs/heads/main"],
        ecr_repository_arns=[REPO_ARN],
        cluster_arn=CLUSTER_ARN,
    )
    plan = record_plan(lambda: CiTrust("acme-ml-staging-ci", args))
    comp = plan.one("mlstack:aws:CiTrust", "acme-ml-staging-ci")
    oidc = plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "acme-ml-staging-ci-oidc")
    assert oidc.parent == comp.urn
    assert oidc.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert _trust(plan) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                        "token.actions.githubusercontent.com:sub": ["repo:acme/ml-platform:ref:refs/heads/main"],
                    }
                },
            }
        ],
    }
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "acme-ml-staging-ci-policy").inputs["policy"])
    assert policy["Statement"] == [
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "EcrPushPull",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": [REPO_ARN],
        },
        {"Sid": "EksDescribe", "Effect": "Allow", "Action": "eks:DescribeCluster", "Resource": CLUSTER_ARN},
    ]


def test_ci_trust_gitlab_with_existing_provider_and_wildcard(record_plan):
    provider_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
    args = CiTrustArgs(
        provider="gitlab",
        repository="acme/ml/platform",
        refs=["refs/heads/main", "refs/tags/v*"],
        gitlab_url="https://gitlab.example.com",
        existing_oidc_provider_arn=provider_arn,
    )
    plan = record_plan(lambda: CiTrust("acme-ml-staging-ci", args))
    assert not plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    statement = _trust(plan)["Statement"][0]
    assert statement["Principal"] == {"Federated": provider_arn}
    assert statement["Condition"] == {
        "StringEquals": {"gitlab.example.com:aud": "https://gitlab.example.com"},
        "StringLike": {
            "gitlab.example.com:sub": [
                "project_path:acme/ml/platform:ref_type:branch:ref:main",
                "project_path:acme/ml/platform:ref_type:tag:ref:v*",
            ]
        },
    }
    assert not plan.of_type("aws:iam/rolePolicy:RolePolicy")  # nothing to grant


def test_ci_trust_validation():
    with pytest.raises(ValueError, match="ORG/REPO"):
        CiTrustArgs(provider="github", repository="acme/a/b", refs=["refs/heads/main"])
    with pytest.raises(ValueError, match="refs/heads/"):
        CiTrustArgs(provider="github", repository="acme/a", refs=["main"])


def test_workload_role(record_plan):
    url = "oidc.eks.us-west-2.amazonaws.com/id/ABC"
    args = WorkloadRoleArgs(
        namespace="mlflow",
        service_account="mlflow",
        policy_statements=[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
        oidc_provider_arn=f"arn:aws:iam::123456789012:oidc-provider/{url}",
        oidc_provider_url=url,
    )
    plan = record_plan(lambda: WorkloadRole("acme-ml-staging-mlflow", args))
    role = plan.one("aws:iam/role:Role", "acme-ml-staging-mlflow-role")
    assert role.parent == plan.one("mlstack:aws:WorkloadRole", "acme-ml-staging-mlflow").urn
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"] == {
        "StringEquals": {f"{url}:aud": "sts.amazonaws.com", f"{url}:sub": "system:serviceaccount:mlflow:mlflow"}
    }
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "acme-ml-staging-mlflow-policy").inputs["policy"])
    assert policy["Statement"] == [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]


def test_audit(record_plan):
    plan = record_plan(lambda: Audit("acme-ml-prod-audit", AuditArgs(retention_days=365, protect=True)))
    comp = plan.one("mlstack:aws:Audit", "acme-ml-prod-audit")
    trail = plan.one("aws:cloudtrail/trail:Trail", "acme-ml-prod-audit")
    assert trail.parent == comp.urn
    flags = ("isMultiRegionTrail", "includeGlobalServiceEvents", "enableLogFileValidation", "enableLogging")
    assert {k: trail.inputs[k] for k in flags} == dict.fromkeys(flags, True)
    bucket_comp = plan.one("mlstack:aws:Bucket", "acme-ml-prod-audit-logs")
    assert bucket_comp.parent == comp.urn
    bucket = plan.one("aws:s3/bucket:Bucket", "acme-ml-prod-audit-logs")
    assert bucket.protect and bucket.retain_on_delete
    assert trail.inputs["s3BucketName"].startswith("acme-ml-prod-audit-logs-")
    key = plan.one("aws:kms/key:Key", "acme-ml-prod-audit-key")
    assert key.inputs["enableKeyRotation"] is True and key.protect
    assert trail.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    policy = plan.one("aws:s3/bucketPolicy:BucketPolicy", "acme-ml-prod-audit-logs-policy")
    assert policy.urn in trail.depends_on
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    trail_arn = "arn:aws:cloudtrail:us-west-2:123456789012:trail/acme-ml-prod-audit"
    assert set(statements) == {"DenyInsecureTransport", "CloudTrailAclCheck", "CloudTrailWrite"}
    assert statements["CloudTrailWrite"]["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert statements["CloudTrailWrite"]["Resource"].endswith("/AWSLogs/123456789012/*")
    assert statements["CloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    life = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "acme-ml-prod-audit-logs-lifecycle")
    assert life.inputs["rules"][0]["expiration"] == {"days": 365}
    key_statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert key_statements["CloudTrailEncrypts"]["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
