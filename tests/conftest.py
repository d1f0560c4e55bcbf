"""Shared fixtures. Component tests record real programs under Pulumi's mocks (see mlstack.engine.plan.recorder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NO_COLOR", "1")


@pytest.fixture
def record_plan():
    """Returns ``run(program, region=..., gcp_project=...) -> Plan`` for a component test."""
    from mlstack.engine.plan.model import plan_program

    def run(program, *, project: str = "acme-ml", env: str = "test", **kw):
        return plan_program(program, project=project, env=env, **kw)

    return run
