"""Bucket, SharedFileSystem and ContainerRegistry under recording mocks."""

from __future__ import annotations

import json

import pytest

from mlstack.components.aws.bucket import Bucket, BucketArgs
from mlstack.components.aws.container_registry import ContainerRegistry, ContainerRegistryArgs
from mlstack.components.aws.shared_file_system import SharedFileSystem, SharedFileSystemArgs

NAME = "acme-ml-staging-datasets"


def test_bucket_is_private_encrypted_tls_only(record_plan):
    plan = record_plan(lambda: Bucket(NAME, BucketArgs(tags={"team": "ml"})), region="us-west-2")
    comp = plan.one("mlstack:aws:Bucket", NAME)
    b = plan.one("aws:s3/bucket:Bucket", NAME)
    assert b.parent == comp.urn
    assert b.inputs["forceDestroy"] is False
    assert b.inputs["tags"] == {"Name": NAME, "team": "ml"}
    assert "bucket" not in b.inputs  # auto-named: S3 names are global
    assert not b.protect and not b.retain_on_delete
    assert not plan.of_type("aws:s3/bucketV2:BucketV2")

    pab = plan.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{NAME}-public-access")
    assert {k: pab.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    own = plan.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", f"{NAME}-ownership")
    assert own.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    key = plan.one("aws:kms/key:Key", f"{NAME}-key")
    assert key.inputs["enableKeyRotation"] is True
    sse = plan.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", f"{NAME}-encryption")
    rule = sse.inputs["rules"][0]
    assert rule["bucketKeyEnabled"] is True
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:us-west-2:")
    ver = plan.one("aws:s3/bucketVersioning:BucketVersioning", f"{NAME}-versioning")
    assert ver.inputs["versioningConfiguration"] == {"status": "Enabled"}
    life = plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{NAME}-lifecycle")
    assert life.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert life.inputs["rules"][0]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert "expiration" not in life.inputs["rules"][0]

    pol = plan.one("aws:s3/bucketPolicy:BucketPolicy", f"{NAME}-policy")
    arn = f"arn:aws:s3:::{b.inputs.get('bucket') or pol.inputs['bucket']}"
    assert json.loads(pol.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    assert pab.urn in pol.depends_on


def test_bucket_protected_with_given_key(record_plan):
    key_arn = "arn:aws:kms:us-west-2:123456789012:key/given"
    plan = record_plan(lambda: Bucket(NAME, BucketArgs(protect=True, kms_key_arn=key_arn, versioning=False, expiration_days=30)))
    b = plan.one("aws:s3/bucket:Bucket", NAME)
    assert b.protect and b.retain_on_delete
    assert not plan.of_type("aws:kms/key:Key")
    sse = plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key_arn
    assert plan.of_type("aws:s3/bucketVersioning:BucketVersioning")[0].inputs["versioningConfiguration"]["status"] == "Suspended"
    life = plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0]
    assert life.inputs["rules"][0]["expiration"] == {"days": 30}


def _efs(record_plan, **kw):
    args = SharedFileSystemArgs(
        vpc_id="vpc-1",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        nfs_client_security_group_ids=["sg-cluster"],
        tags={"team": "ml"},
        **kw,
    )
    return record_plan(lambda: SharedFileSystem("acme-ml-staging-shared", args))


def test_shared_file_system(record_plan):
    plan = _efs(record_plan, protect=True)
    comp = plan.one("mlstack:aws:SharedFileSystem", "acme-ml-staging-shared")
    fs = plan.one("aws:efs/fileSystem:FileSystem", "acme-ml-staging-shared")
    assert fs.parent == comp.urn and fs.protect and fs.retain_on_delete
    assert fs.inputs["encrypted"] is True
    assert fs.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert fs.inputs["performanceMode"] == "generalPurpose" and fs.inputs["throughputMode"] == "elastic"
    assert fs.inputs["lifecyclePolicies"] == [{"transitionToIa": "AFTER_30_DAYS"}, {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    mounts = plan.of_type("aws:efs/mountTarget:MountTarget")
    assert [m.name for m in mounts] == [f"acme-ml-staging-shared-mount-{i}" for i in range(3)]
    assert [m.inputs["subnetId"] for m in mounts] == ["subnet-a", "subnet-b", "subnet-c"]
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "acme-ml-staging-shared-nfs")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(rules) == 1
    assert {k: rules[0].inputs[k] for k in ("ipProtocol", "fromPort", "toPort", "referencedSecurityGroupId")} == {
        "ipProtocol": "tcp",
        "fromPort": 2049,
        "toPort": 2049,
        "referencedSecurityGroupId": "sg-cluster",
    }
    assert "cidrIpv4" not in rules[0].inputs
    policy = json.loads(plan.one("aws:efs/fileSystemPolicy:FileSystemPolicy", "acme-ml-staging-shared-policy").inputs["policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"][0]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    # mount and write through mount targets; never root on the file system (access points own the directories)
    assert allow["Action"] == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allow["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    assert plan.one("aws:efs/backupPolicy:BackupPolicy", "acme-ml-staging-shared-backup").inputs["backupPolicy"] == {"status": "ENABLED"}


def test_shared_file_system_validation():
    with pytest.raises(ValueError, match="provisioned"):
        SharedFileSystemArgs(throughput_mode="provisioned")


def test_container_registry(record_plan):
    args = ContainerRegistryArgs(prefix="acme-ml-staging", repositories=["trainer", "serving"], protect=True)
    plan = record_plan(lambda: ContainerRegistry("acme-ml-staging-registry", args))
    comp = plan.one("mlstack:aws:ContainerRegistry", "acme-ml-staging-registry")
    repo = plan.one("aws:ecr/repository:Repository", "acme-ml-staging-registry-trainer")
    assert repo.parent == comp.urn and repo.protect and repo.retain_on_delete
    assert repo.inputs["name"] == "acme-ml-staging/trainer"
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["forceDelete"] is False
    enc = repo.inputs["encryptionConfigurations"][0]
    assert enc["encryptionType"] == "KMS" and enc["kmsKey"].startswith("arn:aws:kms:")
    life = plan.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "acme-ml-staging-registry-trainer-lifecycle")
    assert json.loads(life.inputs["policy"])["rules"][0]["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 14,
    }
    assert len(plan.of_type("aws:ecr/repository:Repository")) == 2


def test_registry_validation():
    with pytest.raises(ValueError, match="invalid"):
        ContainerRegistryArgs(repositories=["Trainer"])
    with pytest.raises(ValueError, match="unique"):
        ContainerRegistryArgs(repositories=["a", "a"])
