"""Per-method argument check tables: what a spec says about each parameter, as data for the runtime.

`checks_literal` turns a method's parameters into the `checks=` argument of its MethodSpec: a tuple
of `Rule`s read by `apiforge.core.checks.check_arguments` (the layout is documented there). Only
facts the spec states go in: required, JSON types, enums (of scalar parameters), minimum/maximum,
maxItems, maxLength.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codegen.spec.model import Method, Spec

EnumClass = Callable[[str], "str | None"]
"""The generated enum class a `$ref` names (imported by the method module), or None when it is no enum."""

_KINDS = {"integer": "i", "number": "n", "string": "s", "boolean": "b", "array": "a", "object": "o"}
_ORDER = "bnisaocj"
_VALUE_KINDS = {bool: "b", int: "i", float: "n", str: "s"}
_MAX_REF_DEPTH = 8


def checks_literal(method: Method, spec: Spec, encodings: dict[str, str], enum_class: EnumClass) -> str | None:
    """The Python text of the method's rule table, or None when no parameter has anything to check.

    Enums the models define are named by their class (the runtime reads its members once); enums
    written inline in a parameter become a frozenset literal.
    """
    rules: list[str] = []
    for param in method.params:
        # A file part is bytes, a path or a file object, whatever its schema says the wire carries.
        file = param.location == "file"
        shape = None if file else _shape(param.schema, spec, encodings.get(param.name, "plain"), 0, enum_class)
        if shape is None and not param.required:
            continue
        name = param.attr if param.attr != param.name else ""
        rules.append(f"({param.name!r}, {name!r}, {param.required!r}, {_render(shape)})")
    if not rules:
        return None
    return "(" + ", ".join(rules) + ",)"


class _Name(str):
    """A class name, rendered as code rather than as a string."""


Shape = tuple[str, "list[Any] | _Name | None", Any, Any, Any, Any, Any]


def _shape(schema: Any, spec: Spec, encoding: str, depth: int, enum_class: EnumClass) -> Shape | None:
    """The checkable facts of `schema`, or None when it allows anything (or says too little to check)."""
    if not isinstance(schema, dict) or not schema or depth > _MAX_REF_DEPTH:
        return None
    if "$ref" in schema:
        model = spec.models.get(str(schema["$ref"]).split("/")[-1])
        if model is None:
            return None
        target = model.schema
        if isinstance(target, dict) and target.get("x-flags"):
            # A bit set: any combination of the flags is valid, so only the type is checked.
            return (_kinds(target), None, None, None, None, None, None) if _kinds(target) else None
        cls = enum_class(str(schema["$ref"]))
        if cls is not None and isinstance(target, dict) and _kinds(target):
            return (_kinds(target), _Name(cls), None, None, None, None, None)
        return _shape(target, spec, encoding, depth + 1, enum_class)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _shape(schema["allOf"][0], spec, encoding, depth + 1, enum_class)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            parts = [_shape(s, spec, encoding, depth + 1, enum_class) for s in schema[key]]
            if any(p is None for p in parts):
                return None
            kinds = "".join(sorted({k for p in parts if p is not None for k in p[0]}, key=_ORDER.index))
            return (kinds, None, None, None, None, None, None)
    kinds = _kinds(schema)
    if not kinds:
        return None
    if schema.get("type") == "string" and schema.get("format") == "binary":
        return None  # a file: bytes, a path or a file object
    enum = schema.get("enum")
    allowed = list(enum) if isinstance(enum, list) and enum and None not in enum else None
    if allowed is not None:
        # The values decide, as they do for the signature's Literal (`background_id`: "string" of 1, 2, 3...).
        kinds = "".join(sorted({_VALUE_KINDS[type(v)] for v in allowed if type(v) in _VALUE_KINDS}, key=_ORDER.index))
    item = None
    if "a" in kinds:
        item = _shape(schema.get("items"), spec, "plain", depth + 1, enum_class)
        if item is not None:
            # Items are checked for type and range, not against an enum: lists of names (VK `fields`)
            # are open-ended on the server, which ignores a name it does not know, and the specs'
            # lists lag behind what the APIs accept (`first_name` is missing from `users_fields`).
            item = (item[0], None, *item[2:])
        if encoding == "csv":
            kinds += "c"
        elif encoding == "json":
            kinds += "j"
    return (
        kinds,
        allowed,
        schema.get("minimum"),
        schema.get("maximum"),
        schema.get("maxLength"),
        schema.get("maxItems"),
        item,
    )


def _kinds(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    names = kind if isinstance(kind, list) else [kind]
    letters = {_KINDS[n] for n in names if isinstance(n, str) and n in _KINDS}
    if not letters or any(isinstance(n, str) and n not in _KINDS and n != "null" for n in names):
        return ""
    return "".join(sorted(letters, key=_ORDER.index))


def _render(shape: Shape | None) -> str:
    if shape is None:
        return "None"
    kinds, allowed, minimum, maximum, max_length, max_items, item = shape
    enum = "None"
    if isinstance(allowed, _Name):
        enum = str(allowed)
    elif allowed is not None:
        # Sorted by repr: a frozenset's own order changes from run to run, the generated text must not.
        enum = "frozenset({" + ", ".join(sorted(repr(v) for v in allowed)) + "})"
    fields = [repr(kinds), enum, repr(minimum), repr(maximum), repr(max_length), repr(max_items), _render(item)]
    return "(" + ", ".join(fields) + ")"


__all__ = ["checks_literal"]
