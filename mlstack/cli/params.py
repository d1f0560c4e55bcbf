"""Option parsers shared by the commands."""

from __future__ import annotations

from enum import Enum

import typer


def choice(enum: type[Enum]):  # noqa: ANN201 - a Typer parser
    """A parser for ``enum`` whose error names the choices plainly (Typer's own message reads
    ``Value error, 'html' is not one of ...``)."""

    def parse(value: object) -> Enum:
        if isinstance(value, enum):
            return value
        try:
            return enum(value)
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
            raise typer.BadParameter(f"{value!r} is not one of: {choices}") from None

    return parse


class ReportFormat(str, Enum):
    """The output of a reporting command: text for people, json for programs (one JSON document on stdout)."""

    text = "text"
    json = "json"
