"""Adding top-level sections to an example stack's text in a test, whatever the example already holds.

The example overlays grow (staging now carries ``cluster:``, ``storage:`` and ``ci:`` sections): a test that
appended ``cluster: {...}`` would give the key twice, a spec error of its own that hides the one under test.
``with_sections`` puts each key of the extra text into the section the file already has (as one flow-style
line per sub-key, right under the section's header), or appends the section when the file has none.
"""

from __future__ import annotations

import re

import yaml


def with_sections(text: str, extra: str) -> str:
    """``text`` (a stack file) with the top-level mapping ``extra`` (YAML) merged into it, one level deep."""
    for key, value in (yaml.safe_load(extra) or {}).items():
        header = re.search(rf"^{re.escape(key)}:[ \t]*(#.*)?$", text, re.M)  # a block section of that key
        if header is None or not isinstance(value, dict):
            text = text.rstrip("\n") + f"\n{key}: {_flow(value)}\n"
            continue
        lines = "".join(f"  {k}: {_flow(v)}\n" for k, v in value.items())
        text = text[: header.end() + 1] + lines + text[header.end() + 1 :]
    return text


def _flow(value: object) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...").strip()
