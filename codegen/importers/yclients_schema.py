"""Turn YCLIENTS' OpenAPI 3.0 schemas into the JSON Schema subset of the spec format.

Only facts survive: types, formats, enums, properties, `required`, items, compositions, limits,
defaults. Prose (`description`, `title`, `example(s)`) and vendor keys are dropped. The upstream
document is hand-written and loose, so a few mechanical repairs are made on the way:

- misspelled or descriptive `type` values (`float`, `bool`, `Integer`, `Object`, `date`,
  `ISO 8601`, `array of strings`, `number / string / boolean`, ...) become JSON Schema types;
  an unknown one stops the import, so new upstream oddities are seen, not guessed;
- `nullable: true` becomes a type list with `"null"` (or an `anyOf` with `{"type": "null"}`
  when there is no `type` to extend);
- `required: true` on a property is lifted into the parent's `required` list; names in
  `required` that are not properties of the object are dropped;
- `properties: []` (an object of unknown shape) loses its `properties`;
- `items: [<schema>]` (a list) becomes that schema (several: an `anyOf`);
- formats that are not JSON Schema formats for the type are dropped (`date time` / `ISO 8601`
  are read as `date-time`, `HH:MM:SS` as `time`);
- siblings of a `$ref` are ignored, as OpenAPI 3.0 says;
- identifiers typed `number` (a property or parameter named `id` or `*_id`, and the items of
  `ids` / `*_ids` lists) become `integer`: the document types most ids as `number`, yet in every
  response example and real sample (over 5,000 id values) they are whole numbers, and an SDK
  that hands out `company_id=4564.0` is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from codegen.spec.errors import SpecError

# upstream `type` value -> (JSON Schema type or list of types, format, items type)
_TYPE_FIXES: dict[str, tuple[str | list[str], str | None, str | None]] = {
    "float": ("number", None, None),
    "double": ("number", None, None),
    "bool": ("boolean", None, None),
    "Integer": ("integer", None, None),
    "int": ("integer", None, None),
    "Object": ("object", None, None),
    "date": ("string", "date", None),
    "string <date>": ("string", "date", None),
    "ISO 8601": ("string", "date-time", None),
    "array of strings": ("array", None, "string"),
    "array of numbers": ("array", None, "number"),
    "number / string / boolean": (["number", "string", "boolean"], None, None),
}
_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_ID_NAME = re.compile(r"^(?:id|(?i:.+_id)|[a-z]+Id)$")
_IDS_NAME = re.compile(r"^(?:ids|.+_ids)(?:\[\])?$")

# Formats kept per type; other formats are prose-like hints and are dropped.
_FORMATS: dict[str, frozenset[str]] = {
    "string": frozenset({"date-time", "date", "time", "uuid", "email", "uri", "binary", "byte"}),
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
}
_FORMAT_FIXES = {"date time": "date-time", "ISO 8601": "date-time", "HH:MM:SS": "time"}

# Keywords copied as they are (after the recursive ones are converted).
_PLAIN = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
)
# Everything the converter understands; anything else must be prose or a vendor key.
_DROPPED = frozenset(
    {"description", "title", "example", "examples", "externalDocs", "xml", "readOnly", "writeOnly", "deprecated"}
)
_KNOWN = frozenset(
    {"$ref", "type", "format", "enum", "nullable", "properties", "required", "items", "additionalProperties"}
    | {"allOf", "oneOf", "anyOf", "not", "discriminator"}
    | set(_PLAIN)
    | _DROPPED
)


class SchemaError(SpecError):
    """The upstream document holds a schema the importer does not understand."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        super().__init__(source, 0, f"{where}: {reason}")


class SchemaConverter:
    """Converts one upstream schema tree; `ref` maps an upstream `$ref` to a model name."""

    def __init__(self, source: str, ref: Callable[[str, str], str]) -> None:
        self.source = source
        self.ref = ref

    def convert(self, node: Any, where: str) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise SchemaError(self.source, where, f"a schema must be an object, got {type(node).__name__}")
        if "$ref" in node:
            out: dict[str, Any] = {"$ref": "#/$defs/" + self.ref(node["$ref"], where)}
            return _nullable(out) if node.get("nullable") is True else out
        unknown = sorted(k for k in node if k not in _KNOWN and not k.startswith("x-"))
        if unknown:
            raise SchemaError(self.source, where, f"unknown schema keyword(s) {unknown}")
        out = {}
        type_, fmt, items_type = self._type(node.get("type"), where)
        if type_ is not None:
            out["type"] = type_
        fmt = self._format(node.get("format", fmt), type_)
        if fmt is not None:
            out["format"] = fmt
        if "enum" in node:
            out["enum"] = list(node["enum"])
            if "type" not in out:
                out["type"] = _enum_type(node["enum"])
        properties = node.get("properties")
        lifted: list[str] = []
        if isinstance(properties, dict) and properties:
            out["properties"] = {}
            for name, prop in properties.items():
                if isinstance(prop, dict) and prop.get("required") is True:
                    lifted.append(name)
                out["properties"][name] = integer_ids(name, self.convert(prop, f"{where}.{name}"))
        required = node.get("required")
        names = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        names += [n for n in lifted if n not in names]
        if names and "properties" in out:
            names = [n for n in names if n in out["properties"]]
        elif names and not any(k in node for k in ("allOf", "oneOf", "anyOf")):
            names = []
        if names:
            out["required"] = list(dict.fromkeys(names))
        if "items" in node:
            out["items"] = self._items(node["items"], f"{where}[]")
        elif items_type is not None:
            out["items"] = {"type": items_type}
        if "additionalProperties" in node:
            out["additionalProperties"] = self.convert(node["additionalProperties"], f"{where}.*")
        for key in ("allOf", "oneOf", "anyOf"):
            if key in node:
                out[key] = [self.convert(sub, f"{where}.{key}[{i}]") for i, sub in enumerate(node[key])]
        if "not" in node:
            out["not"] = self.convert(node["not"], f"{where}.not")
        if isinstance(node.get("discriminator"), dict):
            disc = node["discriminator"]
            out["discriminator"] = {"propertyName": disc["propertyName"]}
            if "mapping" in disc:
                out["discriminator"]["mapping"] = {
                    key: "#/$defs/" + self.ref(value, f"{where}.discriminator")
                    for key, value in disc["mapping"].items()
                }
        for key in _PLAIN:
            if key in node:
                out[key] = node[key]
        if node.get("nullable") is True:
            out = _nullable(out)
        return out

    def _type(self, raw: Any, where: str) -> tuple[str | list[str] | None, str | None, str | None]:
        if raw is None:
            return None, None, None
        if isinstance(raw, str) and raw in _TYPES:
            return raw, None, None
        if isinstance(raw, str) and raw in _TYPE_FIXES:
            return _TYPE_FIXES[raw]
        raise SchemaError(self.source, where, f"unknown type {raw!r}")

    def _items(self, raw: Any, where: str) -> Any:
        if isinstance(raw, list):
            converted = [self.convert(sub, f"{where}[{i}]") for i, sub in enumerate(raw)]
            if not converted:
                return {}
            return converted[0] if len(converted) == 1 else {"anyOf": converted}
        return self.convert(raw, where)

    @staticmethod
    def _format(fmt: Any, type_: str | list[str] | None) -> str | None:
        if not isinstance(fmt, str) or not isinstance(type_, str):
            return None
        fmt = _FORMAT_FIXES.get(fmt, fmt)
        return fmt if fmt in _FORMATS.get(type_, frozenset()) else None


def integer_ids(name: str, schema: Any) -> Any:
    """`schema` with `number` made `integer` when `name` names an id (`id`, `*_id`) or a list of ids."""
    if not isinstance(schema, dict):
        return schema
    if _ID_NAME.match(name):
        return _integer(schema)
    if _IDS_NAME.match(name) and isinstance(schema.get("items"), dict):
        return {**schema, "items": _integer(schema["items"])}
    return schema


def _integer(schema: dict[str, Any]) -> dict[str, Any]:
    type_ = schema.get("type")
    if type_ == "number":
        type_ = "integer"
    elif isinstance(type_, list) and "number" in type_:
        type_ = ["integer" if t == "number" else t for t in type_]
    else:
        return schema
    out = {**schema, "type": type_}
    out.pop("format", None)  # float / double describe the number, not the integer
    return out


def _enum_type(values: list[Any]) -> str | list[str]:
    kinds: list[str] = []
    for value in values:
        if isinstance(value, bool):
            kind = "boolean"
        elif isinstance(value, int):
            kind = "integer"
        elif isinstance(value, float):
            kind = "number"
        elif value is None:
            kind = "null"
        else:
            kind = "string"
        if kind not in kinds:
            kinds.append(kind)
    return kinds[0] if len(kinds) == 1 else kinds


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Allow `null` besides what `schema` allows."""
    type_ = schema.get("type")
    if isinstance(type_, str) and "$ref" not in schema:
        out = dict(schema)
        out["type"] = [type_, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    if isinstance(type_, list):
        out = dict(schema)
        if "null" not in type_:
            out["type"] = [*type_, "null"]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


_KEY_ORDER = (
    "$ref",
    "type",
    "format",
    "enum",
    "x-enum-names",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "discriminator",
    *_PLAIN,
)


def ordered(schema: Any) -> Any:
    """The same schema with keywords in one canonical order (properties keep upstream order)."""
    if isinstance(schema, list):
        return [ordered(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key in _KEY_ORDER:
        if key in schema:
            value = schema[key]
            if key == "properties":
                value = {name: ordered(sub) for name, sub in value.items()}
            elif key in ("items", "additionalProperties", "not", "allOf", "oneOf", "anyOf"):
                value = ordered(value)
            out[key] = value
    for key in schema:
        if key not in out:
            out[key] = schema[key]
    return out
