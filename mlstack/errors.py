"""The one error hierarchy. The CLI catches ``MlstackError`` at its single boundary and maps it to an exit code."""

from __future__ import annotations


class MlstackError(Exception):
    """Base of every error mlstack reports to a user. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


EXIT_OK = 0
EXIT_ENGINE = 1  # the program, the engine or the Pulumi CLI failed
EXIT_USAGE = 2  # the command was called wrongly, or the spec is wrong
EXIT_GATE = 3  # a policy gate (`check --fail-on`, `diff --fail-on`) failed: the report is complete and says why


class UsageError(MlstackError):
    """The command was called wrongly (unknown environment, conflicting flags): exit 2."""

    exit_code = 2


class EngineError(MlstackError):
    """The program, the engine or the Pulumi CLI failed: exit 1."""

    exit_code = 1


class PulumiCliMissing(EngineError):
    """The Pulumi CLI is absent or too old for an engine command."""
