"""The Pulumi SDK internals the offline plan leans on for speed, each in one function with a test pinning it.

Pulumi has no public switch for these; ``tests/engine/test_sdk_seams.py`` fails when an SDK upgrade moves them,
so a change shows up as a red test, not as a slower or different plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_stack_traces() -> Iterator[None]:
    """Skips the SDK's per-resource stack capture while the offline plan runs.

    Every registration calls ``pulumi.runtime.resource._get_stack_trace``, which walks the whole Python stack
    (``traceback.extract_stack``) so that the engine can show source positions. The plan's recorder never reads
    them, and the walk costs about 12% of a plan. The original is restored on exit, even on failure, so a real
    ``up`` in the same process keeps its source positions.
    """
    from pulumi.runtime import resource as runtime_resource
    from pulumi.runtime.proto import source_pb2

    original = runtime_resource._get_stack_trace  # noqa: SLF001 - pinned by tests/engine/test_sdk_seams.py
    empty = source_pb2.StackTrace()
    runtime_resource._get_stack_trace = lambda: empty  # noqa: SLF001
    try:
        yield
    finally:
        runtime_resource._get_stack_trace = original  # noqa: SLF001
