"""Every policy rule has a passing and a failing fixture (hand-built registrations, wire inputs)."""

from __future__ import annotations

import pytest

from mlstack.engine.review.policy import RULES, check_plan, rule_ids
from .fixtures import plan, policy, reg
from .capacity_fixtures import CAPACITY_CASES
from .data_fixtures import DATA_CASES
from .workload_fixtures import WORKLOAD_CASES

EKS = "aws:eks/cluster:Cluster"
GKE = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
DEPLOY = "kubernetes:apps/v1:Deployment"
SAFE_SC = {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
RES = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}


def deployment(**container) -> object:
    c = {"name": "app", "image": "ghcr.io/acme/app:1.2.3", "securityContext": dict(SAFE_SC), "resources": RES}
    c.update(container)
    return reg(DEPLOY, "app", {"spec": {"template": {"spec": {"containers": [c]}}}})


def s3(parent: str, **over) -> list:
    """A bucket and its companions (same parent), each overridable."""
    b = reg("aws:s3/bucket:Bucket", "b", parent=parent)
    parts = {
        "pab": reg("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "b-pab", {
            "bucket": "b-1234567", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
            "restrictPublicBuckets": True}, parent=parent),
        "sse": reg("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "b-sse", {
            "bucket": "b-1234567", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]}, parent=parent),
        "ver": reg("aws:s3/bucketVersioning:BucketVersioning", "b-ver", {
            "bucket": "b-1234567", "versioningConfiguration": {"status": "Enabled"}}, parent=parent),
        "pol": reg("aws:s3/bucketPolicy:BucketPolicy", "b-pol", {"bucket": "b-1234567", "policy": policy([{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])}, parent=parent),
    }
    parts.update(over)
    return [b, *[p for p in parts.values() if p is not None]]


GH = "token.actions.githubusercontent.com"
TRUST_OK = policy([{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "arn:oidc"},
                    "Condition": {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com",
                                                   f"{GH}:sub": ["repo:acme/ml-platform:ref:refs/heads/main"]}}}])
TRUST_BAD = policy([{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "arn:oidc"},
                     "Condition": {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                                   "StringLike": {f"{GH}:sub": "repo:acme/*"}}}])
GKE_OK = {
    "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
    "masterAuthorizedNetworksConfig": {"cidrBlocks": []},
    "databaseEncryption": {"state": "ENCRYPTED", "keyName": "projects/p/locations/l/keyRings/k/cryptoKeys/c"},
    "loggingConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]},
    "workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"},
    "enableShieldedNodes": True,
    "masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}},
}
POOL_OK = {"nodeConfig": {"workloadMetadataConfig": {"mode": "GKE_METADATA"},
                          "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True}},
           "management": {"autoRepair": True, "autoUpgrade": True}}
SQL_OK = {"deletionProtection": True, "settings": {
    "ipConfiguration": {"ipv4Enabled": False, "privateNetwork": "net", "sslMode": "ENCRYPTED_ONLY"},
    "backupConfiguration": {"enabled": True, "pointInTimeRecoveryEnabled": True}, "deletionProtectionEnabled": True}}
RDS_OK = {"storageEncrypted": True, "publiclyAccessible": False, "backupRetentionPeriod": 7, "deletionProtection": True}
GCS_OK = {"publicAccessPrevention": "enforced", "uniformBucketLevelAccess": True, "versioning": {"enabled": True},
          "encryption": {"defaultKmsKeyName": "projects/p/locations/l/keyRings/k/cryptoKeys/c"}}


def merge(base: dict, **over) -> dict:
    out = dict(base)
    out.update(over)
    return out


# rule id -> (resources that pass, resources that fail)
CASES: dict[str, tuple[list, list]] = {
    "MLS-AWS-001": ([reg(EKS, "c", {"vpcConfig": {"endpointPublicAccess": False}})],
                    [reg(EKS, "c", {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}})]),
    "MLS-AWS-002": ([reg(EKS, "c", {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:k"}}})],
                    [reg(EKS, "c", {})]),
    "MLS-AWS-003": ([reg(EKS, "c", {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]})],
                    [reg(EKS, "c", {"enabledClusterLogTypes": ["api"]})]),
    "MLS-AWS-004": ([reg("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": {"httpTokens": "required"}})],
                    [reg("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": {"httpTokens": "optional"}})]),
    "MLS-AWS-005": ([reg("aws:eks/nodeGroup:NodeGroup", "ng", {})],
                    [reg("aws:eks/nodeGroup:NodeGroup", "ng", {"remoteAccess": {"ec2SshKey": "k"}})]),
    "MLS-AWS-006": ([reg("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r",
                         {"cidrIpv4": "10.0.0.0/16", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"})],
                    [reg("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "r",
                         {"cidrIpv4": "0.0.0.0/0", "fromPort": 0, "toPort": 65535, "ipProtocol": "tcp"})]),
    "MLS-AWS-007": (s3("p"), s3("p", pab=None)),
    "MLS-AWS-008": (s3("p"), s3("p", sse=reg("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                                             "b-sse", {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
                                             parent="p"))),
    "MLS-AWS-009": (s3("p"), s3("p", ver=reg("aws:s3/bucketVersioning:BucketVersioning", "b-ver",
                                             {"versioningConfiguration": {"status": "Suspended"}}, parent="p"))),
    "MLS-AWS-010": (s3("p"), s3("p", pol=None)),
    "MLS-AWS-011": ([reg("aws:ecr/repository:Repository", "r", {"imageTagMutability": "IMMUTABLE"})],
                    [reg("aws:ecr/repository:Repository", "r", {"imageTagMutability": "MUTABLE"})]),
    "MLS-AWS-012": ([reg("aws:ecr/repository:Repository", "r", {"imageScanningConfiguration": {"scanOnPush": True}})],
                    [reg("aws:ecr/repository:Repository", "r", {})]),
    "MLS-AWS-013": ([reg("aws:efs/fileSystem:FileSystem", "f", {"encrypted": True})],
                    [reg("aws:efs/fileSystem:FileSystem", "f", {"encrypted": False})]),
    "MLS-AWS-014": ([reg("aws:rds/instance:Instance", "d", RDS_OK)],
                    [reg("aws:rds/instance:Instance", "d", merge(RDS_OK, storageEncrypted=False))]),
    "MLS-AWS-015": ([reg("aws:rds/instance:Instance", "d", RDS_OK)],
                    [reg("aws:rds/instance:Instance", "d", merge(RDS_OK, publiclyAccessible=True))]),
    "MLS-AWS-016": ([reg("aws:rds/instance:Instance", "d", RDS_OK)],
                    [reg("aws:rds/instance:Instance", "d", merge(RDS_OK, backupRetentionPeriod=1))]),
    "MLS-AWS-017": ([reg("aws:rds/instance:Instance", "d", RDS_OK)],
                    [reg("aws:rds/instance:Instance", "d", merge(RDS_OK, deletionProtection=False))]),
    "MLS-AWS-018": ([reg("aws:iam/rolePolicy:RolePolicy", "p", {"policy": policy([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])})],
                    [reg("aws:iam/rolePolicy:RolePolicy", "p", {"policy": policy([{"Effect": "Allow", "Action": "*", "Resource": "*"}])})]),
    "MLS-AWS-019": ([reg("aws:iam/role:Role", "ci", {"assumeRolePolicy": TRUST_OK})],
                    [reg("aws:iam/role:Role", "ci", {"assumeRolePolicy": TRUST_BAD})]),
    "MLS-AWS-020": ([reg("aws:kms/key:Key", "k", {"enableKeyRotation": True})], [reg("aws:kms/key:Key", "k", {})]),
    "MLS-AWS-021": ([reg("aws:cloudtrail/trail:Trail", "t", {"isMultiRegionTrail": True})],
                    [reg("aws:cloudtrail/trail:Trail", "t", {"isMultiRegionTrail": False})]),
    "MLS-AWS-022": ([reg("aws:cloudtrail/trail:Trail", "t", {"enableLogFileValidation": True})],
                    [reg("aws:cloudtrail/trail:Trail", "t", {})]),
    "MLS-GCP-001": ([reg(GKE, "g", GKE_OK)],
                    [reg(GKE, "g", merge(GKE_OK, privateClusterConfig={"enablePrivateNodes": False}, masterAuthorizedNetworksConfig=None))]),
    "MLS-GCP-002": ([reg(GKE, "g", GKE_OK)], [reg(GKE, "g", merge(GKE_OK, databaseEncryption={"state": "DECRYPTED"}))]),
    "MLS-GCP-003": ([reg(GKE, "g", GKE_OK)], [reg(GKE, "g", merge(GKE_OK, loggingConfig={"enableComponents": ["WORKLOADS"]}))]),
    "MLS-GCP-004": ([reg(GKE, "g", GKE_OK), reg(POOL, "p", POOL_OK)],
                    [reg(GKE, "g", GKE_OK), reg(POOL, "p", {"nodeConfig": {"workloadMetadataConfig": {"mode": "GCE_METADATA"}}})]),
    "MLS-GCP-005": ([reg(GKE, "g", GKE_OK), reg(POOL, "p", POOL_OK)], [reg(POOL, "p", {"nodeConfig": {}})]),
    "MLS-GCP-006": ([reg(GKE, "g", GKE_OK)],
                    [reg(GKE, "g", merge(GKE_OK, masterAuth={"clientCertificateConfig": {"issueClientCertificate": True}}))]),
    "MLS-GCP-007": ([reg(POOL, "p", POOL_OK)], [reg(POOL, "p", merge(POOL_OK, management={"autoRepair": False}))]),
    "MLS-GCP-008": ([reg("gcp:storage/bucket:Bucket", "b", GCS_OK)],
                    [reg("gcp:storage/bucket:Bucket", "b", merge(GCS_OK, publicAccessPrevention="inherited"))]),
    "MLS-GCP-009": ([reg("gcp:storage/bucket:Bucket", "b", GCS_OK)],
                    [reg("gcp:storage/bucket:Bucket", "b", merge(GCS_OK, versioning={"enabled": False}))]),
    "MLS-GCP-010": ([reg("gcp:storage/bucket:Bucket", "b", GCS_OK)],
                    [reg("gcp:storage/bucket:Bucket", "b", merge(GCS_OK, encryption=None))]),
    "MLS-GCP-011": ([reg(SQL, "s", SQL_OK)],
                    [reg(SQL, "s", merge(SQL_OK, settings={**SQL_OK["settings"], "ipConfiguration": {"ipv4Enabled": True, "sslMode": "ENCRYPTED_ONLY"}}))]),
    "MLS-GCP-012": ([reg(SQL, "s", SQL_OK)],
                    [reg(SQL, "s", merge(SQL_OK, settings={**SQL_OK["settings"], "ipConfiguration": {"ipv4Enabled": False,
                                                                                                 "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}}))]),
    "MLS-GCP-013": ([reg(SQL, "s", SQL_OK)],
                    [reg(SQL, "s", merge(SQL_OK, settings={**SQL_OK["settings"], "backupConfiguration": {"enabled": False}}))]),
    "MLS-GCP-014": ([reg(SQL, "s", SQL_OK)],
                    [reg(SQL, "s", merge(SQL_OK, deletionProtection=False, settings={**SQL_OK["settings"], "deletionProtectionEnabled": False}))]),
    "MLS-GCP-015": ([reg("gcp:filestore/instance:Instance", "f", {"tier": "BASIC_HDD"})],
                    [reg("gcp:filestore/instance:Instance", "f", {"tier": "ZONAL"})]),
    "MLS-GCP-016": ([reg("gcp:kms/cryptoKey:CryptoKey", "k", {"rotationPeriod": "7776000s"})],
                    [reg("gcp:kms/cryptoKey:CryptoKey", "k", {"rotationPeriod": "31536000s"})]),
    "MLS-GCP-017": ([reg("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "w",
                         {"attributeCondition": 'assertion.repository == "acme/ml" && assertion.ref in ["refs/heads/main"]'})],
                    [reg("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "w",
                         {"attributeCondition": 'assertion.repository_owner == "acme"'})]),
    "MLS-GCP-018": ([reg("gcp:projects/iAMAuditConfig:IAMAuditConfig", "a", {"auditLogConfigs": [
                        {"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}]})],
                    [reg("gcp:projects/iAMAuditConfig:IAMAuditConfig", "a", {"auditLogConfigs": [{"logType": "DATA_READ"}]})]),
    "MLS-K8S-001": ([deployment()], [deployment(securityContext={**SAFE_SC, "runAsNonRoot": None})]),
    "MLS-K8S-002": ([deployment()], [deployment(securityContext={**SAFE_SC, "readOnlyRootFilesystem": False})]),
    "MLS-K8S-003": ([deployment()], [deployment(securityContext={**SAFE_SC, "allowPrivilegeEscalation": True})]),
    "MLS-K8S-004": ([deployment()], [deployment(securityContext={**SAFE_SC, "capabilities": {"drop": ["NET_RAW"]}})]),
    "MLS-K8S-005": ([deployment()], [deployment(resources={"requests": {"cpu": "1"}})]),
    "MLS-K8S-006": ([deployment()], [deployment(image="ghcr.io/acme/app:latest")]),
    "MLS-K8S-007": ([reg("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "research", "labels": {"mlstack.io/team": "research"}}}),
                     reg("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", {"metadata": {"namespace": "research"},
                         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}})],
                    [reg("kubernetes:core/v1:Namespace", "ns", {"metadata": {"name": "research", "labels": {"mlstack.io/team": "research"}}})]),
    "MLS-K8S-008": ([reg("kubernetes:helm.sh/v3:Release", "r", {"chart": "c", "version": "1.2.3"})],
                    [reg("kubernetes:helm.sh/v3:Release", "r", {"chart": "c"})]),
    "MLS-K8S-010": ([reg("kubernetes:core/v1:Service", "lb", {"spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]}}),
                     reg("kubernetes:core/v1:Service", "svc", {"spec": {"type": "ClusterIP"}}),
                     reg("kubernetes:networking.k8s.io/v1:Ingress", "ing", {"spec": {
                         "tls": [{"hosts": ["mlflow.lab"], "secretName": "t"}], "rules": [{"host": "mlflow.lab"}]}}),
                     reg("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", {"spec": {"gatewayClassName": "gke-l7-rilb",
                         "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443,
                                        "tls": {"certificateRefs": [{"name": "mlflow-tls"}]}}]}})],
                    [reg("kubernetes:core/v1:Service", "lb", {"spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["0.0.0.0/0"]}}),
                     reg("kubernetes:core/v1:Service", "open", {"spec": {"type": "LoadBalancer"}}),
                     reg("kubernetes:networking.k8s.io/v1:Ingress", "ing", {"spec": {"rules": [{"host": "mlflow.lab"}]}}),
                     reg("kubernetes:networking.k8s.io/v1:Ingress", "public", {
                         "metadata": {"annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}},
                         "spec": {"tls": [{"hosts": ["m.lab"], "secretName": "t"}], "rules": [{"host": "m.lab"}]}}),
                     reg("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gw", {"spec": {
                         "gatewayClassName": "gke-l7-global-external-managed",
                         "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}})]),
    "MLS-AWS-026": ([reg("aws:cloudwatch/logGroup:LogGroup", "cp", {"name": "/aws/eks/c/cluster", "retentionInDays": 90,
                                                                    "kmsKeyId": "arn:aws:kms:k"}),
                     reg("aws:cloudwatch/logGroup:LogGroup", "app", {"name": "/aws/containerinsights/c/application",
                                                                     "retentionInDays": 90, "kmsKeyId": "arn:aws:kms:k"})],
                    [reg("aws:cloudwatch/logGroup:LogGroup", "forever", {"name": "/aws/eks/c/cluster"}),
                     reg("aws:cloudwatch/logGroup:LogGroup", "app", {"name": "/aws/containerinsights/c/application",
                                                                     "retentionInDays": 90})]),
    "MLS-GEN-001": ([reg("aws:s3/bucket:Bucket", "b", protect=True)], [reg("aws:s3/bucket:Bucket", "b")]),
    "MLS-GEN-002": ([reg("kubernetes:core/v1:Secret", "s", {"stringData": "[secret]"})],
                    [reg("kubernetes:core/v1:Secret", "s", {"stringData": {"password": "hunter2"}})]),
}


CASES.update(WORKLOAD_CASES)
CASES.update(CAPACITY_CASES)
CASES.update(DATA_CASES)


def test_at_least_30_rules_and_every_rule_has_fixtures():
    assert len(RULES) >= 30
    assert sorted(CASES) == rule_ids()
    for rule in RULES:
        assert rule.id and rule.title and rule.rationale and rule.refs, rule.id


def _result(rule_id: str, resources: list, protected: bool = True):
    report = check_plan(plan(*resources), protected=protected)
    return next(r for r in report.results if r.rule.id == rule_id)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes(rule_id):
    result = _result(rule_id, CASES[rule_id][0])
    assert result.status == "pass", [f.message for f in result.findings]


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails(rule_id):
    result = _result(rule_id, CASES[rule_id][1])
    assert result.status == "fail"
    assert result.findings and all(f.message for f in result.findings)


def test_levels_and_waivers():
    bad = CASES["MLS-AWS-020"][1]
    assert _result("MLS-AWS-020", bad, protected=True).level == "mandatory"
    assert _result("MLS-AWS-020", bad, protected=False).level == "advisory"
    assert _result("MLS-GCP-010", CASES["MLS-GCP-010"][1], protected=True).level == "advisory"  # always advisory
    assert _result("MLS-GEN-001", CASES["MLS-GEN-001"][1], protected=False).status == "n/a"
    report = check_plan(plan(*bad), protected=True, waivers={"MLS-AWS-020": "keys are imported, rotated by the HSM"})
    waived = next(r for r in report.results if r.rule.id == "MLS-AWS-020")
    assert (waived.status, waived.waiver) == ("waived", "keys are imported, rotated by the HSM")
    assert [r.rule.id for r in report.violations("mandatory")] == ["MLS-GEN-001"]  # the key is also unprotected


def test_rule_not_applicable_without_its_types():
    assert _result("MLS-AWS-001", []).status == "n/a"


def test_waiver_of_a_rule_for_another_cloud_is_unused_not_waived():
    from mlstack.engine.review.policy import check_plan

    from .fixtures import plan, reg

    p = plan(reg("aws:eks/cluster:Cluster", "c", {"name": "c"}))
    report = check_plan(p, protected=True, waivers={"MLS-GCP-003": "not our cloud", "MLS-AWS-003": "collector"})
    by_id = {r.rule.id: r for r in report.results}
    assert (by_id["MLS-GCP-003"].status, by_id["MLS-GCP-003"].waiver_unused) == ("n/a", True)
    assert by_id["MLS-AWS-003"].status == "waived" and not by_id["MLS-AWS-003"].waiver_unused
    assert [r.rule.id for r in report.unused_waivers] == ["MLS-GCP-003"]
    assert report.counts()["waived"] == 1
    assert by_id["MLS-GCP-003"].to_dict()["waiver_unused"] is True


def test_a_chart_that_runs_a_pod_as_root_fails_the_non_root_rule():
    def run(values):
        release = reg("kubernetes:helm.sh/v3:Release", "nfs", {"chart": "nfs", "version": "4.0.18", "values": values})
        report = check_plan(plan(release), protected=True)
        return next(r for r in report.results if r.rule.id == "MLS-K8S-001")

    assert run({"podSecurityContext": {"runAsNonRoot": True, "runAsUser": 65532}}).status == "pass"
    failed = run({"podSecurityContext": {"runAsUser": 0}, "sidecars": [{"securityContext": {"runAsNonRoot": False}}]})
    assert failed.status == "fail" and failed.level == "mandatory"
    assert [f.message for f in failed.findings] == [
        "chart 'nfs' runs a pod as root (values.podSecurityContext)",
        "chart 'nfs' runs a pod as root (values.sidecars[0].securityContext)",
    ]


def test_the_log_rule_names_each_group():
    result = _result("MLS-AWS-026", CASES["MLS-AWS-026"][1])
    unkeyed = "no customer-managed key (kmsKeyId): CloudWatch's own key, which the account cannot revoke or audit"
    assert sorted((f.resource, f.message) for f in result.findings) == [
        ("app", unkeyed),
        ("forever", unkeyed),
        ("forever", "no retention: CloudWatch keeps (and bills) every event forever"),
    ]


def test_the_endpoint_rule_names_each_open_endpoint():
    result = _result("MLS-K8S-010", CASES["MLS-K8S-010"][1])
    assert [f.message for f in result.findings] == [
        "load balancer admits public networks ['0.0.0.0/0']",
        "load balancer admits every address (no loadBalancerSourceRanges)",
        "Gateway is internet-facing (GatewayClass gke-l7-global-external-managed)",
        "Gateway listener http (HTTP) does not terminate TLS with a certificate (basic-auth passwords would cross the "
        "network in clear)",
        "Ingress serves mlflow.lab without TLS (basic-auth passwords would cross the network in clear)",
        "Ingress is internet-facing (alb.ingress.kubernetes.io/scheme: internet-facing)",
    ]
