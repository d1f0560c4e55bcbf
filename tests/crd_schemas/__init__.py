"""Strict schemas of the custom resources mlstack creates (Kueue, JobSet, Kubeflow Trainer, Gateway API), written from the
upstream CRDs. kubernetes-validate knows no CRDs; these models reject unknown fields and enforce the CRDs'
types, enums, bounds and the CEL rules that matter here. Pod and Job templates embedded in them are validated
against the Kubernetes schema itself (kubernetes-validate, strict)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from . import gateway, jobset, kueue, trainer

MODELS = {**kueue.MODELS, **jobset.MODELS, **trainer.MODELS, **gateway.MODELS}


def has_schema(api_version: str, kind: str) -> bool:
    return (api_version, kind) in MODELS or f"kubernetes:{api_version}:{kind}" in _json_schemas()


def _json_schemas() -> dict[str, dict[str, Any]]:
    from .capacity import SCHEMAS

    return SCHEMAS


def _embedded(obj: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(obj, jobset.JobSet):
        return jobset.embedded_jobs(obj.spec, where)
    if isinstance(obj, trainer.ClusterTrainingRuntime):
        return jobset.embedded_jobs(obj.spec.template.spec, where)
    return []


def validate_custom(manifest: dict[str, Any], where: str, kubernetes_version: str) -> list[str]:
    """Every problem of one custom resource manifest: its model's, then its embedded Jobs' (strict Kubernetes
    schema). An (apiVersion, kind) without a model is an error, so nothing passes unchecked."""
    from k8s_checks import validate_manifests

    key = (manifest.get("apiVersion"), manifest.get("kind"))
    schema = _json_schemas().get(f"kubernetes:{key[0]}:{key[1]}")
    if schema is not None:  # Karpenter's and GKE's capacity objects: JSON Schemas (capacity.py)
        import jsonschema

        return [f"{where}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                for e in jsonschema.Draft202012Validator(schema).iter_errors(manifest)]
    model = MODELS.get(key)  # type: ignore[arg-type]
    if model is None:
        return [f"{where}: no schema for {key}"]
    try:
        obj = model.model_validate(manifest)
    except ValidationError as exc:
        return [f"{where}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]

    class _Where:
        def __init__(self, urn: str) -> None:
            self.urn = urn

    return validate_manifests([(_Where(w), job) for w, job in _embedded(obj, where)], kubernetes_version)


# Karpenter's NodePool and EC2NodeClass and GKE's ComputeClass: JSON Schemas, validated plan-wide.
from .capacity import crd_violations  # noqa: E402
