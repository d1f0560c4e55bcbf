"""The Pulumi workspace of an environment: backend, secrets, stack config and plugins, from the spec.

Everything ``pulumi.automation`` is reached through one boundary, the ``Automation`` protocol of ``stack``: the
real adapter (``workspace_pulumi.PulumiAutomation``) wraps ``pulumi.automation``; tests substitute a fake that
records calls. The settings themselves (``WorkspaceSettings``) are plain data built by pure functions.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mlstack import targets
from mlstack.engine.deploy.stack import (  # noqa: F401 - the boundary's names, re-exported for callers
    INSTALL_HINT,
    MIN_PULUMI_CLI,
    Automation,
    OperationFailed,
    StackHandle,
    StackLocked,
    WorkspaceSettings,
    lock_holder,
)
from mlstack.errors import PulumiCliMissing, UsageError
from mlstack.spec import Spec

if TYPE_CHECKING:
    from mlstack.engine.plan.program import Locked

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


_factory: Callable[[], Automation] | None = None


def set_automation(factory: Callable[[], Automation] | None) -> None:
    """Replaces the automation adapter (tests); None restores the real one."""
    global _factory
    _factory = factory


def get_automation() -> Automation:
    if _factory is not None:
        return _factory()
    from mlstack.engine.deploy.workspace_pulumi import PulumiAutomation

    return PulumiAutomation()


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def check_cli(automation: Automation) -> str:
    """The Pulumi CLI's version, checked against ``MIN_PULUMI_CLI``.

    Raises:
        PulumiCliMissing: absent or too old; the message names the tool, the version and the install command.
    """
    need = ".".join(map(str, MIN_PULUMI_CLI))
    version = automation.cli_version()
    if version is None:
        raise PulumiCliMissing(f"the Pulumi CLI (`pulumi`) is not on PATH; mlstack needs version {need} or newer: {INSTALL_HINT}")
    parsed = parse_version(version)
    if parsed is None or parsed < MIN_PULUMI_CLI:
        raise PulumiCliMissing(f"the Pulumi CLI is version {version}; mlstack needs {need} or newer: upgrade it, e.g. {INSTALL_HINT}")
    return version.removeprefix("v")


def project_root(stacks_dir: Path) -> Path:
    """The project folder: the parent of the stacks folder."""
    return stacks_dir.resolve().parent


def backend_url(spec: Spec, stacks_dir: Path) -> str:
    """``spec.backend``, or the local DIY backend ``file://<project>/.mlstack/state``."""
    if spec.backend:
        return spec.backend
    return f"file://{project_root(stacks_dir) / '.mlstack' / 'state'}"


def secrets_provider(spec: Spec, environ: Mapping[str, str]) -> str:
    """``spec.secrets_provider`` or "passphrase".

    Raises:
        UsageError: passphrase provider without PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE.
    """
    if spec.secrets_provider:
        return spec.secrets_provider
    if not any(environ.get(name) for name in PASSPHRASE_VARS):
        raise UsageError(
            "PULUMI_CONFIG_PASSPHRASE is not set: the passphrase secrets provider encrypts this stack's secrets "
            "with it. Export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE naming a file holding it), "
            "or set secrets_provider: awskms://... / gcpkms://... in the spec"
        )
    return "passphrase"


def stack_config(spec: Spec) -> dict[str, str]:
    """Provider config of the stack, from the spec's target (its pack's ``stack_config``)."""
    config: dict[str, str] = {}
    for pack in targets.for_target(spec.target.cloud):
        if pack.stack_config is not None:
            config.update(pack.stack_config(spec.target.model_dump(exclude_none=True)))
    return dict(sorted(config.items()))


def sdk_version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def required_plugins(spec: Spec, version_of: Callable[[str], str] = sdk_version) -> dict[str, str]:
    """Plugin name -> the version of its installed Python SDK, for the plugins the target's packs need."""
    sdks = {name: dist for pack in targets.for_target(spec.target.cloud) for name, dist in pack.plugins.items()}
    return {name: version_of(dist) for name, dist in sorted(sdks.items())}


def workspace_settings(
    spec: Spec, stacks_dir: Path, environ: Mapping[str, str] | None = None, version_of: Callable[[str], str] = sdk_version
) -> WorkspaceSettings:
    """The settings of the environment's workspace (pure: touches no file)."""
    env = os.environ if environ is None else environ
    url = backend_url(spec, stacks_dir)
    root = project_root(stacks_dir)
    return WorkspaceSettings(
        project=spec.project,
        stack=spec.env,
        backend_url=url,
        secrets_provider=secrets_provider(spec, env),
        config=stack_config(spec),
        plugins=required_plugins(spec, version_of),
        # Plugins are pinned and installed by us; the CLI's update nag only adds noise to captured output.
        env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true"},
        work_dir=str(root / ".mlstack" / "work" / spec.env),
        state_dir=url.removeprefix("file://") if url.startswith("file://") else None,
    )


def open_stack(
    spec: Spec,
    settings: WorkspaceSettings,
    automation: Automation,
    pins: Mapping[str, str] | None = None,
    stamp: Mapping[str, str] | None = None,
    locked: Locked | None = None,
) -> StackHandle:
    """Creates the local folders, creates or selects the stack, installs its plugins and sets its config.

    ``pins`` (image reference -> digest, from the lock or just resolved) make the program deploy images by digest;
    ``stamp`` (the lock digest, the stacks' commit) goes into each team's ``mlstack-environment`` ConfigMap;
    ``locked`` (:class:`mlstack.engine.plan.program.Locked`): the lock's platform versions, their check, the digest.

    Call ``check_cli`` and ``workspace_settings`` first: they fail (missing CLI, missing passphrase) before
    anything is created.
    """
    if settings.state_dir:
        Path(settings.state_dir).mkdir(parents=True, exist_ok=True)
    if settings.work_dir:
        Path(settings.work_dir).mkdir(parents=True, exist_ok=True)
    from mlstack.engine.plan.program import make_program

    stack = automation.open(settings, make_program(spec, pins, stamp, locked))
    for name, version in settings.plugins.items():
        stack.install_plugin(name, version)
    stack.set_config(settings.config)
    return stack
