"""Does a decoded value really have its declared type? A runtime check of generated result types.

`decode_response` returning without an error is not enough: the value must be the declared
attrs model (or list, enum, union member...) all the way down.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

_NoneType = type(None)
_JSON_MEMBERS: frozenset[object] = frozenset({dict, list, str, int, float, bool, _NoneType})


def problems(value: object, tp: object, path: str = "$") -> list[str]:
    """Where `value` does not match `tp`: an empty list when it does."""
    if tp is Any or tp is object or _is_json(tp):
        return []
    if tp is None or tp is _NoneType:
        return [] if value is None else [f"{path}: {value!r} is not None"]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {args}"]
    if origin in (typing.Union, types.UnionType):
        found = [problems(value, member, path) for member in args]
        if any(not p for p in found):
            return []
        return [f"{path}: {value!r} matches no member of {tp}", *[p for ps in found for p in ps][:3]]
    if origin in (list, Sequence):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} is not a list"]
        return [
            p
            for i, item in enumerate(typing.cast("list[object]", value))
            for p in problems(item, args[0], f"{path}[{i}]")
        ]
    if origin in (dict, Mapping):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not a dict"]
        entries = typing.cast("dict[object, object]", value).items()
        return [p for k, v in entries for p in problems(v, args[1], f"{path}[{k!r}]")]
    if not isinstance(tp, type):
        return [f"{path}: cannot check {tp!r}"]
    if tp is bool:
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a bool"]
    if tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not an int"]
    if tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {value!r} is not a float"]
    if tp is str:
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not a str"]
    if issubclass(tp, enum.Enum):
        return [] if isinstance(value, tp) else [f"{path}: {value!r} is not a {tp.__name__}"]
    if attrs.has(tp):
        if not isinstance(value, tp):
            return [f"{path}: {type(value).__name__} is not {tp.__name__}"]
        hints = _hints(tp)
        out: list[str] = []
        for field in attrs.fields(tp):
            out += problems(getattr(value, field.name), hints[field.name], f"{path}.{field.name}")
        return out
    return [] if isinstance(value, tp) else [f"{path}: {type(value).__name__} is not {tp.__name__}"]


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(tp: type) -> dict[str, Any]:
    if tp not in _HINTS:
        _HINTS[tp] = typing.get_type_hints(tp)
    return _HINTS[tp]


def _is_json(tp: object) -> bool:
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    members: frozenset[object] = frozenset(typing.get_origin(a) or a for a in typing.get_args(tp))
    return members == _JSON_MEMBERS
