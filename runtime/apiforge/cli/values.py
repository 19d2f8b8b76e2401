"""Command-line text to typed Python values, by a parameter's declared type.

    int         42                  bool        1, 0, true, false, yes, no
    float       2.5                 Literal     one of its values, as written
    enum        a value (or a member name)
    list        1,5,7  or a JSON array  ["a,b", "c"]
    mapping, model    a JSON object (wire field names, as the API documents them)
    JSON        any JSON text; anything else is taken as a string
    str         the text as is (a file parameter: a path to read)

Each function raises ValueError with a short reason; the caller adds method and parameter.
"""

from __future__ import annotations

import collections.abc
import enum
import json
import types
import typing
from typing import Literal, TypeVar, Union

import attrs

from apiforge.core.converter import structure
from apiforge.core.errors import DecodeError
from apiforge.core.types import JSON

_T = TypeVar("_T")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_SEQUENCES = (collections.abc.Sequence, collections.abc.Iterable, list, tuple, set, frozenset)
_MAPPINGS = (collections.abc.Mapping, dict)


def parse_value(text: str, tp: object, *, method: str = "") -> object:
    """`text` as a value of type `tp` (a resolved type hint); ValueError says why it is not one."""
    if tp is type(None):
        raise ValueError("only an absent value is allowed")
    if _is_json(tp):
        return _json_or_text(text)
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _union(text, typing.get_args(tp), method)
    if origin is Literal:
        return _literal(text, typing.get_args(tp))
    if origin in _SEQUENCES:
        args = typing.get_args(tp)
        item = args[0] if args else str
        return _sequence(text, item, method)
    if origin in _MAPPINGS or any(tp is m for m in _MAPPINGS) or (isinstance(tp, type) and attrs.has(tp)):
        return _structured(text, tp, method)
    if isinstance(tp, type):
        return _scalar(text, tp)
    # A type the command line has no syntax for: hand over the text and let the method decide.
    return text


def _scalar(text: str, tp: type) -> object:
    if issubclass(tp, enum.Enum):
        return _enum(text, tp)
    if tp is bool:
        folded = text.strip().lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ValueError("not a boolean (use 1/0, true/false or yes/no)")
    if tp is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError("not an integer") from None
    if tp is float:
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError("not a number") from None
    if tp is str:
        return text
    if tp is bytes:
        return text.encode()
    raise ValueError(f"a {tp.__name__} cannot be given on the command line")


def _enum(text: str, tp: type[enum.Enum]) -> enum.Enum:
    # Only the listed members: an open enum would take any value, but a typo must not reach the API.
    return _choose(text, [(str(m.value), m) for m in tp] + [(m.name, m) for m in tp], [m.value for m in tp])


def _literal(text: str, values: tuple[object, ...]) -> object:
    choices: list[tuple[str, object]] = []
    for value in values:
        if isinstance(value, bool):
            choices += [(word, value) for word in (_TRUE if value else _FALSE)]
        else:
            choices.append((str(value), value))
    return _choose(text, choices, list(values))


def _choose(text: str, choices: list[tuple[str, _T]], allowed: list[object]) -> _T:
    """The choice spelled `text`: exactly, or else the only one spelled so ignoring case."""
    wanted = text.strip()
    for spelling, choice in choices:
        if spelling == wanted:
            return choice
    folded = {id(choice): choice for spelling, choice in choices if spelling.casefold() == wanted.casefold()}
    if len(folded) == 1:
        return next(iter(folded.values()))
    shown = ", ".join(repr(v) for v in allowed[:12]) + (", ..." if len(allowed) > 12 else "")
    raise ValueError(f"not one of {shown}")


def _union(text: str, members: tuple[object, ...], method: str) -> object:
    candidates = sorted((m for m in members if m is not type(None)), key=_preference)
    if any(_is_json(m) for m in candidates):
        candidates = [m for m in candidates if not _is_json(m)] + [JSON]
    reasons: list[str] = []
    for member in candidates:
        try:
            return parse_value(text, member, method=method)
        except ValueError as exc:
            if str(exc) not in reasons:
                reasons.append(str(exc))
    raise ValueError("; ".join(reasons) or "no value is allowed")


def _preference(tp: object) -> int:
    """Exact forms first (literals, enums, booleans, numbers), structured next, free text last."""
    origin = typing.get_origin(tp)
    if origin is Literal or (isinstance(tp, type) and issubclass(tp, enum.Enum)):
        return 0
    if tp is bool:
        return 1
    if tp is int:
        return 2
    if tp is float:
        return 3
    if origin in _MAPPINGS or (isinstance(tp, type) and attrs.has(tp)):
        return 4
    if origin in _SEQUENCES:
        return 5
    if tp is str:
        return 7
    return 6 if typing.get_origin(tp) is not None or not isinstance(tp, type) else 8


def _sequence(text: str, item: object, method: str) -> list[object]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            loaded = json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"not a JSON array: {exc}") from None
        parts = [p if isinstance(p, str) else json.dumps(p) for p in typing.cast("list[object]", loaded)]
    elif stripped.startswith("{"):
        parts = [stripped]  # one JSON object: a list of one
    elif stripped == "":
        parts = []
    else:
        parts = [p.strip() for p in text.split(",")]
    out: list[object] = []
    for index, part in enumerate(parts):
        try:
            out.append(parse_value(part, item, method=method))
        except ValueError as exc:
            raise ValueError(f"item {index} {part!r}: {exc}") from None
    return out


def _structured(text: str, tp: object, method: str) -> object:
    try:
        loaded: object = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not a JSON object: {exc}") from None
    if not isinstance(loaded, dict):
        raise ValueError("not a JSON object")
    try:
        return structure(typing.cast("dict[str, object]", loaded), tp, method=method)
    except DecodeError as exc:
        raise ValueError(f"{exc.path}: {exc.reason}") from None


def _json_or_text(text: str) -> object:
    try:
        loaded: object = json.loads(text)
    except ValueError:
        return text
    return loaded


def _is_json(tp: object) -> bool:
    try:
        return bool(tp == JSON)
    except TypeError:
        return False


__all__ = ["parse_value"]
