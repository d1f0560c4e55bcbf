"""GCP rules (GKE, GCS, Cloud SQL, Filestore, KMS, Workload Identity Federation, audit) over wire inputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.components.contract import ACCELERATOR_LABEL
from mlstack.targets.policy import Finding, Rule, as_list, each, finding, get, world_open

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

GKE = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
GCS = "gcp:storage/bucket:Bucket"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
FILESTORE = "gcp:filestore/instance:Instance"
LUSTRE = "gcp:lustre/instance:Instance"
KMS = "gcp:kms/cryptoKey:CryptoKey"
WIF = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
AUDIT = "gcp:projects/iAMAuditConfig:IAMAuditConfig"

GKE_LOGS = ("SYSTEM_COMPONENTS", "APISERVER")
CMEK_TIERS = ("ZONAL", "REGIONAL", "ENTERPRISE", "HIGH_SCALE_SSD")
MAX_ROTATION_S = 90 * 86400


def _gke_endpoint(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        private = get(r.inputs, "privateClusterConfig.enablePrivateEndpoint") is True
        cidrs = [get(c, "cidrBlock") for c in as_list(get(r.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"))]
        authorized = get(r.inputs, "masterAuthorizedNetworksConfig") is not None and not world_open(cidrs)
        if not private and not authorized:
            yield finding(r, "control plane reachable from the internet (no private endpoint, no authorized networks)")
        if get(r.inputs, "privateClusterConfig.enablePrivateNodes") is not True:
            yield finding(r, "nodes have public IPs (privateClusterConfig.enablePrivateNodes is off)")


def _gke_secrets(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        if get(r.inputs, "databaseEncryption.state") != "ENCRYPTED" or not get(r.inputs, "databaseEncryption.keyName"):
            yield finding(r, "application-layer secrets encryption with a Cloud KMS key is off (databaseEncryption)")


def _gke_logging(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        service = r.inputs.get("loggingService")
        if service == "none":
            yield finding(r, "loggingService is none")
            continue
        components = as_list(get(r.inputs, "loggingConfig.enableComponents"))
        if get(r.inputs, "loggingConfig") is not None:
            missing = [c for c in GKE_LOGS if c not in components]
            if missing:
                yield finding(r, f"logging components not enabled: {', '.join(missing)}")


def _workload_identity(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        if not get(r.inputs, "workloadIdentityConfig.workloadPool"):
            yield finding(r, "Workload Identity is off (workloadIdentityConfig.workloadPool)")
    for r in each(plan, POOL):
        if get(r.inputs, "nodeConfig.workloadMetadataConfig.mode") != "GKE_METADATA":
            yield finding(r, "pods can reach the node's metadata credentials (workloadMetadataConfig.mode is not GKE_METADATA)")


def _shielded(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        if r.inputs.get("enableShieldedNodes") is False:
            yield finding(r, "shielded nodes are off")
    for r in each(plan, POOL):
        sic = get(r.inputs, "nodeConfig.shieldedInstanceConfig") or {}
        if sic.get("enableSecureBoot") is not True or sic.get("enableIntegrityMonitoring") is False:
            yield finding(r, "secure boot / integrity monitoring are off (nodeConfig.shieldedInstanceConfig)")


def _client_cert(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GKE):
        if get(r.inputs, "masterAuth.clientCertificateConfig.issueClientCertificate") is True:
            yield finding(r, "a long-lived client certificate is issued")
        if r.inputs.get("enableLegacyAbac") is True:
            yield finding(r, "legacy ABAC is on")


def _auto_repair(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, POOL):
        if get(r.inputs, "management.autoRepair") is False or get(r.inputs, "management.autoUpgrade") is False:
            yield finding(r, "node auto-repair or auto-upgrade is off")


def _gcs_public(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GCS):
        if r.inputs.get("publicAccessPrevention") != "enforced":
            yield finding(r, "publicAccessPrevention is not 'enforced'")
        if r.inputs.get("uniformBucketLevelAccess") is not True:
            yield finding(r, "uniform bucket-level access is off (object ACLs can publish data)")


def _gcs_versioning(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GCS):
        if get(r.inputs, "versioning.enabled") is not True:
            yield finding(r, "versioning is off")


def _gcs_cmek(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, GCS):
        if not get(r.inputs, "encryption.defaultKmsKeyName"):
            yield finding(r, "encrypted with Google-managed keys only (no encryption.defaultKmsKeyName)")


def _sql(check: str):
    def run(plan: Plan) -> Iterator[Finding]:
        for r in each(plan, SQL):
            s = r.inputs.get("settings") or {}
            if check == "private":
                if get(s, "ipConfiguration.ipv4Enabled", True) is not False:
                    yield finding(r, "instance has a public IPv4 address (settings.ipConfiguration.ipv4Enabled)")
            elif check == "ssl":
                mode = get(s, "ipConfiguration.sslMode")
                if mode not in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED") and get(s, "ipConfiguration.requireSsl") is not True:
                    yield finding(r, "connections without TLS are accepted (settings.ipConfiguration.sslMode)")
            elif check == "backup":
                if get(s, "backupConfiguration.enabled") is not True:
                    yield finding(r, "automated backups are off")
                elif get(s, "backupConfiguration.pointInTimeRecoveryEnabled") is not True:
                    yield finding(r, "point-in-time recovery is off")
            elif check == "deletion":
                if r.inputs.get("deletionProtection") is not True and get(s, "deletionProtectionEnabled") is not True:
                    yield finding(r, "deletion protection is off (deletionProtection / settings.deletionProtectionEnabled)")

    return run


def _filestore(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, FILESTORE):
        if r.inputs.get("tier") in CMEK_TIERS and not r.inputs.get("kmsKeyName"):
            yield finding(r, f"tier {r.inputs.get('tier')} supports a customer-managed key but kmsKeyName is unset")


def _lustre_cmek(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, LUSTRE):
        if not r.inputs.get("kmsKey"):
            yield finding(r, "data at rest is encrypted with Google-managed keys only (kmsKey unset)")


def _kms_rotation(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, KMS):
        period = str(r.inputs.get("rotationPeriod") or "")
        seconds = float(period[:-1]) if period.endswith("s") and period[:-1].replace(".", "").isdigit() else None
        if seconds is None or seconds > MAX_ROTATION_S:
            yield finding(r, f"rotationPeriod {period or 'unset'} is longer than 90 days")


def _wif(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, WIF):
        cond = str(r.inputs.get("attributeCondition") or "")
        if not cond:
            yield finding(r, "no attributeCondition: any identity of the issuer can exchange tokens")
            continue
        if "assertion.repository" not in cond and "assertion.project_path" not in cond:
            yield finding(r, "attributeCondition does not pin the repository")
        if "assertion.ref" not in cond and "assertion.environment" not in cond:
            yield finding(r, "attributeCondition does not pin the ref")


def _audit(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, AUDIT):
        types = {get(c, "logType") for c in as_list(r.inputs.get("auditLogConfigs"))}
        missing = sorted({"ADMIN_READ", "DATA_WRITE"} - types)
        if missing:
            yield finding(r, f"data-access audit log types missing: {', '.join(missing)}")


# -- multi-node GPU pools ----------------------------------------------------------------------------------


def _compact(plan: Plan) -> Iterator[Finding]:
    for r in plan.of_type(POOL):
        labels = get(r.inputs, "nodeConfig.labels") or {}
        taints = [t for t in as_list(get(r.inputs, "nodeConfig.taints")) if isinstance(t, dict)]
        nodes = get(r.inputs, "autoscaling.totalMaxNodeCount", 0)
        gpu = ACCELERATOR_LABEL in labels and any(t.get("key") == "nvidia.com/gpu" for t in taints)
        if gpu and isinstance(nodes, int) and nodes >= 2 and get(r.inputs, "placementPolicy.type") != "COMPACT":
            yield finding(r, f"GPU pool can run {nodes} nodes without COMPACT placement: its nodes may be far apart")


RULES: list[Rule] = [
    Rule("MLS-GCP-001", "GKE control plane is not public and nodes are private",
         "A public control plane or public node IPs are internet-facing attack surface.",
         ("CKV_GCP_18", "CKV_GCP_25", "CKV_GCP_20", "AVD-GCP-0059", "AVD-GCP-0061"), (GKE,), _gke_endpoint),
    Rule("MLS-GCP-002", "GKE secrets are encrypted with Cloud KMS", "Application-layer encryption keeps secrets unreadable in etcd.",
         ("CIS GKE 5.3.1",), (GKE,), _gke_secrets),
    Rule("MLS-GCP-003", "GKE system and API server logs go to Cloud Logging", "The record of who did what in the cluster.",
         ("CKV_GCP_1", "AVD-GCP-0060"), (GKE,), _gke_logging),
    Rule("MLS-GCP-004", "GKE Workload Identity on, metadata server hidden from pods",
         "Pods get their own identities, never the node's service account.", ("CKV_GCP_69", "AVD-GCP-0057"), (GKE, POOL), _workload_identity),
    Rule("MLS-GCP-005", "GKE shielded nodes with secure boot", "Verified boot and integrity monitoring stop rootkits on nodes.",
         ("CKV_GCP_71", "CKV_GCP_68", "CKV_GCP_72", "AVD-GCP-0055"), (GKE, POOL), _shielded),
    Rule("MLS-GCP-006", "GKE issues no client certificate, legacy ABAC off", "Long-lived credentials and ABAC bypass RBAC.",
         ("CKV_GCP_13", "CKV_GCP_7", "AVD-GCP-0064"), (GKE,), _client_cert),
    Rule("MLS-GCP-007", "GKE node auto-repair and auto-upgrade on", "Unhealthy or unpatched nodes are replaced automatically.",
         ("CKV_GCP_9", "CKV_GCP_10", "AVD-GCP-0063", "AVD-GCP-0058"), (POOL,), _auto_repair),
    Rule("MLS-GCP-008", "GCS public access prevented, uniform access", "No ACL or policy can publish bucket data.",
         ("CKV_GCP_114", "CKV_GCP_29", "AVD-GCP-0001", "AVD-GCP-0002"), (GCS,), _gcs_public),
    Rule("MLS-GCP-009", "GCS versioning is enabled", "Versions recover overwritten or deleted data and artifacts.",
         ("CKV_GCP_78",), (GCS,), _gcs_versioning),
    Rule("MLS-GCP-010", "GCS uses a customer-managed key", "CMEK lets you revoke access to data at rest.",
         ("AVD-GCP-0066",), (GCS,), _gcs_cmek, always_advisory=True),
    Rule("MLS-GCP-011", "Cloud SQL has no public IP", "The database is reachable only through the VPC.",
         ("CKV_GCP_60", "AVD-GCP-0017"), (SQL,), _sql("private")),
    Rule("MLS-GCP-012", "Cloud SQL requires TLS", "Credentials and data never cross the network in clear text.",
         ("CKV_GCP_6", "AVD-GCP-0015"), (SQL,), _sql("ssl")),
    Rule("MLS-GCP-013", "Cloud SQL backups with point-in-time recovery", "Recovery after a bad migration or deletion.",
         ("CKV_GCP_14", "AVD-GCP-0024"), (SQL,), _sql("backup")),
    Rule("MLS-GCP-014", "Cloud SQL deletion protection is on", "A stray destroy cannot drop the tracking database.",
         ("no Checkov/Trivy id",), (SQL,), _sql("deletion")),
    Rule("MLS-GCP-015", "Filestore uses a customer-managed key where the tier allows", "CMEK lets you revoke access to data at rest.",
         ("no Checkov/Trivy id",), (FILESTORE,), _filestore, always_advisory=True),
    Rule("MLS-GCP-016", "Cloud KMS keys rotate at least every 90 days", "Limits what one leaked key version decrypts.",
         ("CKV_GCP_43", "AVD-GCP-0065"), (KMS,), _kms_rotation),
    Rule("MLS-GCP-017", "Workload Identity Federation pinned to repository and ref",
         "Otherwise any repository (or fork branch) on the issuer can deploy.", ("CKV_GCP_125",), (WIF,), _wif),
    Rule("MLS-GCP-018", "Data-access audit logs are on", "Admin and data writes are recorded.", ("CIS GCP 2.1 (no Checkov/Trivy id)",),
         (AUDIT,), _audit),
    Rule("MLS-GCP-019", "Multi-node GPU pools use COMPACT placement", "Far-apart nodes slow multi-node all-reduce.",
         ("no Checkov/Trivy id (GKE compact placement guide)",), (POOL,), _compact, always_advisory=True),
    Rule("MLS-GCP-020", "Managed Lustre uses a customer-managed key", "CMEK lets you revoke access to the scratch tier's data at rest.",
         ("Checkov/Trivy ids not checked",), (LUSTRE,), _lustre_cmek, always_advisory=True),
]
