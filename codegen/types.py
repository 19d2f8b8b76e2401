"""Python type expressions for the schemas of parameters and results (models go through models.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.models import AliasIR, EnumIR, ModelGraph, _union
from codegen.spec.load import REF_PREFIX

_SCALARS = {"integer": "int", "number": "float", "string": "str", "boolean": "bool", "null": "None"}
_MAX_LITERALS = 40


@dataclass
class TypeContext:
    graph: ModelGraph
    refs: set[str] = field(default_factory=set)
    typing: set[str] = field(default_factory=set)


def _ref(ctx: TypeContext, ref: str, *, for_input: bool) -> str:
    cls = ctx.graph.class_of_ref(ref)
    model = ctx.graph.models[cls]
    if isinstance(model, AliasIR):
        raw = ctx.graph.schemas.get(model.source)
        if isinstance(raw, dict) and "prefixItems" in raw and not for_input:
            return type_of(raw, ctx, for_input=False)  # an exact tuple, which the model graph cannot say
        ctx.refs.update(model.refs)
        return model.type
    ctx.refs.add(cls)
    if for_input and isinstance(model, EnumIR) and model.base != "flag" and len(model.members) <= _MAX_LITERALS:
        ctx.typing.add("Literal")
        return f"{cls} | Literal[{', '.join(v for _, v in model.members)}]"
    if for_input and isinstance(model, EnumIR):
        return f"{cls} | {'str' if model.base == 'str' else 'int'}"
    return cls


def type_of(schema: Any, ctx: TypeContext, *, for_input: bool) -> str:
    """The type of a value described by `schema`; inputs accept any sequence for arrays."""
    if schema is True or schema == {} or not isinstance(schema, dict):
        return "JSON"
    if "$ref" in schema:
        return _ref(ctx, schema["$ref"], for_input=for_input)
    if schema.get("enum"):
        values = schema["enum"]
        if all(isinstance(v, str | int) and not isinstance(v, bool) for v in values) and len(values) <= _MAX_LITERALS:
            ctx.typing.add("Literal")
            return f"Literal[{', '.join(repr(v) for v in values)}]"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return _union(type_of(s, ctx, for_input=for_input) for s in schema[key])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0], ctx, for_input=for_input)
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union(type_of({**schema, "type": k}, ctx, for_input=for_input) for k in kind)
    if kind == "array" and "prefixItems" in schema and not for_input:
        parts = [type_of(s, ctx, for_input=False) for s in schema["prefixItems"]]
        return f"tuple[{', '.join(parts)}]"
    if kind == "array":
        item = type_of(schema.get("items", {}), ctx, for_input=for_input)
        if for_input:
            ctx.typing.add("Sequence")
            return f"Sequence[{item}]"
        return f"list[{item}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        value = type_of(extra, ctx, for_input=for_input) if isinstance(extra, dict) and extra else "JSON"
        if for_input:
            ctx.typing.add("Mapping")
            return f"Mapping[str, {value}]"
        return f"dict[str, {value}]"
    if kind == "string" and schema.get("format") == "binary":
        if not for_input:
            return "bytes"
        ctx.typing.add("FileInput")
        return "FileInput"
    if isinstance(kind, str) and kind in _SCALARS:
        if kind == "number" and for_input:
            return "float | int"
        return _SCALARS[kind]
    return "JSON"


def facts(schema: Any) -> str:
    """Short factual notes on a schema for docstrings: ranges, sizes, formats, defaults."""
    if not isinstance(schema, dict):
        return ""
    notes = []
    if "minimum" in schema and "maximum" in schema:
        notes.append(f"{schema['minimum']}..{schema['maximum']}")
    elif "minimum" in schema:
        notes.append(f">= {schema['minimum']}")
    elif "maximum" in schema:
        notes.append(f"<= {schema['maximum']}")
    if "maxItems" in schema:
        notes.append(f"at most {schema['maxItems']} items")
    if "minItems" in schema:
        notes.append(f"at least {schema['minItems']} items")
    if "maxLength" in schema:
        notes.append(f"at most {schema['maxLength']} characters")
    if schema.get("format") and schema.get("type") != "boolean":
        notes.append(f"format {schema['format']}")
    if "default" in schema:
        notes.append(f"server default {schema['default']!r}")
    return ", ".join(notes)


def ref_name(ref: str) -> str:
    return ref[len(REF_PREFIX) :]
