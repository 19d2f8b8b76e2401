"""The smallest valid JSON value of a generated type, for fakes that answer any method.

    minimal_json(list[UsersUserFull])   # [{"id": 1, "first_name": "x", ...only required fields}]

Read from the types themselves (attrs models, enums, aliases, unions), not from the specs, so a
fake can answer every method of a generated package without the spec files. The rules, which
make the value deterministic:

- an attrs model: its required fields (by wire name) and nothing else;
- a list or sequence: one item; a mapping: one entry, keyed `"1"` (VK maps ids to values);
- an enum: the value of its first member; a `Literal`: its first value;
- a union: its first member (`X | None` is `X`); a discriminated union: its first member with the
  member's tag, so that it decodes as that member again;
- `int` 1, `float` 1.0, `str` "x", `bool` True, JSON (any value) `{}`.

A model that needs itself (directly or further down) stops the recursion with an empty list where a
list allows it; a required field that cannot be built raises `TypeError` naming the path.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from apiforge.core.converter import union_tag
from apiforge.core.types import JSON
from apiforge.testing._server import as_object

_NoneType = type(None)
_JSON_MEMBERS: frozenset[object] = frozenset({dict, list, str, int, float, bool, _NoneType})
_SEQUENCES: frozenset[object] = frozenset({list, Sequence, tuple, set, frozenset})
_MAPPINGS: frozenset[object] = frozenset({dict, Mapping})


def minimal_json(tp: object) -> object:
    """The smallest JSON value (dicts, lists, primitives) that decodes into `tp`; see the module docs."""
    return _Builder().build(tp, "$", ())


class _Builder:
    def build(self, tp: object, path: str, stack: tuple[type, ...]) -> object:
        if _is_json(tp) or tp is object or tp is Any:
            return {}
        if tp is _NoneType or tp is None:
            return None
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is Literal:
            return _plain(args[0])
        if origin in (typing.Union, types.UnionType):
            return self._union(tp, args, path, stack)
        # A `Page[X]` result (a list of one page's items) is a list on the wire.
        if origin in _SEQUENCES or (isinstance(origin, type) and issubclass(origin, list)):
            item = args[0] if args else object
            if attrs.has(item) and item in stack:
                return []  # the recursion stops here: an empty list is a valid list
            return [self.build(item, f"{path}[0]", stack)]
        if origin in _MAPPINGS:
            value = args[1] if len(args) == 2 else object
            return {"1": self.build(value, f"{path}.1", stack)}
        if isinstance(tp, type):
            return self._class(tp, path, stack)
        raise TypeError(f"{path}: cannot build a value of {tp!r}")

    def _union(self, tp: object, args: tuple[object, ...], path: str, stack: tuple[type, ...]) -> object:
        members = [a for a in args if a is not _NoneType]
        if not members:
            return None
        tagged = union_tag(tp)
        first: Any = members[0]
        value = self.build(first, path, stack)
        fields = as_object(value)
        if tagged is not None and fields is not None:
            key, mapping = tagged
            tag = next((tag for tag, cls in sorted(mapping.items()) if cls is first), None)
            if tag is not None:
                return {**fields, key: tag}
        return value

    def _class(self, tp: type[Any], path: str, stack: tuple[type, ...]) -> object:
        if issubclass(tp, enum.Enum):
            members = list(tp)
            if not members:
                raise TypeError(f"{path}: the enum {tp.__name__} has no members")
            return _plain(members[0].value)
        if tp is bool:
            return True
        if tp is int:
            return 1
        if tp is float:
            return 1.0
        if tp is str:
            return "x"
        if tp in (dict, list):
            return {} if tp is dict else []
        if attrs.has(tp):
            if tp in stack:
                raise TypeError(f"{path}: {tp.__name__} requires itself")
            return self._model(tp, path, (*stack, tp))
        raise TypeError(f"{path}: cannot build a value of {tp.__name__}")

    def _model(self, tp: type[Any], path: str, stack: tuple[type, ...]) -> dict[str, object]:
        out: dict[str, object] = {}
        hints = _hints(tp)
        for field in attrs.fields(tp):
            if field.default is not attrs.NOTHING:
                continue  # optional: the minimal value leaves it out
            wire = str(field.metadata.get("wire", field.name))
            out[wire] = self.build(hints[field.name], f"{path}.{wire}", stack)
        return out


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(tp: type[Any]) -> dict[str, Any]:
    """A model's resolved annotations (cached: resolving them is the slow part)."""
    hints = _HINTS.get(tp)
    if hints is None:
        hints = _HINTS[tp] = typing.get_type_hints(tp)
    return hints


def _plain(value: object) -> object:
    """An enum member or literal as plain JSON (StrEnum members are str subclasses)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return value


def _is_json(tp: object) -> bool:
    """The JSON alias (rebuilt by get_type_hints, so compared by shape)."""
    if tp is JSON:
        return True
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    members: frozenset[object] = frozenset(typing.get_origin(a) or a for a in typing.get_args(tp))
    return members == _JSON_MEMBERS


__all__ = ["minimal_json"]
