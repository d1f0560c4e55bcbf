"""The mlstack command line. ``main`` is the one error boundary: every MlstackError becomes a message and an
exit code (2 for usage and spec errors, 1 for engine failures, 3 for a failed policy gate: ``mlstack.errors``);
a traceback only with ``--verbose``. Global options may follow the subcommand, and without ``--stacks-dir``
the project's ``stacks/`` folder is found from a subdirectory (``mlstack.cli.argv``).

Importing this package imports no cloud SDK: commands import what they need when they run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI and returns the exit code (the console script exits with it). Ctrl-C at any moment, even
    while the command modules import, is one line on stderr and exit 130."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return _interrupted()


def _interrupted() -> int:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while reporting the first changes nothing
    print("interrupted", file=sys.stderr)
    return 130


def _main(argv: list[str] | None) -> int:
    from mlstack.cli.app import click_command
    from mlstack.cli.context import STATE
    from mlstack.errors import MlstackError

    from mlstack.cli import argv as cli_argv

    words = list(sys.argv[1:] if argv is None else argv)
    command = click_command(cli_argv.subcommand(words))
    args = cli_argv.hoist_globals(words, lambda sub, option: _takes_value(sub, option, command))
    STATE.verbose = "--verbose" in args or "-v" in args
    if not cli_argv.has_stacks_dir(args) and "MLSTACK_STACKS_DIR" not in os.environ:
        found = cli_argv.find_stacks_dir(Path.cwd())
        if found is not None and found != Path(cli_argv.STACKS):
            args = ["--stacks-dir", str(found), *args]
    try:
        result = command.main(args=args, prog_name="mlstack", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
        if code == 130:  # typer turns a Ctrl-C inside a command into a silent Exit(130): say it, once
            code = _interrupted()
    except MlstackError as exc:
        _report(exc, STATE.verbose)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = _interrupted()
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is an internal failure
        code = _other(exc, STATE.verbose)
    return code


def _takes_value(command: str, option: str, group: Any = None) -> bool:
    """Whether ``option`` of subcommand ``command`` consumes the next word (from the Click command itself;
    ``group``: the one this command line runs, else the one built for ``command``)."""
    if group is None:
        from mlstack.cli.app import click_command

        group = click_command(command)
    cmd = getattr(group, "commands", {}).get(command)
    if cmd is None:
        return False
    # A group (``model``): an option any of its commands takes a value with (``model promote --version N``).
    for sub in [cmd, *getattr(cmd, "commands", {}).values()]:
        for param in sub.params:
            if option in getattr(param, "opts", ()) or option in getattr(param, "secondary_opts", ()):
                return not (getattr(param, "is_flag", False) or getattr(param, "count", False))
    return False


def _report(exc: BaseException, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from mlstack.spec.errors import SpecError

    from mlstack.escape import printable_lines

    label = "spec error" if isinstance(exc, SpecError) else "error"
    print(f"{label}: {printable_lines(exc)}", file=sys.stderr)  # no raw control characters reach the terminal


def click_exception_type() -> type[Exception]:
    """Typer's (vendored) ``ClickException``, the base of its usage errors (exit 2).

    Typer exports no name for it, so it is found through the public ``typer.BadParameter``'s bases rather than
    by importing the private ``typer._click`` module; ``tests/cli/test_typer_seam.py`` pins that it is there.
    """
    import typer

    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _other(exc: Exception, verbose: bool) -> int:
    import typer

    if isinstance(exc, click_exception_type()):
        exc.show(file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, typer.Abort):
        if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at a prompt: click turns it into Abort
            return _interrupted()
        print("aborted", file=sys.stderr)
        return 1
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from mlstack.escape import printable

    print(f"internal error: {type(exc).__name__}: {printable(exc, 300)}\n(run again with --verbose for the traceback, "
          "and please report it)", file=sys.stderr)
    return 1


def run() -> None:  # pragma: no cover - console script entry
    # A one-shot process that ends in os._exit: the collector's passes over the ~330k objects the cloud SDKs
    # leave behind cost a third of a plan's CPU, and almost nothing they would free is garbage before exit
    # (measured: a 200-team AWS plan 18.5 s -> 10.3 s CPU, peak RSS 331 -> 351 MiB). Library use (main(),
    # tests, Pulumi programs) keeps the collector on.
    import gc

    from mlstack import derived

    gc.disable()
    derived.enable()  # the validated catalogue and the schemas, kept between runs (MLSTACK_NO_CACHE=1: off)
    try:
        code = main()
        sys.stdout.flush()
        sys.stderr.flush()
    except KeyboardInterrupt:  # between main's return and the flush
        code = 130
    # Skip interpreter teardown (about 1.5 s after a plan has loaded the cloud SDKs): output is flushed.
    os._exit(code)
