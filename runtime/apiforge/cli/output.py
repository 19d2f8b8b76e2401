"""Printing a result: JSON for programs, a table for people when the result is a list of objects."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Literal, TextIO, cast

Format = Literal["json", "table", "auto"]
_CELL = 40  # widest cell before it is cut, so one long text does not push the other columns away


def emit(data: object, stream: TextIO, *, fmt: Format) -> None:
    """Write `data` (plain JSON data) to `stream`: a table if asked for or, with "auto", on a terminal."""
    wants_table = fmt == "table" or (fmt == "auto" and stream.isatty())
    if wants_table:
        table = render_table(data)
        if table is not None:
            stream.write(table)
            return
    stream.write(to_json(data) + "\n")


def to_json(data: object) -> str:
    """Indented JSON, non-ASCII kept readable; values JSON cannot hold are written as text."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def render_table(data: object) -> str | None:
    """A text table of a list of objects (or of the `items` of an object), or None when `data` is not one."""
    rows = _rows(data)
    if rows is None:
        return None
    head = ""
    if isinstance(data, Mapping):
        rest = {k: v for k, v in cast("Mapping[str, object]", data).items() if k != "items"}
        head = "".join(f"{key}: {_cell(value)}\n" for key, value in rest.items())
    if not rows:
        return head + "(no items)\n"
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = [
        "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip(),
        "  ".join("-" * width for width in widths),
        *("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells),
    ]
    return head + "\n".join(lines) + "\n"


def _rows(data: object) -> list[Mapping[str, object]] | None:
    if isinstance(data, Mapping):
        items = cast("Mapping[str, object]", data).get("items")
        return None if isinstance(items, Mapping) else _rows(items)
    if not isinstance(data, list):
        return None
    rows = cast("Sequence[object]", data)
    if not all(isinstance(row, Mapping) for row in rows):
        return None
    return [cast("Mapping[str, object]", row) for row in rows]


def _cell(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= _CELL else text[: _CELL - 3] + "..."


__all__ = ["Format", "emit", "render_table", "to_json"]
