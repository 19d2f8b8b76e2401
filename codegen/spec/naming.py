"""Python names derived from wire names, the same way everywhere."""

from __future__ import annotations

import keyword
import re

_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
# Names that would shadow something a generated class or method needs.
_RESERVED = {"self", "cls", "client", "options"} | set(keyword.kwlist) | set(keyword.softkwlist)
# Single letters that read like digits (l, O, I): linters reject them as names.
_AMBIGUOUS = {"l", "O", "I"}


def snake(name: str) -> str:
    """`getConversations` -> `get_conversations`, `totalItemsCount` -> `total_items_count`."""
    text = _NOT_IDENT.sub("_", name)
    text = _BOUNDARY.sub("_", text).lower()
    return re.sub(r"_+", "_", text).strip("_") or "_"


def python_identifier(wire: str, *, reserved: frozenset[str] | set[str] = frozenset()) -> str:
    """A safe attribute or parameter name for a wire name.

    Keywords and reserved names get a trailing underscore (`from` -> `from_`, `self` -> `self_`);
    names starting with a digit get a `field_` prefix (`2fa_required` -> `field_2fa_required`).
    """
    name = snake(wire)
    if name[0].isdigit():
        name = f"field_{name}"
    if name in _RESERVED or name in reserved or name in _AMBIGUOUS:
        name = f"{name}_"
    return name


def camel(name: str) -> str:
    """`users_user_full` -> `UsersUserFull`; `prettyCards_card` -> `PrettyCardsCard`."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", _BOUNDARY.sub("_", name)) if p]
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    if text[0].isdigit():
        text = f"M{text}"
    return text


def enum_member(value: object, given: str | None) -> str:
    """An UPPER_CASE enum member name from `x-enum-names` or the value itself."""
    raw = given if given else str(value)
    name = re.sub(r"_+", "_", _NOT_IDENT.sub("_", _BOUNDARY.sub("_", raw))).strip("_").upper()
    if not name:
        name = "EMPTY"
    if name[0].isdigit() or (isinstance(value, int) and not given):
        name = f"VALUE_{name}".replace("-", "MINUS_")
    if name in _AMBIGUOUS:
        name += "_"
    return name
