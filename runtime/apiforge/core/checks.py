"""Argument checks before sending: what the specs know about each parameter, checked by one function.

The generator writes, per method, a table of `Rule`s (plain tuples: data, not code per method);
`check_arguments` reads it when a `MethodSpec` builds a `Call`, so a value the API would refuse —
or, worse, silently misread — is a `ValueError` naming method, parameter and value before any
request exists. Only what the specs state is checked: required, the JSON type of scalars, enums,
minimum/maximum, maximum items, maximum length; and that every text can be sent at all (a lone
surrogate has no UTF-8 form).

    Rule  = (wire, python_name, required, shape)       python_name "" when it is the wire name
    Shape = (kinds, enum, minimum, maximum, max_length, max_items, item)  or None: any value

An `enum` is a frozenset of the allowed values, or the generated Enum class that lists them (its
declared members: values an open enum met while decoding are not inputs the spec knows).

`kinds` holds one letter per JSON type the value may have: `i` integer, `n` number, `s` string,
`b` boolean, `a` array, `o` object; plus, for arrays, `c` (a string, or one integer, is a comma-separated list of
items: the wire form of a csv parameter) or `j` (a string is JSON text, sent as it is). An empty
`kinds` allows any type. `item` is the Shape of an array's items.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias, cast

import attrs

from apiforge.core.redact import SECRET_KEYS, mask

Allowed: TypeAlias = "frozenset[object] | type[enum.Enum] | None"
Shape: TypeAlias = tuple[str, Allowed, "float | None", "float | None", "int | None", "int | None", object]
Rule: TypeAlias = tuple[str, str, bool, "Shape | None"]

_SEQUENCES = (list, tuple, set, frozenset, range)
_SHOWN = 120
_SECRET_WORDS = ("password", "token", "secret")
"""Parameters named so hold secrets (`new_password`, `old_password`): their values are masked in messages."""


def check_arguments(method: str, rules: tuple[Rule, ...], values: Mapping[str, object]) -> None:
    """Raise ValueError naming method, parameter and value for the first argument `rules` refuse.

    `values` maps wire names to the caller's values; None means "not given".
    """
    for wire, name, required, shape in rules:
        value = values.get(wire)
        if value is None:
            if required:
                raise ValueError(f"{method}: {_named(wire, name)} is required, got None")
            continue
        if shape is not None:
            problem = _problem(shape, value)
            if problem is not None:
                raise ValueError(f"{method}: {_named(wire, name)}={_shown(wire, value)}: {problem}")


def _named(wire: str, name: str) -> str:
    return f"parameter {name} (sent as {wire})" if name else f"parameter {wire}"


def _shown(wire: str, value: object) -> str:
    if isinstance(value, str) and (wire in SECRET_KEYS or any(word in wire for word in _SECRET_WORDS)):
        return mask(value)
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _problem(shape: Shape, value: object) -> str | None:
    """Why `value` does not fit `shape`, or None."""
    kinds, allowed, minimum, maximum, max_length, max_items, item = shape
    given: object = value  # not narrowed by the checks below: for naming its type
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        # bool is an int to Python, never an integer or a number to an API.
        if kinds and "b" not in kinds:
            return f"expected {_expected(kinds)}, got a bool"
    elif isinstance(value, int):
        if "c" in kinds and item is not None:
            # One id for a comma-separated list: the wire form of a one-item list (`user_ids=5`).
            return _items_problem([value], max_items, item)
        if kinds and "i" not in kinds and "n" not in kinds:
            if "b" in kinds and value in (0, 1):
                return None  # 0 and 1 for a flag are what the wire carries anyway
            return f"expected {_expected(kinds)}, got an int"
    elif isinstance(value, float):
        if kinds and "n" not in kinds:
            return f"expected {_expected(kinds)}, got a float"
        if not math.isfinite(value):
            return "expected a finite number"
    elif isinstance(value, str):
        if "c" in kinds and item is not None:
            return _items_problem(value.split(","), max_items, item)
        if "j" in kinds:
            return _text_problem(value)
        if kinds and "s" not in kinds:
            return f"expected {_expected(kinds)}, got a str"
        problem = _text_problem(value)
        if problem is not None:
            return problem
        if max_length is not None and len(value) > max_length:
            return f"at most {max_length} characters, got {len(value)}"
    elif isinstance(value, Mapping) or attrs.has(type(value)):
        if kinds and "o" not in kinds:
            return f"expected {_expected(kinds)}, got {type(given).__name__}"
        return None
    elif isinstance(value, _SEQUENCES):
        if kinds and "a" not in kinds:
            return f"expected {_expected(kinds)}, got {type(given).__name__}"
        if item is None and max_items is None:
            return None
        return _items_problem(cast("Iterable[object]", value), max_items, item)
    elif kinds and "o" not in kinds and "a" not in kinds:
        # Files, dates and other objects: only where the spec leaves the type open.
        return f"expected {_expected(kinds)}, got {type(value).__name__}"
    else:
        return None
    if allowed is not None:
        values = _values(allowed)
        if value not in values:
            return f"expected one of {_listed(values)}"
    if isinstance(value, int | float):
        if minimum is not None and value < minimum:
            return f"expected at least {minimum:g}"
        if maximum is not None and value > maximum:
            return f"expected at most {maximum:g}"
    return None


def _items_problem(items: Iterable[object], max_items: int | None, item: object) -> str | None:
    sized: Sequence[object] = items if isinstance(items, list | tuple | range) else list(items)
    if max_items is not None and len(sized) > max_items:
        return f"at most {max_items} items, got {len(sized)}"
    if item is None:
        return None
    shape: Shape = item  # type: ignore[assignment]  # the generated table nests Shapes
    if _all_fit(shape, sized):
        return None
    for index, element in enumerate(sized):
        if element is None:
            return f"item {index} is None"
        problem = _problem(shape, element)
        if problem is not None:
            return f"item {index} ({_shown('', element)}): {problem}"
    return None


def _all_fit(shape: Shape, items: Sequence[object]) -> bool:
    """A fast yes for the usual lists (ids, field names): exact types, in C loops. False: look item by item."""
    kinds, allowed, minimum, maximum, max_length, _, _ = shape
    if minimum is not None or maximum is not None or max_length is not None:
        return False
    types = _EXACT_TYPES.get(kinds)
    if types is None:
        return False
    if allowed is not None:
        try:
            if not _values(allowed).issuperset(items):
                return False
        except TypeError:  # an unhashable item
            return False
    found = set(map(type, items))
    if not found <= types:
        return False
    if str not in found:
        return True
    if len(found) == 1:  # only strings: one C call checks them all
        return "".join(cast("Sequence[str]", items)).isascii()
    return all(text.isascii() for text in items if type(text) is str)


# The Python types that are exactly the JSON kinds (bool is not an int here; enum members take the long way).
_EXACT_TYPES: dict[str, frozenset[type]] = {
    "i": frozenset({int}),
    "n": frozenset({int, float}),
    "s": frozenset({str}),
    "b": frozenset({bool}),
    "is": frozenset({int, str}),
    "ns": frozenset({int, float, str}),
}


_ENUM_VALUES: dict[type[enum.Enum], frozenset[object]] = {}


def _values(allowed: frozenset[object] | type[enum.Enum]) -> frozenset[object]:
    """The allowed values: the set itself, or an Enum class's declared members' values (read once)."""
    if isinstance(allowed, frozenset):
        return allowed
    values = _ENUM_VALUES.get(allowed)
    if values is None:
        values = _ENUM_VALUES[allowed] = frozenset(member.value for member in allowed)
    return values


def _text_problem(text: str) -> str | None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            return f"not valid Unicode: a lone surrogate at position {error.start}"
    return None


_LISTED = 12


def _listed(values: frozenset[object]) -> str:
    """The allowed values for a message: all of a short list, the start of a long one."""
    shown = sorted(map(repr, values))
    if len(shown) <= _LISTED:
        return ", ".join(shown)
    return ", ".join(shown[:_LISTED]) + f", ... ({len(shown)} values)"


_KIND_NAMES = {"i": "an int", "n": "a number", "s": "a str", "b": "a bool", "a": "a sequence", "o": "a mapping"}


def _expected(kinds: str) -> str:
    return " or ".join(_KIND_NAMES[k] for k in kinds if k in _KIND_NAMES)


__all__ = ["Rule", "Shape", "check_arguments"]
