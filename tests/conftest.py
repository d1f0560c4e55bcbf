"""Shared fixtures. Component tests record real programs under Pulumi's mocks (see mlstack.engine.plan.recorder)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NO_COLOR", "1")
# Tests patch programs, mocks and the catalogue: a cached plan would hide that. The cache's own tests turn it on.
os.environ.setdefault("MLSTACK_NO_PLAN_CACHE", "1")
# Nor may a command the tests run read or write the user's cache of derived data (mlstack.derived).
os.environ.setdefault("MLSTACK_NO_CACHE", "1")


@pytest.fixture
def record_plan():
    """Returns ``run(program, region=..., gcp_project=...) -> Plan`` for a component test."""
    from mlstack.engine.plan.model import plan_program

    def run(program, *, project: str = "acme-ml", env: str = "test", **kw):
        return plan_program(program, project=project, env=env, **kw)

    return run


@pytest.fixture(scope="session")
def services():
    """Real services (``.ci/services``): ``services.get("postgres")`` -> its connection info (a dict).

    Uses the ones ``.ci/run`` started (``MLSTACK_SERVICES_DIR``), else starts them and stops them at the
    end of the session; skips the test, with the reason, where one cannot start. Mark such tests
    ``@pytest.mark.real_services``.
    """
    from real_services.services import Services

    manager = Services()
    try:
        yield manager
    finally:
        manager.close()
