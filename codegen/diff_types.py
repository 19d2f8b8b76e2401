"""Comparing the type expressions of the generated code, for `python -m codegen diff`.

Two spellings of one type are no change: `Literal[1, 2, 0]` and `Literal[0, 1, 2]`, `int | str`
and `str | int` (upstream reorders enums between releases). A parameter type that accepts all it
accepted before and more (`Literal['a']` -> `Literal['a', 'b']`, `int` -> `int | str`) is
*widened*: code that passed the old values still type-checks, so the change is not breaking.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _Type:
    """A parsed type: a name with arguments (`Sequence[int]`), a union, or Literal values."""

    name: str  # "|" for a union, "Literal" for literal values
    args: tuple[_Type, ...] = ()
    values: frozenset[str] = frozenset()


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets and quotes."""
    parts: list[str] = []
    depth, quote, start, i = 0, "", 0, 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse(text: str) -> _Type:
    """Parse a type expression as the generator writes it (`A | B`, `X[...]`, `Literal[...]`)."""
    alternatives = _split(text.strip(), " | ")
    if len(alternatives) > 1:
        flat: set[_Type] = set()
        for alternative in alternatives:
            node = parse(alternative)
            flat.update(node.args if node.name == "|" else (node,))
        return _Type("|", tuple(sorted(flat, key=repr)))
    text = alternatives[0]
    if text.startswith("(") and text.endswith(")"):
        return parse(text[1:-1])
    if "[" not in text or not text.endswith("]"):
        return _Type(text)
    name, _, inner = text[:-1].partition("[")
    if name.strip() in ("Literal", "typing.Literal"):
        return _Type("Literal", values=frozenset(_split(inner, ",")))
    return _Type(name.strip(), tuple(parse(arg) for arg in _split(inner, ",")))


def _alternatives(node: _Type) -> list[_Type]:
    """A union's members, with a Literal of several values as one member per value."""
    out: list[_Type] = []
    for member in node.args if node.name == "|" else (node,):
        if member.name == "Literal":
            out.extend(_Type("Literal", values=frozenset({value})) for value in member.values)
        else:
            out.append(member)
    return out


def _covers(new: _Type, old: _Type) -> bool:
    """Does every value of `old` belong to `new`?"""
    return all(any(_member_covers(n, o) for n in _alternatives(new)) for o in _alternatives(old))


def _member_covers(new: _Type, old: _Type) -> bool:
    if new == old:
        return True
    if new.name == "Literal" and old.name == "Literal":
        return old.values <= new.values
    if new.name == old.name and new.name not in ("|", "Literal") and len(new.args) == len(old.args) > 0:
        return all(_covers(n, o) for n, o in zip(new.args, old.args, strict=True))
    return False


def same(old: str, new: str) -> bool:
    """Are two type expressions the same type (up to the order of union members and Literal values)?"""
    return old == new or parse(old) == parse(new)


def widens(old: str, new: str) -> bool:
    """Does `new` accept every value `old` accepts (a parameter type that only grew)?"""
    return _covers(parse(new), parse(old))


__all__ = ["parse", "same", "widens"]
