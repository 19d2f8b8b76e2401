"""Parameter values on the wire: the encodings a spec names for each parameter."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

import attrs

Encoding = Literal["plain", "csv", "bool01", "json", "native", "brackets"]


# Types whose str() is their wire form (not bool: "True"; not enums: "Sex.MALE").
_PLAIN: frozenset[type] = frozenset({int, str})


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def to_json_text(value: object) -> str:
    """Compact JSON text, models unstructured with their wire names."""
    return json.dumps(native(value), ensure_ascii=False, separators=(",", ":"))


def native(value: object) -> Any:
    """The value as plain JSON data (models -> dicts with wire names, enums -> their values)."""
    if attrs.has(type(value)):
        # cattrs loads on first use, not on `import apiforge.<api>` (see bench/import_vk.py).
        from apiforge.core.converter import unstructure

        return unstructure(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        mapping = cast("Mapping[str, object]", value)
        return {k: native(v) for k, v in mapping.items() if v is not None}
    if isinstance(value, list | tuple | set | frozenset):
        return [native(v) for v in cast("Iterable[object]", value)]
    return value


def encode(value: object, encoding: Encoding) -> object:
    """One parameter value in the form its encoding puts on the wire."""
    if encoding == "native":
        return native(value)
    if encoding == "json":
        return value if isinstance(value, str) else to_json_text(value)
    if encoding == "csv":
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            return _scalar(value)
        items = list(cast("Iterable[object]", value))
        if set(map(type, items)) <= _PLAIN:  # ids and names, the usual lists: str() is the wire form
            return ",".join(map(str, items))
        return ",".join(map(_scalar, items))
    if encoding == "brackets":
        if isinstance(value, str) or not isinstance(value, Iterable):
            return [_scalar(value)]
        return [_scalar(v) for v in cast("Iterable[object]", value)]
    if encoding == "bool01":
        return "1" if value else "0"
    return _scalar(value)


__all__ = ["Encoding", "encode", "native", "to_json_text"]
