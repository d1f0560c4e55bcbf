"""Text from a spec, a file name or an argument, made safe to print: nothing it holds can forge a line of output
or reach the terminal as a control sequence.

Every character that is not plainly visible becomes an escape: C0/C1 control characters (newline ``\\n``,
ESC ``\\x1b``: ANSI sequences), the line and paragraph separators, zero-width and bidirectional controls
(which reorder what a terminal shows). Long text is cut to ``limit`` characters with ``...``.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, limit: int | None = None) -> str:
    """``text`` with every invisible or control character escaped, cut to ``limit`` characters."""
    s = str(text)
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 3, 1)] + "..."
    return _UNSAFE.sub(_escape, s)


def is_printable(text: str) -> bool:
    """Whether ``text`` holds nothing ``printable`` would escape."""
    return _UNSAFE.search(text) is None
