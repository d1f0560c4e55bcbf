"""The one Jinja2 environment of the templates shipped in ``mlstack.templates``, and the checks of a
generator's choice flags."""

from __future__ import annotations

import functools
import json
from typing import Any

from mlstack.errors import UsageError

TEMPLATES_PACKAGE = "mlstack.templates"


@functools.cache
def environment():
    """The one Jinja2 environment: templates read through importlib.resources (works from a wheel)."""
    import jinja2

    def load(name: str):
        resource = _resource(name)
        if not resource.is_file():
            return None
        return resource.read_text(encoding="utf-8"), None, lambda: True

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, Groovy and Markdown: HTML escaping would corrupt them
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # GitHub Actions expressions collide with Jinja's delimiters: {{ gh("github.ref") }} -> ${{ github.ref }}
    env.globals["gh"] = lambda expr: "${{ " + expr + " }}"
    env.filters["chomp"] = lambda s: str(s).rstrip("\n")  # a macro's output, placed on its call's line
    env.filters["yaml_str"] = lambda s: json.dumps(str(s))  # a double-quoted YAML scalar (JSON is valid YAML)
    return env


def _resource(name: str):
    """A template by name: ``targets/<pack>/...`` is a target pack's snippet (its CI login steps), anything else
    is in ``mlstack.templates``."""
    from importlib.resources import files

    parts = name.split("/")
    if parts[0] == "targets" and len(parts) > 2:
        return files(f"mlstack.targets.{parts[1]}").joinpath(*parts[2:])
    return _template_root().joinpath(*parts)


def _template_root():
    from importlib.resources import files

    return files(TEMPLATES_PACKAGE)


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def check_choice(flag: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(f"{flag}: unknown value {value!r}{did_you_mean(value, allowed)}. Allowed: {', '.join(allowed)}")


def did_you_mean(value: str, allowed) -> str:
    import difflib

    close = difflib.get_close_matches(value, list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
