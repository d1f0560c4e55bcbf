"""Pins the Pulumi SDK internals that ``mlstack.engine.plan.sdk_seams`` relies on."""

from __future__ import annotations

from contextlib import nullcontext

import pulumi_aws as aws
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime.proto import source_pb2

import mlstack.engine.plan.sdk_seams as seams
from mlstack.engine.plan.model import plan_program
from mlstack.engine.plan.sdk_seams import without_stack_traces


def _program():
    aws.kms.Key("a", enable_key_rotation=True)
    aws.kms.Key("b")


def test_the_sdk_captures_a_stack_trace_per_registration(monkeypatch):
    """The seam's premise: every registration calls ``_get_stack_trace`` (so skipping it saves work)."""
    calls = []
    real = runtime_resource._get_stack_trace

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(runtime_resource, "_get_stack_trace", counting)
    # The recorder wraps its run in the seam: make the seam a no-op to watch the SDK's own behaviour.
    monkeypatch.setattr(seams, "without_stack_traces", nullcontext)
    plan_program(_program, project="p", env="s")
    assert len(calls) >= 2
    assert isinstance(real(), source_pb2.StackTrace)


def test_the_seam_skips_capture_and_restores_it():
    original = runtime_resource._get_stack_trace
    with without_stack_traces():
        assert runtime_resource._get_stack_trace is not original
        assert runtime_resource._get_stack_trace() == source_pb2.StackTrace()
    assert runtime_resource._get_stack_trace is original


def test_the_seam_restores_the_sdk_after_a_failure():
    original = runtime_resource._get_stack_trace
    try:
        with without_stack_traces():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert runtime_resource._get_stack_trace is original


def test_plans_are_the_same_with_and_without_the_seam(monkeypatch):
    fast = plan_program(_program, project="p", env="s")
    monkeypatch.setattr(seams, "without_stack_traces", nullcontext)
    slow = plan_program(_program, project="p", env="s")
    assert [vars(r) for r in fast.resources] == [vars(r) for r in slow.resources]
