"""The spec's tracking block -> TrackingServerArgs: job runner off by default, memory sized from measurements."""

from __future__ import annotations

from pathlib import Path

from mlstack.catalog import load_catalog
from mlstack.engine.plan.platform import platform_args
from mlstack.targets.bindings import Bindings
from mlstack.engine.plan.versions import resolved_versions
from mlstack.spec import load_spec

STACKS = Path(__file__).resolve().parents[2] / "stacks"


def _tracking(spec):
    bindings = Bindings(storage_provisioner="x", storage_parameters={}, artifacts_uri="s3://b/mlflow", database_uri="postgresql://d")
    return platform_args(spec, load_catalog(), resolved_versions(spec), bindings).tracking


def test_job_runner_is_off_and_memory_is_the_measured_default():
    tracking = _tracking(load_spec("onprem", STACKS))
    assert tracking.job_execution is False
    assert (tracking.memory, tracking.memory_limit) == ("1Gi", "1536Mi")


def test_turning_the_job_runner_on_raises_the_memory():
    spec = load_spec("onprem", STACKS)
    spec = spec.model_copy(update={"tracking": spec.tracking.model_copy(update={"job_execution": True})})
    tracking = _tracking(spec)
    assert tracking.job_execution is True
    assert (tracking.memory, tracking.memory_limit) == ("2Gi", "3Gi")
