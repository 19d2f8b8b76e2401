"""Instances of a spec's JSON Schema: a small, deterministic generator (no hypothesis-jsonschema).

    instances(schema, defs)   # -> [minimal, full, full with the other choices]

It reads the schemas as the specs hold them (`$ref: "#/$defs/<model>"`, allOf, oneOf/anyOf with an
optional discriminator, enums, type lists, min/max, additionalProperties) and makes three values:

0. minimal: required properties only, arrays of `max(minItems, 1)` items, the first of every choice;
1. full: every property, the first of every choice (enum value, union member, type of a list);
2. full, with the second of every choice where there is one, arrays of two items where allowed.

Deeper than `FULL_DEPTH` only required properties are filled, and deeper than `ARRAY_DEPTH` arrays
hold `minItems` items, so that recursive models (a comment's thread of comments) end.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

REF = "#/$defs/"
FULL_DEPTH = 3
ARRAY_DEPTH = 5
MAX_DEPTH = 40
VARIANTS = 3


class SchemaInstanceError(ValueError):
    """The schema holds something this generator cannot make a value for."""


def instances(schema: Any, defs: Mapping[str, Any]) -> list[Any]:
    """The three instances of `schema` (see the module docs); `defs` resolves `$ref`s."""
    return [_Generator(defs, variant).value(schema, 0, "$") for variant in range(VARIANTS)]


class _Generator:
    def __init__(self, defs: Mapping[str, Any], variant: int) -> None:
        self.defs = defs
        self.full = variant > 0
        self.choice = 1 if variant == 2 else 0

    def pick(self, options: list[Any]) -> Any:
        return options[min(self.choice, len(options) - 1)]

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and set(schema) == {"$ref"}:
            schema = self.defs[schema["$ref"][len(REF) :]]
            seen += 1
            if seen > 50:
                raise SchemaInstanceError("a cycle of $ref aliases")
        return schema

    def value(self, schema: Any, depth: int, path: str) -> Any:
        if depth > MAX_DEPTH:
            raise SchemaInstanceError(f"{path}: deeper than {MAX_DEPTH} (a model that requires itself?)")
        schema = self.resolve(schema)
        if schema is True or schema == {}:  # any JSON value
            return self.pick([{"any": 1}, 1])
        if not isinstance(schema, dict):
            raise SchemaInstanceError(f"{path}: not a schema: {schema!r}")
        if "$ref" in schema:  # a $ref with siblings: the target, narrowed by nothing we use
            return self.value({"$ref": schema["$ref"]}, depth, path)
        if "enum" in schema:
            return self.pick(list(schema["enum"]))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.choose(schema, schema[key], depth, path)
        if "allOf" in schema:
            return self.object(self.flatten(schema), depth, path)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = self.pick(list(kind))
        if kind is None:
            kind = "object" if "properties" in schema or "additionalProperties" in schema else None
        if kind == "object":
            return self.object(schema, depth, path)
        if kind == "array":
            return self.array(schema, depth, path)
        if kind == "integer":
            return self.integer(schema)
        if kind == "number":
            return float(self.integer(schema)) + 0.5 if "maximum" not in schema else float(schema["maximum"])
        if kind == "string":
            return self.string(schema)
        if kind == "boolean":
            return self.choice == 0
        if kind == "null":
            return None
        raise SchemaInstanceError(f"{path}: no type in {schema!r}")

    def choose(self, schema: dict[str, Any], members: list[Any], depth: int, path: str) -> Any:
        member = self.pick(members)
        out = self.value(member, depth, path)
        disc = schema.get("discriminator")
        if disc and isinstance(out, dict) and isinstance(member, dict) and "$ref" in member:
            tags = [tag for tag, ref in sorted(disc.get("mapping", {}).items()) if ref == member["$ref"]]
            if tags:
                out[disc["propertyName"]] = tags[0]
        return out

    def flatten(self, schema: dict[str, Any]) -> dict[str, Any]:
        """allOf parents merged into one object schema: parents first, a redefinition wins."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        additional: Any = None

        def merge(part: Any) -> None:
            nonlocal additional
            part = self.resolve(part)
            for parent in part.get("allOf", ()):
                merge(parent)
            for name, sub in part.get("properties", {}).items():
                properties.pop(name, None)
                properties[name] = sub
            required.extend(r for r in part.get("required", ()) if r not in required)
            if "additionalProperties" in part:
                additional = part["additionalProperties"]

        merge(schema)
        out: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if additional is not None:
            out["additionalProperties"] = additional
        return out

    def object(self, schema: dict[str, Any], depth: int, path: str) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        every = self.full and depth < FULL_DEPTH
        out: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or every:
                out[name] = self.value(sub, depth + 1, f"{path}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and every:
            out.setdefault("1", self.value(extra, depth + 1, f"{path}.1"))
        return out

    def array(self, schema: dict[str, Any], depth: int, path: str) -> list[Any]:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        # Deep down only what minItems demands, so that recursive models end.
        count = low if depth >= ARRAY_DEPTH else max(low, 2 if self.choice else 1)
        if high is not None:
            count = min(count, int(high))
        items = schema.get("items", {})
        if isinstance(items, list):  # a tuple: one value per position
            return [self.value(sub, depth + 1, f"{path}[{i}]") for i, sub in enumerate(items)]
        return [copy.deepcopy(self.value(items, depth + 1, f"{path}[{i}]")) for i in range(count)]

    def integer(self, schema: dict[str, Any]) -> int:
        low = schema.get("minimum")
        high = schema.get("maximum")
        value = int(low) if low is not None else 1
        if self.choice:
            value = int(high) if high is not None else value + 1
        if high is not None and value > high:
            value = int(high)
        return value

    def string(self, schema: dict[str, Any]) -> str:
        if schema.get("format") == "uri":
            return "https://vk.com/x" if self.choice == 0 else "https://vk.com/y"
        low = int(schema.get("minLength", 1))
        high = int(schema.get("maxLength", max(low, 1)))
        return ("x" if self.choice == 0 else "y") * max(1, min(low, high))
