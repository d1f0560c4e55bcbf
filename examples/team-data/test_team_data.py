"""Unit tests of the example program, as a user writes them for their own: `pytest examples/team-data`.

They run the program under ``mlstack.testing.record`` (Pulumi's mocks with mlstack's mock outputs) and assert
what it registers: exact type tokens, logical names, parents and inputs. No cloud, no credentials, no Pulumi CLI.
"""

from __future__ import annotations

import json

import pytest

from mlstack.errors import EngineError
from mlstack.testing import Plan, record
from team_data import TeamData, build

OIDC_URL = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0123456789"
OIDC_ARN = f"arn:aws:iam::123456789012:oidc-provider/{OIDC_URL}"


def _plan(**kw) -> Plan:
    config = TeamData(team="vision", oidc_provider_arn=OIDC_ARN, oidc_provider_url=OIDC_URL, **kw)
    return record(lambda: build(config), project="acme-ml", stack="dev", region="eu-west-1")


@pytest.fixture(scope="module")
def plan() -> Plan:
    return _plan()


def test_the_components_and_their_children(plan):
    components = [(r.type, r.name) for r in plan.resources if r.type.startswith("mlstack:")]
    assert components == [("mlstack:aws:Bucket", "vision-datasets"), ("mlstack:aws:ContainerRegistry", "vision-images"),
                          ("mlstack:aws:WorkloadRole", "vision-reader")]
    role = plan.one("aws:iam/role:Role", "vision-reader-role")
    assert role.parent == "urn:pulumi:dev::acme-ml::mlstack:aws:WorkloadRole::vision-reader"


def test_the_datasets_keep_versions_for_the_retention_and_stay_private(plan):
    versioning = plan.one("aws:s3/bucketVersioning:BucketVersioning", "vision-datasets-versioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                       "vision-datasets-lifecycle").inputs["rules"]
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    block = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "vision-datasets-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert _plan(dataset_retention_days=7).one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "vision-datasets-lifecycle"
    ).inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 7}


def test_the_reader_may_read_exactly_the_datasets(plan):
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", "vision-reader-policy").inputs["policy"])
    statements = {tuple(s["Action"]): s["Resource"] for s in policy["Statement"]}
    (bucket_arn,) = statements[("s3:ListBucket",)]
    assert bucket_arn == f"arn:aws:s3:::{plan.outputs['datasets_bucket']}"
    assert statements[("s3:GetObject",)] == [f"{bucket_arn}/*"]
    key = plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                   "vision-datasets-encryption").inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]
    assert statements[("kms:Decrypt",)] == [key]


def test_only_the_service_account_assumes_the_role(plan):
    trust = json.loads(plan.one("aws:iam/role:Role", "vision-reader-role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    assert statement["Condition"]["StringEquals"] == {f"{OIDC_URL}:aud": "sts.amazonaws.com",
                                                      f"{OIDC_URL}:sub": "system:serviceaccount:vision:dataset-reader"}


def test_the_images_and_the_outputs(plan):
    repo = plan.one("aws:ecr/repository:Repository", "vision-images-trainer").inputs
    assert (repo["name"], repo["imageTagMutability"], repo["imageScanningConfiguration"]) == (
        "vision/trainer", "IMMUTABLE", {"scanOnPush": True})
    assert plan.outputs["repository_urls"] == {"trainer": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/vision/trainer"}
    assert plan.outputs["reader_role_arn"].startswith("arn:aws:iam::123456789012:role/vision-reader-role-")


def test_a_failing_program_is_an_engine_error_with_its_message():
    config = TeamData(team="vision", oidc_provider_arn=OIDC_ARN, oidc_provider_url=OIDC_URL)

    def broken() -> None:
        build(config)
        raise RuntimeError("quota table missing")

    with pytest.raises(EngineError, match="^the program failed: quota table missing$"):
        record(broken)
