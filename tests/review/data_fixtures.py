"""Pass/fail fixtures of the data-path policy rules (scratch tier encryption), merged into test_policy_rules' CASES."""

from __future__ import annotations

from .fixtures import reg

FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"
GCP_LUSTRE = "gcp:lustre/instance:Instance"
SERVICE = "kubernetes:core/v1:Service"
RELEASE = "kubernetes:helm.sh/v3:Release"
KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/0000"

DATA_CASES = {
    "MLS-AWS-025": (
        [reg(FSX, "s", {"deploymentType": "PERSISTENT_2", "kmsKeyId": KEY_ARN})],
        [reg(FSX, "s", {"deploymentType": "PERSISTENT_2"}), reg(FSX, "t", {"deploymentType": "SCRATCH_2", "kmsKeyId": KEY_ARN})],
    ),
    "MLS-GCP-020": (
        [reg(GCP_LUSTRE, "s", {"kmsKey": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"})],
        [reg(GCP_LUSTRE, "s", {"capacityGib": "9000"})],
    ),
    "MLS-K8S-009": (
        [reg(RELEASE, "dcgm", {"chart": "dcgm-exporter", "values": {"service": {"type": "ClusterIP", "port": 9400}}}),
         reg(SERVICE, "web", {"spec": {"type": "LoadBalancer", "ports": [{"name": "https", "port": 443}]}})],
        [reg(RELEASE, "dcgm", {"chart": "dcgm-exporter", "values": {"service": {"type": "LoadBalancer", "port": 9400}}}),
         reg(SERVICE, "prom", {"spec": {"type": "NodePort", "ports": [{"name": "web", "port": 9090}]}})],
    ),
}
