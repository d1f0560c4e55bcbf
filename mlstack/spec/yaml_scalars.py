"""What a plain YAML scalar means in a spec: the YAML 1.2 core schema, minus everything YAML 1.1 reads otherwise.

A spec is read by mlstack and also by editors, linters and CI tools, many of them YAML 1.1 (PyYAML, older
yamllint, Ruby). A plain value that the two versions read differently would mean one thing to mlstack and
another to the next tool, so it is refused with a located error and a fix (quote it, or write it plainly):

=====================  ==================  ==================  =========================================
written                YAML 1.1            YAML 1.2 core       a spec
=====================  ==================  ==================  =========================================
``true`` / ``false``   bool                bool                bool (also True, TRUE, False, FALSE)
``yes no on off y n``  bool                string              refused: write true/false, or quote it
``~``, ``null``, empty null                null                null
``42``, ``-7``, 0x1F   int                 int                 int
``010``                8 (octal)           10                  refused: write 10, or quote '010'
``0o17``, ``0b101``    string / int        int / string        refused: write the decimal number
``1_000``              1000                string              refused: write 1000, or quote it
``1:30``               90 (base 60)        string              refused: quote '1:30'
``1.5``, ``-2.0e+3``   float               float               float
``1e3``, ``1.0e3``     string              float               refused: write 1000.0, or quote it
``.inf``, ``.nan``     float               float               float
``2024-01-01``         timestamp           string              string (a spec has no date fields)
=====================  ==================  ==================  =========================================

Quoted and block scalars (``'...'``, ``"..."``, ``|``, ``>``) are always strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_BOOL_11 = frozenset({"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"})
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_OCT_BIN = re.compile(r"[-+]?0[ob][0-9a-fA-F]+")
_UNDERSCORE = re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?")
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_FLOAT_11 = re.compile(r"[-+]?[0-9]*\.[0-9]*([eE][-+][0-9]+)?")
_SPECIAL = {".inf": math.inf, ".Inf": math.inf, ".INF": math.inf, ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan}


class Ambiguous(ValueError):
    """A plain scalar YAML 1.1 and 1.2 read differently; the message says how each reads it and the fix."""


def plain_value(text: str) -> Any:
    """The value of a plain (unquoted) scalar.

    Raises:
        Ambiguous: YAML 1.1 and YAML 1.2 would read it differently.
    """
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if len(text) > 40 or not (text[0].isdigit() or text[0] in "+-." or text in _BOOL_11):
        return text  # the common case: text
    if text in _BOOL_11:
        raise Ambiguous(f"{text} is a boolean in YAML 1.1 and text in YAML 1.2: write true or false, or quote it "
                        f"('{text}') for text")
    if _INT.fullmatch(text):
        return int(text)
    if _HEX.fullmatch(text):
        return int(text, 16)
    if _LEADING_ZERO.fullmatch(text):
        as_octal = f"{int(text, 8)}" if set(text.lstrip("+-")) <= set("01234567") else "invalid"
        raise Ambiguous(f"{text} is {as_octal} in YAML 1.1 (octal) and {int(text, 10)} in YAML 1.2: write "
                        f"{int(text, 10)}, or quote it ('{text}') for text")
    if _OCT_BIN.fullmatch(text):
        raise Ambiguous(f"{text} is a number in one YAML version and text in the other: write the decimal number, "
                        f"or quote it ('{text}') for text")
    if _SEXAGESIMAL.fullmatch(text):
        raise Ambiguous(f"{text} is a base-60 number in YAML 1.1 and text in YAML 1.2: quote it ('{text}')")
    if "_" in text and _UNDERSCORE.fullmatch(text):
        raise Ambiguous(f"{text} is a number in YAML 1.1 and text in YAML 1.2: write {text.replace('_', '')}, "
                        f"or quote it ('{text}') for text")
    special = _SPECIAL.get(text.lstrip("+-"))
    if special is not None:
        return -special if text.startswith("-") else special
    if _FLOAT_12.fullmatch(text):
        if _FLOAT_11.fullmatch(text):
            return float(text)
        raise Ambiguous(f"{text} is a number in YAML 1.2 and text in YAML 1.1: write it with a point and a signed "
                        f"exponent (e.g. {float(text)!r}), or quote it ('{text}') for text")
    return text
