"""The mlstack command line. ``main`` is the one error boundary: every MlstackError becomes a message and an
exit code (2 for usage and spec errors, 1 for engine failures); a traceback only with ``--verbose``.

Importing this package imports no cloud SDK: commands import what they need when they run.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI and returns the exit code (the console script exits with it)."""
    from mlstack.cli.app import app
    from mlstack.cli.context import STATE
    from mlstack.errors import MlstackError

    args = list(sys.argv[1:] if argv is None else argv)
    STATE.verbose = "--verbose" in args or "-v" in args
    try:
        result = app(args=args, prog_name="mlstack", standalone_mode=False)
        code = int(result) if isinstance(result, int) else 0
    except MlstackError as exc:
        _report(exc, STATE.verbose)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # noqa: BLE001 - the boundary: anything else is an internal failure
        code = _other(exc, STATE.verbose)
    return code


def _report(exc: BaseException, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from mlstack.spec.errors import SpecError

    label = "spec error" if isinstance(exc, SpecError) else "error"
    print(f"{label}: {exc}", file=sys.stderr)


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
        print("aborted", file=sys.stderr)
        return 1
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    print(f"internal error: {type(exc).__name__}: {exc}\n(run again with --verbose for the traceback, "
          "and please report it)", file=sys.stderr)
    return 1


def run() -> None:  # pragma: no cover - console script entry
    # A one-shot process that ends in os._exit: the collector's passes over the ~330k objects the cloud SDKs
    # leave behind cost a third of a plan's CPU, and almost nothing they would free is garbage before exit
    # (measured: a 200-team AWS plan 18.5 s -> 10.3 s CPU, peak RSS 331 -> 351 MiB). Library use (main(),
    # tests, Pulumi programs) keeps the collector on.
    import gc

    gc.disable()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (about 1.5 s after a plan has loaded the cloud SDKs): output is flushed.
    os._exit(code)
