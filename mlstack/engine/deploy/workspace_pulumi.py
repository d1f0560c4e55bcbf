"""The real ``Automation`` adapter: ``pulumi.automation`` behind the protocol of ``stack``.

Only this module imports ``pulumi.automation``. It turns the SDK's errors into mlstack's: a missing CLI
(the SDK raises a bare FileNotFoundError) into PulumiCliMissing, a held stack lock into StackLocked, any other
command failure into OperationFailed with the CLI's own error lines.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from mlstack.engine.deploy.stack import (
    INSTALL_HINT,
    MIN_PULUMI_CLI,
    OperationFailed,
    StackLocked,
    WorkspaceSettings,
    lock_holder,
)
from mlstack.errors import PulumiCliMissing


def _error_lines(text: str, limit: int = 20) -> str:
    """The CLI's `error:` lines (or its last lines) from a CommandError's text."""
    # CommandError's text is "code: N\n stdout: ...\n stderr: <first stderr line>\n...": drop those labels,
    # not the lines they introduce.
    lines = [ln.strip().removeprefix("stderr:").removeprefix("stdout:").strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("code:")]
    errors = [ln for ln in lines if "error:" in ln]
    return "\n".join((errors or lines)[-limit:])


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    from pulumi.automation import errors as auto_errors

    try:
        yield
    except FileNotFoundError as exc:
        need = ".".join(map(str, MIN_PULUMI_CLI))
        raise PulumiCliMissing(f"the Pulumi CLI (`pulumi`) was not found ({exc.filename or exc}); mlstack needs "
                               f"version {need} or newer: {INSTALL_HINT}") from None
    except auto_errors.ConcurrentUpdateError as exc:
        raise StackLocked(f"the stack is locked by {lock_holder(str(exc))}") from None
    except auto_errors.CommandError as exc:
        raise OperationFailed(operation, _error_lines(str(exc))) from None


def _changes(summary: Any) -> dict[str, int]:
    counts = getattr(summary, "resource_changes", None) or {}
    return {str(getattr(k, "value", k)): int(v) for k, v in sorted(counts.items(), key=lambda kv: str(kv[0]))}


class PulumiStack:
    def __init__(self, stack: Any):
        self._stack = stack

    def install_plugin(self, name: str, version: str) -> None:
        with _translated("plugin install"):
            self._stack.workspace.install_plugin(name, f"v{version}")

    def set_config(self, config: Mapping[str, str]) -> None:
        from pulumi.automation import ConfigValue

        with _translated("config"):
            self._stack.set_all_config({k: ConfigValue(value=v) for k, v in config.items()})

    def up(self, on_event: Callable[[Any], None]) -> dict[str, Any]:
        with _translated("up"):
            result = self._stack.up(on_event=on_event, color="never", suppress_progress=True)
        return {"changes": _changes(result.summary), "outputs": self._outputs(result.outputs)}

    def preview(self, on_event: Callable[[Any], None], diff: bool) -> dict[str, Any]:
        with _translated("preview"):
            result = self._stack.preview(on_event=on_event, diff=diff, color="never")
        changes = {str(getattr(k, "value", k)): int(v) for k, v in sorted((result.change_summary or {}).items(), key=lambda kv: str(kv[0]))}
        return {"changes": changes, "stdout": result.stdout if diff else ""}

    def refresh(self, on_event: Callable[[Any], None]) -> dict[str, Any]:
        with _translated("refresh"):
            result = self._stack.refresh(on_event=on_event, color="never", suppress_progress=True)
        return {"changes": _changes(result.summary)}

    def destroy(self, on_event: Callable[[Any], None]) -> dict[str, Any]:
        with _translated("destroy"):
            result = self._stack.destroy(on_event=on_event, color="never", suppress_progress=True)
        return {"changes": _changes(result.summary)}

    def cancel(self) -> None:
        with _translated("cancel"):
            self._stack.cancel()

    def outputs(self) -> dict[str, tuple[Any, bool]]:
        with _translated("outputs"):
            return self._outputs(self._stack.outputs())

    @staticmethod
    def _outputs(raw: Mapping[str, Any]) -> dict[str, tuple[Any, bool]]:
        return {k: (v.value, bool(v.secret)) for k, v in sorted(raw.items())}

    def resources(self) -> list[dict[str, Any]]:
        with _translated("stack export"):
            deployment = self._stack.export_stack().deployment or {}
        return list(deployment.get("resources") or [])

    def unprotect_all(self) -> None:
        """Clears protect and retainOnDelete in state (export, edit, import): with retainOnDelete left on, a
        destroy would only forget the resource and leave it running (and billing) in the cloud."""
        from pulumi.automation import Deployment

        with _translated("unprotect"):
            exported = self._stack.export_stack()
            deployment = dict(exported.deployment or {})
            deployment["resources"] = [
                {**r, "protect": False, "retainOnDelete": False} for r in deployment.get("resources") or []
            ]
            self._stack.import_stack(Deployment(version=exported.version, deployment=deployment))


class PulumiAutomation:
    def cli_version(self) -> str | None:
        exe = shutil.which("pulumi")
        if exe is None:
            return None
        try:
            out = subprocess.run([exe, "version"], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip().removeprefix("v") or None

    def open(self, settings: WorkspaceSettings, program: Callable[[], None]) -> PulumiStack:
        from pulumi import automation as auto

        project = auto.ProjectSettings(
            name=settings.project, runtime="python", backend=auto.ProjectBackend(url=settings.backend_url)
        )
        opts = auto.LocalWorkspaceOptions(
            work_dir=settings.work_dir or None,
            project_settings=project,
            secrets_provider=settings.secrets_provider,
            env_vars=settings.env_vars,
        )
        with _translated("stack select"):
            stack = auto.create_or_select_stack(
                stack_name=settings.stack, project_name=settings.project, program=program, opts=opts
            )
        return PulumiStack(stack)
