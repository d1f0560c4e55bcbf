"""Output cannot be forged: paths and values print escaped; Ctrl-C at any moment is exit 130 and one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.escape import printable, printable_lines

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "tests" / "safety" / "test_loader.py").read_text().split('BASE = textwrap.dedent("""\\\n')[1].split('    """)')[0]
BASE = "\n".join(line[4:] for line in BASE.splitlines()) + "\n"


def test_printable_escapes_what_could_forge_or_style_output():
    assert printable("a\nb.yaml:1:1: x") == "a\\nb.yaml:1:1: x"
    assert printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert printable("abc\u202edef\u200b") == "abc\\u202edef\\u200b"
    assert printable("tab\tcr\r\x7f\x9b") == "tab\\tcr\\r\\x7f\\x9b"
    assert printable("x" * 100, 10) == "xxxxxxx..."
    assert printable_lines("one\ntwo\x1b[2J") == "one\ntwo\\x1b[2J"


@pytest.mark.parametrize("key", ['"a\\nstaging.yaml:1:1: project: fine"', '"\\e[31mred\\e[0m"', '"x\\u202ey"'])
def test_a_hostile_key_cannot_forge_a_line_or_reach_the_terminal(tmp_path, capsys, key):
    (tmp_path / "staging.yaml").write_text(BASE + f"{key}: 1\n")
    assert main(["--stacks-dir", str(tmp_path), "validate", "--env", "staging"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2  # "spec error: 1 problem in the spec:" and the one problem
    assert "\x1b" not in err and "\u202e" not in err
    assert "staging.yaml:9:1: " in err.splitlines()[1]


def test_an_abort_at_a_prompt_after_ctrl_c_is_exit_130(capsys):
    import typer

    from mlstack.cli import _other

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise typer.Abort() from None
    except typer.Abort as exc:
        assert _other(exc, False) == 130
    assert capsys.readouterr().err == "interrupted\n"
    signal.signal(signal.SIGINT, signal.default_int_handler)  # _interrupted ignores further Ctrl-C


CHILD = "import sys; from mlstack.cli import run; sys.argv[0] = 'mlstack'; run()"


PLAN = ["--stacks-dir", str(ROOT / "stacks"), "plan", "--env", "staging"]


@pytest.fixture(scope="module")
def plan_seconds(tmp_path_factory) -> float:
    """How long one plan takes on this machine: the moments of the signal are fractions of it, so that a fast
    machine is interrupted in every phase as a slow one is (fixed delays let the plan finish first there)."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", CHILD, *PLAN], check=True, stdout=subprocess.DEVNULL,
                   cwd=tmp_path_factory.mktemp("timing"))
    return time.monotonic() - start


@pytest.mark.parametrize("fraction", [0.15, 0.3, 0.45, 0.6, 0.75])
def test_ctrl_c_at_any_moment_is_exit_130_and_one_line(tmp_path, plan_seconds, fraction):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, *PLAN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(plan_seconds * fraction)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip(f"the plan finished within {plan_seconds * fraction:.1f}s ({fraction} of a plan), before the signal")
    assert (proc.returncode, err.decode()) == (130, "interrupted\n")
