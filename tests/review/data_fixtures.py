"""Pass/fail fixtures of the data-path policy rules (scratch tier encryption, metrics endpoints, read-only bucket
mounts), merged into test_policy_rules' CASES."""

from __future__ import annotations

import json

from .fixtures import reg

FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"
GCP_LUSTRE = "gcp:lustre/instance:Instance"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/0000"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def _mount_policy(sid: str, actions: list[str]) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": "arn:aws:s3:::d/imagenet/*"}
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}

DATA_CASES = {
    "MLS-AWS-025": (
        [reg(FSX, "s", {"deploymentType": "PERSISTENT_2", "kmsKeyId": KEY_ARN})],
        [reg(FSX, "s", {"deploymentType": "PERSISTENT_2"}), reg(FSX, "t", {"deploymentType": "SCRATCH_2", "kmsKeyId": KEY_ARN})],
    ),
    "MLS-GCP-020": (
        [reg(GCP_LUSTRE, "s", {"kmsKey": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"})],
        [reg(GCP_LUSTRE, "s", {"capacityGib": "9000"})],
    ),
    "MLS-AWS-030": (
        # Read-only scopes read; a writable scope (its own Sid) may write.
        [reg(ROLE_POLICY, "m", _mount_policy("ReadOnlyMountImagenetResearchObjects", ["s3:GetObject"])),
         reg(ROLE_POLICY, "w", _mount_policy("WritableMountCkptResearchObjects", ["s3:GetObject", "s3:PutObject"]))],
        [reg(ROLE_POLICY, "m", _mount_policy("ReadOnlyMountImagenetResearchObjects", ["s3:GetObject", "s3:PutObject"])),
         reg(ROLE_POLICY, "k", _mount_policy("ReadOnlyMountImagenetResearchKey", ["kms:Decrypt", "kms:GenerateDataKey"])),
         reg(ROLE_POLICY, "s", _mount_policy("ReadOnlyMountImagenetResearchObjects", ["s3:*"]))],
    ),
    "MLS-GCP-030": (
        [reg(BUCKET_MEMBER, "acme-mounts-research-imagenet-ro", {"role": "roles/storage.objectViewer"}),
         reg(BUCKET_MEMBER, "acme-mounts-research-ckpt-rw", {"role": "roles/storage.objectUser"})],
        [reg(BUCKET_MEMBER, "acme-mounts-research-imagenet-ro", {"role": "roles/storage.objectUser"}),
         reg(BUCKET_MEMBER, "acme-mounts-applied-imagenet-ro", {"role": "roles/storage.objectAdmin"})],
    ),
    "MLS-K8S-009": (
        [reg(RELEASE, "dcgm", {"chart": "dcgm-exporter", "values": {"service": {"type": "ClusterIP", "port": 9400}}}),
         reg(SERVICE, "web", {"spec": {"type": "LoadBalancer", "ports": [{"name": "https", "port": 443}]}})],
        [reg(RELEASE, "dcgm", {"chart": "dcgm-exporter", "values": {"service": {"type": "LoadBalancer", "port": 9400}}}),
         reg(SERVICE, "prom", {"spec": {"type": "NodePort", "ports": [{"name": "web", "port": 9090}]}})],
    ),
}
