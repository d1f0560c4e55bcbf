"""AWS rules (EKS, EC2, S3, ECR, EFS, RDS, IAM, KMS, CloudTrail) over the recorded wire inputs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.components.contract import ACCELERATOR_LABEL
from mlstack.targets.policy import (
    world_open,
    Finding,
    Rule,
    as_list,
    each,
    finding,
    get,
    statements,
)

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan
    from mlstack.engine.plan.recorder import Registration

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
S3 = "aws:s3/bucket:Bucket"
S3_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ECR = "aws:ecr/repository:Repository"
EFS = "aws:efs/fileSystem:FileSystem"
RDS = "aws:rds/instance:Instance"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
KMS = "aws:kms/key:Key"
TRAIL = "aws:cloudtrail/trail:Trail"
LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"

EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CI_ISSUERS = ("token.actions.githubusercontent.com", "gitlab")


def _eks_endpoint(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, EKS):
        if get(r.inputs, "vpcConfig.endpointPublicAccess", True) is not False:
            cidrs = as_list(get(r.inputs, "vpcConfig.publicAccessCidrs"))
            if not cidrs or world_open(cidrs):
                yield finding(r, "public API endpoint open to the internet (vpcConfig.endpointPublicAccess without narrow publicAccessCidrs)")


def _eks_secrets(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, EKS):
        configs = as_list(get(r.inputs, "encryptionConfig"))
        if not any("secrets" in as_list(get(c, "resources")) and get(c, "provider.keyArn") for c in configs):
            yield finding(r, "Kubernetes secrets are not envelope-encrypted with a KMS key (encryptionConfig)")


def _eks_logs(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, EKS):
        missing = [t for t in EKS_LOG_TYPES if t not in as_list(r.inputs.get("enabledClusterLogTypes"))]
        if missing:
            yield finding(r, f"control-plane log types not enabled: {', '.join(missing)}")


def _imdsv2(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, LAUNCH_TEMPLATE):
        if get(r.inputs, "metadataOptions.httpTokens") != "required":
            yield finding(r, "instance metadata allows IMDSv1 (metadataOptions.httpTokens is not 'required')")


def _lustre_cmk(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, LUSTRE):
        if str(r.inputs.get("deploymentType") or "").startswith("SCRATCH"):
            yield finding(r, f"{r.inputs.get('deploymentType')} is encrypted only with FSx's own keys; use PERSISTENT_2 with kmsKeyId")
        elif not r.inputs.get("kmsKeyId"):
            yield finding(r, "data at rest is encrypted with the AWS-managed key only (kmsKeyId unset)")


def _node_ssh(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, NODE_GROUP):
        remote = get(r.inputs, "remoteAccess")
        if remote and not as_list(get(remote, "sourceSecurityGroupIds")):
            yield finding(r, "remoteAccess without sourceSecurityGroupIds opens SSH (22) to 0.0.0.0/0")


def _sg_rules(plan: Plan) -> Iterator[tuple[object, dict]]:
    for r in each(plan, SG_INGRESS):
        yield r, {"from": r.inputs.get("fromPort"), "to": r.inputs.get("toPort"), "proto": r.inputs.get("ipProtocol"),
                  "cidrs": [c for c in (r.inputs.get("cidrIpv4"), r.inputs.get("cidrIpv6")) if c]}
    for r in each(plan, SG_RULE):
        if r.inputs.get("type") == "ingress":
            yield r, {"from": r.inputs.get("fromPort"), "to": r.inputs.get("toPort"), "proto": r.inputs.get("protocol"),
                      "cidrs": as_list(r.inputs.get("cidrBlocks")) + as_list(r.inputs.get("ipv6CidrBlocks"))}
    for r in each(plan, SG):
        for rule in as_list(r.inputs.get("ingress")):
            yield r, {"from": get(rule, "fromPort"), "to": get(rule, "toPort"), "proto": get(rule, "protocol"),
                      "cidrs": as_list(get(rule, "cidrBlocks")) + as_list(get(rule, "ipv6CidrBlocks"))}


def _open_ssh(plan: Plan) -> Iterator[Finding]:
    for r, rule in _sg_rules(plan):
        if not rule["cidrs"] or not world_open(rule["cidrs"]):
            continue
        all_ports = str(rule["proto"]) in ("-1", "all")
        lo, hi = rule["from"], rule["to"]
        if all_ports or (isinstance(lo, int) and isinstance(hi, int) and lo <= 22 <= hi):
            yield finding(r, "ingress from the internet to port 22 (SSH)")  # type: ignore[arg-type]


def _by_bucket(plan: Plan, type_: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for r in plan.of_type(type_):
        out.setdefault(str(r.inputs.get("bucket", "")), []).append(r)
    return out


def _bucket_ids(plan: Plan) -> list[tuple[object, set[str]]]:
    """Each bucket and the values its sub-resources may name it by (name, mock id, ARN)."""
    out = []
    for r in plan.of_type(S3):
        name = r.inputs.get("bucket") or r.name
        out.append((r, {name, r.name, f"arn:aws:s3:::{name}"}))
    return out


def _s3_companion(plan: Plan, type_: str, ok, message: str) -> Iterator[Finding]:
    companions = _by_bucket(plan, type_)
    for bucket, ids in _bucket_ids(plan):
        found = [c for key, cs in companions.items() if key in ids or any(key.endswith(i) for i in ids) for c in cs]
        if not found:
            # Sub-resources may reference the bucket by an output the mocks name differently: match on the
            # component (same parent) as a fallback.
            found = [c for cs in companions.values() for c in cs if c.parent == bucket.parent]  # type: ignore[attr-defined]
        if not found or not any(ok(c) for c in found):
            yield finding(bucket, message)  # type: ignore[arg-type]


def _s3_public(plan: Plan) -> Iterator[Finding]:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    yield from _s3_companion(plan, S3_PAB, lambda c: all(c.inputs.get(k) is True for k in keys),
                             "no BucketPublicAccessBlock with all four settings true")


def _s3_encryption(plan: Plan) -> Iterator[Finding]:
    def ok(c) -> bool:
        rules = as_list(c.inputs.get("rules"))
        return any(get(x, "applyServerSideEncryptionByDefault.sseAlgorithm") in ("aws:kms", "aws:kms:dsse") for x in rules)

    yield from _s3_companion(plan, S3_SSE, ok, "no default SSE-KMS encryption (BucketServerSideEncryptionConfiguration)")


def _s3_versioning(plan: Plan) -> Iterator[Finding]:
    yield from _s3_companion(
        plan, S3_VERSIONING, lambda c: get(c.inputs, "versioningConfiguration.status") == "Enabled", "versioning is not Enabled"
    )


def _s3_tls(plan: Plan) -> Iterator[Finding]:
    def ok(c) -> bool:
        for s in statements(c.inputs.get("policy")):
            cond = get(s, "Condition.Bool") or {}
            if s.get("Effect") == "Deny" and str(cond.get("aws:SecureTransport")).lower() == "false":
                return True
        return False

    yield from _s3_companion(plan, S3_POLICY, ok, "bucket policy does not deny requests without TLS (aws:SecureTransport)")


def _ecr_immutable(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, ECR):
        if r.inputs.get("imageTagMutability") != "IMMUTABLE":
            yield finding(r, "image tags are mutable (imageTagMutability is not IMMUTABLE)")


def _ecr_scan(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, ECR):
        if get(r.inputs, "imageScanningConfiguration.scanOnPush") is not True:
            yield finding(r, "images are not scanned on push")


def _efs_encrypted(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, EFS):
        if r.inputs.get("encrypted") is not True:
            yield finding(r, "file system is not encrypted at rest")


def _rds(check: str):
    def run(plan: Plan) -> Iterator[Finding]:
        for r in each(plan, RDS):
            i = r.inputs
            if check == "encrypted" and i.get("storageEncrypted") is not True:
                yield finding(r, "storage is not encrypted (storageEncrypted)")
            elif check == "private" and i.get("publiclyAccessible") is True:
                yield finding(r, "instance is publicly accessible")
            elif check == "backup" and int(i.get("backupRetentionPeriod") or 0) < 7:
                yield finding(r, f"backupRetentionPeriod {i.get('backupRetentionPeriod') or 0} < 7 days")
            elif check == "deletion" and i.get("deletionProtection") is not True:
                yield finding(r, "deletionProtection is off")

    return run


def _iam_wildcards(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, ROLE_POLICY, POLICY):
        for s in statements(r.inputs.get("policy")):
            if s.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in as_list(s.get("Action"))]
            resources = [str(x) for x in as_list(s.get("Resource"))]
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            if wild and "*" in resources:
                yield finding(r, f"Allow {', '.join(wild)} on Resource '*'")


def _web_identity(plan: Plan) -> Iterator[tuple[object, dict, str]]:
    for r in each(plan, ROLE):
        for s in statements(r.inputs.get("assumeRolePolicy")):
            if "sts:AssumeRoleWithWebIdentity" in as_list(s.get("Action")) and s.get("Effect") == "Allow":
                keys = {k: v for op in (s.get("Condition") or {}).values() if isinstance(op, dict) for k, v in op.items()}
                yield r, keys, str(get(s, "Principal.Federated", ""))


def _ci_trust(plan: Plan) -> Iterator[Finding]:
    for r, keys, _ in _web_identity(plan):
        subs = [str(v) for k, vs in keys.items() if k.endswith(":sub") for v in as_list(vs)]
        auds = [k for k in keys if k.endswith(":aud")]
        ci = any(issuer in k for k in keys for issuer in CI_ISSUERS)
        if not subs:
            yield finding(r, "web-identity trust without a sub condition: any identity of the issuer may assume the role")  # type: ignore[arg-type]
            continue
        if not auds:
            yield finding(r, "web-identity trust without an aud condition")  # type: ignore[arg-type]
        for sub in subs:
            repo_part = sub.split(":ref:")[0].split(":environment:")[0]
            if sub.strip() == "*" or "*" in repo_part:
                yield finding(r, f"sub {sub!r} is not pinned to one repository")  # type: ignore[arg-type]
            elif ci and ":ref:" not in sub and ":environment:" not in sub:
                yield finding(r, f"sub {sub!r} is not pinned to a ref (or environment)")  # type: ignore[arg-type]


def _kms_rotation(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, KMS):
        if r.inputs.get("enableKeyRotation") is not True and r.inputs.get("keyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT":
            yield finding(r, "automatic key rotation is off")


def _trail(check: str):
    def run(plan: Plan) -> Iterator[Finding]:
        for r in each(plan, TRAIL):
            if check == "multi" and r.inputs.get("isMultiRegionTrail") is not True:
                yield finding(r, "trail is not multi-region")
            if check == "validation" and r.inputs.get("enableLogFileValidation") is not True:
                yield finding(r, "log file validation is off")

    return run


# -- multi-node GPU pools ----------------------------------------------------------------------------------

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
_GPU_TAINT = "nvidia.com/gpu"


def _gpu_pool_max(r: Registration) -> int:
    labels = r.inputs.get("labels") or {}
    taints = [t for t in (r.inputs.get("taints") or []) if isinstance(t, dict)]
    if ACCELERATOR_LABEL not in labels or not any(t.get("key") == _GPU_TAINT for t in taints):
        return 0
    value = get(r.inputs, "scalingConfig.maxSize", 0)
    return value if isinstance(value, int) else 0


def _efa(plan: Plan) -> Iterator[Finding]:
    for r in plan.of_type(NODE_GROUP):
        nodes = _gpu_pool_max(r)
        templates = [t for t in plan.of_type(LAUNCH_TEMPLATE) if t.parent == r.parent]
        efa = any(isinstance(i, dict) and i.get("interfaceType") == "efa" for t in templates for i in (t.inputs.get("networkInterfaces") or []))
        if nodes >= 2 and not efa:
            yield finding(r, f"GPU pool can run {nodes} nodes but its launch template has no EFA interface: "
                             "multi-node NCCL falls back to TCP over the VPC network")


RULES: list[Rule] = [
    Rule("MLS-AWS-001", "EKS API endpoint is not public", "A public control plane is an internet-facing attack surface.",
         ("CKV_AWS_39", "CKV_AWS_38", "AVD-AWS-0040", "AVD-AWS-0041"), (EKS,), _eks_endpoint),
    Rule("MLS-AWS-002", "EKS secrets are encrypted with KMS", "Envelope encryption keeps secrets unreadable in etcd backups.",
         ("CKV_AWS_58", "AVD-AWS-0039"), (EKS,), _eks_secrets),
    Rule("MLS-AWS-003", "EKS control-plane logs (api, audit, authenticator, controllerManager, scheduler)",
         "Audit and API logs are the record of who did what in the cluster.", ("CKV_AWS_37", "AVD-AWS-0038"), (EKS,), _eks_logs),
    Rule("MLS-AWS-004", "Nodes require IMDSv2", "IMDSv1 lets an SSRF in any pod steal the node's credentials.",
         ("CKV_AWS_79", "AVD-AWS-0130"), (LAUNCH_TEMPLATE,), _imdsv2),
    Rule("MLS-AWS-005", "Node groups have no open SSH", "remoteAccess without source groups opens port 22 to the world.",
         ("CKV_AWS_100",), (NODE_GROUP,), _node_ssh),
    Rule("MLS-AWS-006", "No security group allows SSH from the internet", "Port 22 open to 0.0.0.0/0 invites brute force.",
         ("CKV_AWS_24", "AVD-AWS-0107"), (SG, SG_RULE, SG_INGRESS), _open_ssh),
    Rule("MLS-AWS-007", "S3 public access is blocked", "All four block settings stop ACLs and policies from publishing data.",
         ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6", "AVD-AWS-0094"), (S3,), _s3_public),
    Rule("MLS-AWS-008", "S3 buckets are encrypted with KMS by default", "Datasets and models at rest stay encrypted under a key you control.",
         ("CKV_AWS_145", "AVD-AWS-0088", "AVD-AWS-0132"), (S3,), _s3_encryption),
    Rule("MLS-AWS-009", "S3 versioning is enabled", "Versions recover overwritten or deleted data and artifacts.",
         ("CKV_AWS_21", "AVD-AWS-0090"), (S3,), _s3_versioning),
    Rule("MLS-AWS-010", "S3 bucket policy denies requests without TLS", "Data in transit to buckets is always encrypted.",
         ("CIS AWS 2.1.1", "Security Hub S3.5"), (S3,), _s3_tls),
    Rule("MLS-AWS-011", "ECR tags are immutable", "A tag names one image forever, so deploys are reproducible.",
         ("CKV_AWS_51", "AVD-AWS-0031"), (ECR,), _ecr_immutable),
    Rule("MLS-AWS-012", "ECR scans images on push", "Known CVEs are reported before an image runs.",
         ("CKV_AWS_163", "AVD-AWS-0030"), (ECR,), _ecr_scan),
    Rule("MLS-AWS-013", "EFS is encrypted", "Shared training data at rest stays encrypted.", ("CKV_AWS_42", "CKV_AWS_184", "AVD-AWS-0037"),
         (EFS,), _efs_encrypted),
    Rule("MLS-AWS-014", "RDS storage is encrypted", "The tracking database holds experiment metadata and credentials.",
         ("CKV_AWS_16", "AVD-AWS-0080"), (RDS,), _rds("encrypted")),
    Rule("MLS-AWS-015", "RDS is not publicly accessible", "The database is reachable only from inside the VPC.",
         ("CKV_AWS_17",), (RDS,), _rds("private")),
    Rule("MLS-AWS-016", "RDS keeps at least 7 days of backups", "Point-in-time recovery after a bad migration or deletion.",
         ("CKV_AWS_133", "AVD-AWS-0077"), (RDS,), _rds("backup")),
    Rule("MLS-AWS-017", "RDS deletion protection is on", "A stray destroy cannot drop the tracking database.",
         ("CKV_AWS_293", "AVD-AWS-0177"), (RDS,), _rds("deletion")),
    Rule("MLS-AWS-018", "No IAM policy allows wildcard actions on wildcard resources", "Least privilege: '*' on '*' is admin.",
         ("CKV_AWS_62", "CKV_AWS_1", "AVD-AWS-0057"), (ROLE_POLICY, POLICY), _iam_wildcards),
    Rule("MLS-AWS-019", "OIDC trust is pinned to repository and ref", "Otherwise any repository (or fork branch) can deploy.",
         ("CKV_AWS_358",), (ROLE,), _ci_trust),
    Rule("MLS-AWS-020", "KMS keys rotate", "Yearly rotation limits what one leaked key version decrypts.", ("CKV_AWS_7", "AVD-AWS-0065"),
         (KMS,), _kms_rotation),
    Rule("MLS-AWS-021", "CloudTrail is multi-region", "API calls in every region are recorded.", ("CKV_AWS_67", "AVD-AWS-0014"),
         (TRAIL,), _trail("multi")),
    Rule("MLS-AWS-022", "CloudTrail log file validation is on", "Tampering with audit logs is detectable.", ("CKV_AWS_36", "AVD-AWS-0016"),
         (TRAIL,), _trail("validation")),
    Rule("MLS-AWS-023", "Multi-node GPU pools have EFA", "Without EFA, multi-node all-reduce runs at a fraction of the GPUs' speed.",
         ("no Checkov/Trivy id (AWS EFA guide)",), (NODE_GROUP,), _efa, always_advisory=True),
    Rule("MLS-AWS-025", "FSx for Lustre is encrypted with a customer-managed key",
         "The scratch tier holds copies of training data: a key you own can be revoked and its use is audited.",
         ("Checkov/Trivy ids not checked",), (LUSTRE,), _lustre_cmk),
]
