"""Unit-test your own Pulumi program that uses mlstack's components: no cloud, no credentials, no Pulumi CLI.

``record(program)`` runs ``program`` under Pulumi's own mocks (``pulumi.runtime.set_mocks``) with the mock
outputs mlstack's plan uses: ids, ARNs, endpoints and e-mails shaped like the cloud's own, derived only from each
resource's name and inputs, so that two runs are identical. It returns a :class:`Plan`: every registration (type
token, logical name, parent, inputs as plain data with secrets masked as ``"[secret]"``, protect,
retain_on_delete, depends_on) sorted by URN, and the stack outputs::

    from mlstack.testing import record

    def test_the_bucket_is_versioned():
        plan = record(my_program, project="acme-ml", stack="dev", region="eu-west-1")
        (versioning,) = plan.of_type("aws:s3/bucketVersioning:BucketVersioning")
        assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}

A program that fails raises :class:`mlstack.errors.EngineError` with the program's own message; a data source
the mocks cannot answer is an ``EngineError`` naming it. For Pulumi's ``@pulumi.runtime.test`` style, pass
``MockOutputs(region=...)`` to ``pulumi.runtime.set_mocks`` yourself. See docs/components.md and ``examples/``.
"""

from __future__ import annotations

from collections.abc import Callable

from mlstack.engine.plan.mocks import MockOutputs
from mlstack.engine.plan.model import Plan, plan_program
from mlstack.engine.plan.recorder import SECRET, Registration

__all__ = ["SECRET", "MockOutputs", "Plan", "Registration", "record"]


def record(
    program: Callable[[], None],
    *,
    project: str = "test",
    stack: str = "test",
    region: str = "us-west-2",
    gcp_project: str = "mlstack-plan",
) -> Plan:
    """Runs ``program`` under mlstack's mocks and returns what it registered.

    Args:
        program: the Pulumi program: a function that creates resources (and may ``pulumi.export``).
        project: the Pulumi project name, used in URNs.
        stack: the stack name, used in URNs and answered by ``pulumi.get_stack()``.
        region: the region the mocks answer with (ARNs, endpoints, ``aws.get_region``, zones).
        gcp_project: the GCP project id the mocks answer with.

    Raises:
        EngineError: the program failed, or called a data source the mocks have no answer for.
    """
    return plan_program(program, project=project, env=stack, region=region, gcp_project=gcp_project)
