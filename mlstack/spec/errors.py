"""Spec errors: every problem at once, each with file, line, column, field path, what was expected and a fix."""

from __future__ import annotations

from dataclasses import dataclass

from mlstack.errors import MlstackError

SECRET_WORDS = ("password", "passwd", "secret", "token", "passphrase", "private_key", "credentials", "api_key", "apikey",
                "access_key")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a spec.

    Attributes:
        file: the file the offending value came from ("" when unknown).
        line: 1-based line, 0 when unknown.
        column: 1-based column, 0 when unknown.
        path: dotted field path, e.g. ``node_pools.a100.max``.
        message: what was expected and what was found (never a secret's value), and the fix.
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        from mlstack.escape import printable

        file = printable(self.file)
        where = f"{file}:{self.line}:{self.column}: " if file and self.line else (f"{file}: " if file else "")
        # Escaped: a key holding a newline and a fake "base.yaml:1:1:" line, or an ANSI escape, prints as text.
        return f"{where}{printable(self.path, 200) or '(top level)'}: {printable(self.message)}"


class SpecError(MlstackError):
    """The spec is invalid; ``problems`` lists every problem found. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path, p.message))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the spec:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


def is_secret_path(path: str) -> bool:
    """Whether a field's value must never be echoed back (its name says it holds a secret)."""
    last = path.rsplit(".", 1)[-1].lower()
    return any(word in last for word in SECRET_WORDS)


def show(value: object, path: str = "") -> str:
    """A short, safe rendering of a found value for an error message."""
    if is_secret_path(path):
        return f"a {type(value).__name__} (value hidden: the field holds a secret)"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)
