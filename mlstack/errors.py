"""The one error hierarchy. The CLI catches ``MlstackError`` at its single boundary and maps it to an exit code."""

from __future__ import annotations


GATE_FAILED = 3  # exit code of a gate (`check`/`diff --fail-on`) that found what it gates on


class MlstackError(Exception):
    """Base of every error mlstack reports to a user. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(MlstackError):
    """The command was called wrongly (unknown environment, conflicting flags): exit 2."""

    exit_code = 2


class EngineError(MlstackError):
    """The program, the engine or the Pulumi CLI failed: exit 1."""

    exit_code = 1


class PulumiCliMissing(EngineError):
    """The Pulumi CLI is absent or too old for an engine command."""
