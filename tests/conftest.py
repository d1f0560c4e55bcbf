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
def example_plan():
    """Returns ``get(env, pins=None) -> Plan``: the plan of the example environment ``stacks/<env>.yaml``, recorded
    once per session and handed out as a deep copy (a test may change its copy). The one cache is
    ``tests/example_plans.py`` (modules that are not tests, such as ``checkov_manifests``, import it directly).

    Only for tests that patch nothing a plan reads (program, mocks, catalogue, packs): those plan for themselves.
    Sharing is sound because a plan is a pure function of the spec
    (``tests/engine/test_plan_aws.py::test_two_plans_in_one_process_are_byte_identical``).
    """
    from example_plans import example_plan as get

    return get


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


# Two workers (`pytest -n auto`, the README's test command). The tests of the real services share one MLflow
# server and database and some change them for a moment (a password rotated, then restored), so they run as one
# unit on one worker, in file order, and first, being the longest. Every other test goes with its file, so a
# module's fixtures (a built wheel, a recorded plan) are made once. A scheduler of our own does the grouping:
# xdist's `loadgroup` marks no longer take effect with pytest 9.2 (pytest-dev/pytest-xdist#1386).
REAL_SERVICES = "tests/real_services/"


def _unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return REAL_SERVICES if path.startswith(REAL_SERVICES) else path


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=lambda item: _unit(item.nodeid) != REAL_SERVICES)  # stable: file order otherwise


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    config.option.loadscopereorder = False  # keep the collection order: the real services first
    return ByFile(config, log)
