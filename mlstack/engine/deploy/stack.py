"""The boundary to ``pulumi.automation``: the ``Automation`` and ``StackHandle`` protocols, the plain-data
``WorkspaceSettings`` they are opened with, and the errors either side raises.

``workspace`` builds settings and opens stacks through this boundary; ``workspace_pulumi`` implements it over
``pulumi.automation``; tests substitute fakes. Neither side imports the other's internals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlstack.errors import EngineError

# Inline programs need `--client` for refresh and destroy, added in Pulumi CLI 3.181.0 (the SDK itself accepts
# 3.1.0). One minimum for every command: a CLI that could `up` an environment but not destroy it is a trap.
MIN_PULUMI_CLI = (3, 181, 0)
INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi/tap/pulumi`)"


@dataclass(frozen=True)
class WorkspaceSettings:
    """Everything the workspace of one environment is built from (plain data, no secrets).

    Attributes:
        project: Pulumi project name (the spec's project).
        stack: Pulumi stack name (the environment).
        backend_url: state backend, e.g. file:///repo/.mlstack/state.
        secrets_provider: "passphrase", or an awskms:// / gcpkms:// URL.
        config: stack config: the target packs' provider settings (region, project, kube context).
        plugins: provider plugin name -> version, installed before the first operation.
        env_vars: extra environment for the Pulumi CLI.
        work_dir: where Pulumi.yaml and Pulumi.<stack>.yaml live (kept: it holds the passphrase salt).
        state_dir: the local state folder to create on first use (file:// backends), else None.
    """

    project: str
    stack: str
    backend_url: str
    secrets_provider: str
    config: dict[str, str]
    plugins: dict[str, str]
    env_vars: dict[str, str] = field(default_factory=dict)
    work_dir: str = ""
    state_dir: str | None = None


class StackHandle(Protocol):
    """One selected stack. Results are plain data (see ``lifecycle``)."""

    def install_plugin(self, name: str, version: str) -> None: ...
    def set_config(self, config: Mapping[str, str]) -> None: ...
    def up(self, on_event: Callable[[Any], None]) -> dict[str, Any]: ...
    def preview(self, on_event: Callable[[Any], None], diff: bool) -> dict[str, Any]: ...
    def refresh(self, on_event: Callable[[Any], None]) -> dict[str, Any]: ...
    def destroy(self, on_event: Callable[[Any], None]) -> dict[str, Any]: ...
    def cancel(self) -> None: ...
    def outputs(self) -> dict[str, tuple[Any, bool]]: ...
    def resources(self) -> list[dict[str, Any]]: ...
    def unprotect_all(self) -> None: ...


class Automation(Protocol):
    """The one boundary to ``pulumi.automation``."""

    def cli_version(self) -> str | None:
        """The installed Pulumi CLI's version (``pulumi version`` without the v), None when absent."""
        ...

    def open(self, settings: WorkspaceSettings, program: Callable[[], None]) -> StackHandle:
        """Creates or selects the stack of ``settings`` with the inline ``program``."""
        ...


class StackLocked(EngineError):
    """Another update holds the stack's lock."""


def lock_holder(text: str) -> str:
    """Who holds the stack lock, from the CLI's ConcurrentUpdateError text."""
    m = re.search(r"created by (\S+) \(pid (\d+)\) at (\S+)", text)
    if m:
        return f"{m[1]} (pid {m[2]}) since {m[3]}"
    if "[409] Conflict" in text:
        return "another update in Pulumi Cloud"
    return "another process"


class OperationFailed(EngineError):
    """An engine operation (up, preview, refresh, destroy) failed; ``detail`` is the CLI's error output."""

    def __init__(self, operation: str, detail: str):
        super().__init__(f"{operation} failed: {detail}")
        self.operation = operation
        self.detail = detail
