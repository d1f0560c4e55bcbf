"""Strict JSON Schemas for the custom resources mlstack renders for capacity: Karpenter's NodePool and
EC2NodeClass, GKE's ComputeClass. kubernetes-validate has no schema for them.

Written for mlstack from what the upstream definitions say (not copied): the Karpenter v1 CRDs
(``karpenter.sh_nodepools.yaml``, ``karpenter.k8s.aws_ec2nodeclasses.yaml`` in aws/karpenter-provider-aws,
chart 1.14.1) and, for ``cloud.google.com/v1`` ComputeClass, the CRD's OpenAPI schema as the npm package
``@kubernetes-models/gke`` 4.6.2 generates it (``activeMigration.optimizeRulePriority``, ``nodePoolAutoCreation.enabled``
and ``whenUnsatisfiable`` required; the boot disk types; consolidation delay 1-1440 minutes) with the fields GKE's
ComputeClass reference adds since (reservations, flexStart, nodePoolConfig, location; read 2026-12-02). Every object forbids unknown
fields, so a misspelt field fails here rather than being pruned silently by the API server; enums, patterns
and bounds are the upstream ones for the fields mlstack uses. Fields mlstack never sets are left out on
purpose: rendering one is then an error until its shape is learnt and added here.

:func:`crd_violations` validates every recorded object of these kinds in a plan.
"""

from __future__ import annotations

from typing import Any

from k8s_checks import manifests

DURATION = r"^(([0-9]+(s|m|h))+|Never)$"
QUANTITY = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(\/))?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
#: Label domains Karpenter reserves for itself (its CEL rules reject them in labels and requirements).
RESTRICTED_LABELS = r"^(?!karpenter\.sh/|karpenter\.k8s\.aws/|kubernetes\.io/hostname$)"


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """A closed object: only ``properties``, ``required`` present."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def string(**kw: Any) -> dict[str, Any]:
    return {"type": "string", **kw}


def array(items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **kw}


def string_map(**kw: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": {"type": "string"}, **kw}


METADATA = obj(("name",), name=string(minLength=1, maxLength=63), labels=string_map(), annotations=string_map())

TAINT = obj(
    ("key", "effect"),
    key=string(pattern=LABEL_KEY),
    value=string(pattern=LABEL_KEY),
    effect=string(enum=["NoSchedule", "PreferNoSchedule", "NoExecute"]),
)

NODE_POOL_SPEC = obj(
    ("template",),
    template=obj(
        ("spec",),
        metadata=obj(
            labels={
                "type": "object",
                "maxProperties": 100,
                "propertyNames": {"pattern": RESTRICTED_LABELS},
                "additionalProperties": string(pattern=LABEL_VALUE, maxLength=63),
            },
            annotations=string_map(),
        ),
        spec=obj(
            ("nodeClassRef", "requirements"),
            nodeClassRef=obj(
                ("group", "kind", "name"),
                group=string(pattern=r"^[^/]+$"),
                kind=string(minLength=1),
                name=string(minLength=1),
            ),
            requirements=array(
                obj(
                    ("key", "operator"),
                    key=string(pattern=LABEL_KEY, maxLength=316, **{"not": {"pattern": r"^karpenter\.sh/nodepool$"}}),
                    operator=string(enum=["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Gte", "Lte"]),
                    values=array(string(pattern=LABEL_VALUE, maxLength=63), minItems=1),
                    minValues=dict(type="integer", minimum=1, maximum=50),
                ),
                maxItems=100,
            ),
            taints=array(TAINT),
            startupTaints=array(TAINT),
            expireAfter=string(pattern=DURATION),
            terminationGracePeriod=string(pattern=r"^([0-9]+(s|m|h))+$"),
        ),
    ),
    disruption=obj(
        ("consolidateAfter",),
        consolidationPolicy=string(enum=["WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"]),
        consolidateAfter=string(pattern=DURATION),
        budgets=array(
            obj(
                ("nodes",),
                nodes=string(pattern=r"^((100|[0-9]{1,2})%|[0-9]+)$"),
                reasons=array(string(enum=["Underutilized", "Empty", "Drifted"]), maxItems=50),
                schedule=string(),
                duration=string(pattern=r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$"),
            ),
            maxItems=50,
        ),
    ),
    limits={"type": "object", "additionalProperties": string(pattern=QUANTITY)},
    weight=dict(type="integer", minimum=1, maximum=100),
)

SELECTOR_TAGS = {"type": "object", "maxProperties": 20, "additionalProperties": string(minLength=1)}

EC2_NODE_CLASS_SPEC = obj(
    ("amiSelectorTerms", "subnetSelectorTerms", "securityGroupSelectorTerms", "role"),
    amiFamily=string(enum=["AL2", "AL2023", "Bottlerocket", "Custom", "Windows2019", "Windows2022", "Windows2025"]),
    amiSelectorTerms=array(
        obj(
            alias=string(pattern=r"^(al2|al2023|bottlerocket|windows2019|windows2022|windows2025)@[a-z0-9.]+$", maxLength=30),
            id=string(pattern=r"^ami-[0-9a-z]+$"),
            name=string(),
            owner=string(),
            ssmParameter=string(),
            tags=SELECTOR_TAGS,
        ),
        minItems=1,
        maxItems=30,
    ),
    role=string(minLength=1),
    subnetSelectorTerms=array(obj(id=string(pattern=r"^subnet-[0-9a-z]+$"), tags=SELECTOR_TAGS), minItems=1, maxItems=30),
    securityGroupSelectorTerms=array(
        obj(id=string(pattern=r"^sg-[0-9a-z]+$"), name=string(), tags=SELECTOR_TAGS), minItems=1, maxItems=30
    ),
    capacityReservationSelectorTerms=array(
        obj(
            id=string(pattern=r"^cr-[0-9a-z]+$"),
            ownerID=string(pattern=r"^[0-9]{12}$"),
            instanceMatchCriteria=string(enum=["open", "targeted"]),
            tags=SELECTOR_TAGS,
        ),
        maxItems=30,
    ),
    metadataOptions=obj(
        httpEndpoint=string(enum=["enabled", "disabled"]),
        httpProtocolIPv6=string(enum=["enabled", "disabled"]),
        httpPutResponseHopLimit=dict(type="integer", minimum=1, maximum=64),
        httpTokens=string(enum=["required", "optional"]),
    ),
    blockDeviceMappings=array(
        obj(
            deviceName=string(),
            rootVolume={"type": "boolean"},
            ebs=obj(
                deleteOnTermination={"type": "boolean"},
                encrypted={"type": "boolean"},
                iops={"type": "integer"},
                kmsKeyID=string(),
                snapshotID=string(),
                throughput={"type": "integer"},
                volumeSize=string(pattern=r"^[1-9][0-9]*(Gi|G|Ti|T)$"),
                volumeType=string(enum=["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"]),
            ),
        ),
        maxItems=50,
    ),
    instanceStorePolicy=string(enum=["RAID0"]),
    tags={
        "type": "object",
        # Karpenter sets these itself and its CEL rules reject them here.
        "propertyNames": {"pattern": r"^(?!kubernetes\.io/cluster/|karpenter\.sh/nodepool$|karpenter\.sh/nodeclaim$|karpenter\.k8s\.aws/ec2nodeclass$|eks:eks-cluster-name$).+"},
        "additionalProperties": {"type": "string"},
    },
    detailedMonitoring={"type": "boolean"},
    associatePublicIPAddress={"type": "boolean"},
)

ZONES = array(string(pattern=r"^[a-z]+-[a-z]+[0-9]+-[a-z]$"), minItems=1)
COMPUTE_CLASS_PRIORITY = obj(
    machineFamily=string(),
    machineType=string(),
    minCores={"type": "integer", "minimum": 0},
    minMemoryGb={"type": "integer", "minimum": 0},
    minCpuPlatform=string(),
    spot={"type": "boolean"},
    gpu=obj(("type", "count"), type=string(minLength=1), count={"type": "integer", "minimum": 1}, driverVersion=string(enum=["default", "latest"])),
    tpu=obj(("type", "count", "topology"), type=string(), count={"type": "integer", "minimum": 1}, topology=string()),
    reservations=obj(
        ("affinity",),
        affinity=string(enum=["Specific", "AnyBestEffort", "None"]),
        specific=array(
            obj(("name",), name=string(minLength=1), project=string(minLength=1), zones=ZONES,
                reservationBlock=obj(("name",), name=string(), reservationSubBlock=obj(("name",), name=string()))),
            minItems=1,
        ),
    ),
    flexStart=obj(("enabled",), enabled={"type": "boolean"}, nodeRecycling=obj(leadTimeSeconds={"type": "integer", "minimum": 0})),
    capacityCheckWaitTimeSeconds={"type": "integer", "minimum": 0},
    maxRunDurationSeconds={"type": "integer", "minimum": 1},
    storage=obj(
        bootDiskType=string(enum=["pd-balanced", "pd-standard", "pd-ssd", "hyperdisk-balanced"]),
        bootDiskSize={"type": "integer", "minimum": 10},
        bootDiskKMSKey=string(),
        localSSDCount={"type": "integer", "minimum": 0},
    ),
    nodepools=array(string()),
    nodeLabels=string_map(),
    taints=array(TAINT),
    placement=obj(("policyName",), policyName=string(minLength=1)),
    location=obj(zones=ZONES, locationPolicy=string(enum=["ANY", "BALANCED"])),
    priorityScore={"type": "integer"},
)

COMPUTE_CLASS_SPEC = obj(
    ("priorities", "whenUnsatisfiable"),
    description=string(),
    priorities=array(COMPUTE_CLASS_PRIORITY, minItems=1),
    priorityDefaults=obj(location=obj(zones=ZONES)),
    nodePoolAutoCreation=obj(("enabled",), enabled={"type": "boolean"}),
    nodePoolConfig=obj(
        imageType=string(),
        serviceAccount=string(pattern=r"^[^@]+@[^@]+$"),
        autoRepair={"type": "boolean"},
        autoUpgrade={"type": "boolean"},
        nodeLabels=string_map(),
        taints=array(TAINT),
        gvnic=obj(("enabled",), enabled={"type": "boolean"}),
        imageStreaming=obj(("enabled",), enabled={"type": "boolean"}),
    ),
    activeMigration=obj(("optimizeRulePriority",), optimizeRulePriority={"type": "boolean"}),
    autoscalingPolicy=obj(
        consolidationDelayMinutes={"type": "integer", "minimum": 1, "maximum": 1440},
        consolidationThreshold={"type": "integer", "minimum": 0, "maximum": 100},
        gpuConsolidationThreshold={"type": "integer", "minimum": 0, "maximum": 100},
    ),
    whenUnsatisfiable=string(enum=["ScaleUpAnyway", "DoNotScaleUp"]),
)


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return obj(
        ("apiVersion", "kind", "metadata", "spec"),
        apiVersion={"const": api_version},
        kind={"const": kind},
        metadata=METADATA,
        spec=spec,
    )


#: type token -> the schema of its whole object.
SCHEMAS: dict[str, dict[str, Any]] = {
    "kubernetes:karpenter.sh/v1:NodePool": _resource("karpenter.sh/v1", "NodePool", NODE_POOL_SPEC),
    "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass": _resource("karpenter.k8s.aws/v1", "EC2NodeClass", EC2_NODE_CLASS_SPEC),
    "kubernetes:cloud.google.com/v1:ComputeClass": _resource("cloud.google.com/v1", "ComputeClass", COMPUTE_CLASS_SPEC),
}


def crd_violations(resources: Any) -> list[str]:
    """One message per schema violation among the recorded objects whose type has a schema here."""
    import jsonschema

    errors = []
    for reg, manifest in manifests(r for r in resources if r.type in SCHEMAS):
        validator = jsonschema.Draft202012Validator(SCHEMAS[reg.type])
        for err in validator.iter_errors(manifest):
            path = "/".join(str(p) for p in err.absolute_path)
            errors.append(f"{reg.name}: {path}: {err.message}")
    return errors
