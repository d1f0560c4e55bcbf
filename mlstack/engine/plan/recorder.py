"""Run a Pulumi program in-process under recording mocks: the credential-free plan.

The recorder subclasses Pulumi's own ``MockMonitor`` (the official unit-test path) so that it sees each
``RegisterResourceRequest`` whole: type, name, parent, dependencies and options, which the ``Mocks`` callbacks
never receive. See docs/architecture.md ("The plan") for the facts this module relies on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

from mlstack.engine.plan.mocks import MockOutputs
from mlstack.engine.plan.registration import SECRET, UNKNOWN, Registration  # noqa: F401 - re-exported
from mlstack.errors import EngineError

# Pulumi-private seams (no public API exists), each pinned by tests/engine/test_recorder_seams.py: the wire
# protocol's value signatures (what a secret, a resource reference and an output value look like in a
# RegisterResourceRequest), and, in ``_reset_runtime``, the runtime's global settings a finished run leaves.
_SECRET_SIG = rpc._special_secret_sig  # type: ignore[attr-defined]
_RESOURCE_SIG = rpc._special_resource_sig  # type: ignore[attr-defined]
_OUTPUT_SIG = rpc._special_output_value_sig  # type: ignore[attr-defined]
_SIG_KEY = rpc._special_sig_key  # type: ignore[attr-defined]

def clean(value: Any) -> Any:
    """Turns a wire value (from ``MessageToDict``) into plain, printable data.

    Secrets become ``[secret]`` so that a plan never prints one; resource references become their URN;
    integral floats become ints (the wire carries every number as a double).
    """
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn", "")
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return clean(value["value"]) if "value" in value else UNKNOWN
        return {k: clean(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return UNKNOWN
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps every registration and the stack outputs, and refuses what the engine would."""

    def __init__(self, mocks: MockOutputs) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}
        self.last_progress = time.monotonic()  # when the program last registered something (the stall deadline)
        self.stack_urn = ""
        self.outputs: dict[str, Any] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack's type out of its children's URNs; the stock mock keeps it.
        return super().make_urn("" if parent == self.stack_urn else parent, type_, name)

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        self.last_progress = time.monotonic()
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return super().RegisterResource(request)
        if urn in self.registrations:
            # The real engine rejects a duplicate URN; the stock mock monitor silently overwrites.
            raise EngineError(f"duplicate resource URN {urn}: two resources share a type and name")
        wire = json_format.MessageToDict(request.object)
        prop_deps: set[str] = set()
        for deps in request.propertyDependencies.values():
            prop_deps.update(deps.urns)
        self.registrations[urn] = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent="" if request.parent == self.stack_urn else request.parent,
            custom=bool(request.custom),
            inputs=clean(wire),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            depends_on=sorted(set(request.dependencies) - prop_deps),
            provider=request.provider.split("::")[-2] if request.provider else "",
            ignore_changes=sorted(request.ignoreChanges),
            additional_secret_outputs=sorted(request.additionalSecretOutputs),
            input_deps={k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items()) if v.urns},
        )
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.outputs = clean(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


# A plan that registers nothing for this long waits on an output the mocks never answer. The deadline counts from
# the last registration, not from the start: a 200-team plan on a busy machine takes minutes and never stalls.
PLAN_TIMEOUT_S = 120.0


async def _until_stalled(run: Any, monitor: RecordingMonitor, quiet_s: float) -> None:
    """Awaits ``run``; raises TimeoutError (and cancels it) once ``monitor`` saw no registration for ``quiet_s``."""
    task = asyncio.ensure_future(run)
    try:
        while True:
            wait_s = quiet_s - (time.monotonic() - monitor.last_progress)
            if wait_s <= 0:
                raise TimeoutError
            done, _ = await asyncio.wait({task}, timeout=wait_s)
            if done:
                return task.result()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


@contextlib.contextmanager
def _interrupt_cancels(loop: asyncio.AbstractEventLoop, main: asyncio.Task[Any]) -> Iterator[list[bool]]:
    """Ctrl-C while the plan records cancels ``main`` through the loop, instead of raising at whatever line runs.

    A KeyboardInterrupt raised inside the runtime's own tasks can be kept by the task it lands in (a registration
    the program then waits on forever), so the run would hang until the stall deadline. Delivered as a loop
    callback, the signal cancels the whole run at once; the yielded list holds True once it came, and the caller
    raises KeyboardInterrupt (the CLI's exit 130). Only where SIGINT has Python's default handler, in the main
    thread: a program that handles SIGINT itself keeps its handler.
    """
    import signal
    import threading

    interrupted: list[bool] = []
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield interrupted
        return

    def on_interrupt() -> None:
        interrupted.append(True)
        main.cancel()

    loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        yield interrupted
    finally:
        loop.remove_signal_handler(signal.SIGINT)  # back to Python's default handler


def record(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    mocks: MockOutputs | None = None,
    timeout: float = PLAN_TIMEOUT_S,
) -> RecordingMonitor:
    """Runs ``program`` under recording mocks and returns the monitor holding what it registered.

    Args:
        program: a Pulumi program (registers resources, calls ``pulumi.export``).
        project: the Pulumi project name, used in URNs.
        stack: the stack name, used in URNs.
        mocks: the answers to registrations and invokes (region, project id); defaults to AWS us-west-2.
        timeout: seconds without a new registration before the run is reported as stalled (an error).

    Raises:
        EngineError: the program failed; the message is the program's error.
    """
    monitor = RecordingMonitor(mocks or MockOutputs())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
        # set_mocks makes a throwaway root stack; run_in_stack registers the real one.
        settings.set_root_resource(None)  # type: ignore[arg-type]
        from pulumi.runtime.stack import run_in_stack

        from mlstack.engine.plan.sdk_seams import without_stack_traces

        main = loop.create_task(_until_stalled(run_in_stack(program), monitor, timeout))
        with without_stack_traces(), _interrupt_cancels(loop, main) as interrupted:
            try:
                loop.run_until_complete(main)
            except asyncio.CancelledError:
                if interrupted:
                    raise KeyboardInterrupt from None
                raise
    except TimeoutError:
        raise EngineError(
            f"the plan registered nothing for {timeout:g} s: a component waits on an output the plan's mocks "
            "never answer (add a mock to its type's entry in its target pack's table, mlstack/targets/)"
        ) from None
    except EngineError:
        raise
    except Exception as exc:  # the program's own failure, surfaced at the CLI boundary
        cause: BaseException = exc
        seen = {id(cause)}
        # The runtime wraps program errors; report the innermost message (chains can loop: stop at a repeat).
        while cause.__cause__ is not None and id(cause.__cause__) not in seen:
            cause = cause.__cause__
            seen.add(id(cause))
        if isinstance(cause, EngineError):
            raise cause from exc
        raise EngineError(f"the program failed: {cause}") from exc
    finally:
        _reset_runtime(loop)
    return monitor


def _reset_runtime(loop: asyncio.AbstractEventLoop) -> None:
    """Clears the runtime's global state so that the next run in this process starts clean."""
    # Futures of a failed run are collected later; their "exception was never retrieved" reports would
    # only repeat the error already raised.
    loop.set_exception_handler(lambda _loop, _context: None)
    for task in asyncio.all_tasks(loop):
        task.cancel()
    try:
        loop.run_until_complete(asyncio.sleep(0))
    except Exception:  # noqa: BLE001 - tasks that fail while being cancelled are of no interest
        pass
    loop.close()
    asyncio.set_event_loop(None)
    settings.SETTINGS.outputs.clear()
    settings.SETTINGS.rpc_manager.clear()
    settings.set_root_resource(None)  # type: ignore[arg-type]
