"""Turn the JSON Schema models of a spec into a small model IR, with datamodel-code-generator
as the parser.

datamodel-code-generator reads the schemas and builds its model graph (classes, enums, root
types, nested inline objects with parent-scoped names, allOf parents, field names made safe).
We walk that graph and keep what our templates need; the Python source is ours (Jinja), not
its output.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import json
import keyword
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datamodel_code_generator.model.enum import Enum as DmEnum
from datamodel_code_generator.parser.jsonschema import JsonSchemaParser

from codegen.spec.load import REF_PREFIX
from codegen.spec.model import Spec
from codegen.spec.naming import camel, enum_member, python_identifier

_SPECIAL = "#-datamodel-code-generator-#"
_BUILTIN_WORD = re.compile(r"\b(list|dict|str|int|float|bool)\b")
_PRIMITIVES = {"int": "int", "float": "float", "str": "str", "bool": "bool", "None": "None"}


@dataclass
class FieldIR:
    attr: str
    wire: str
    type: str
    required: bool

    @property
    def declared(self) -> str:
        """The attribute's annotation: an optional field may also be None (its default)."""
        if self.required or "None" in self.type.split(" | ") or self.type == "JSON":
            return self.type
        return f"{self.type} | None"


@dataclass
class ClassIR:
    name: str
    module: str
    source: str
    fields: list[FieldIR]
    refs: set[str] = field(default_factory=set)
    kind: str = "class"

    @property
    def ordered_fields(self) -> list[FieldIR]:
        """The fields in attribute order: the required ones first, then the optional ones."""
        return [f for f in self.fields if f.required] + [f for f in self.fields if not f.required]

    @property
    def renamed(self) -> list[FieldIR]:
        """The fields whose attribute name differs from their wire name (`from_` for `from`)."""
        return [f for f in self.ordered_fields if f.attr != f.wire]


@dataclass
class EnumIR:
    name: str
    module: str
    source: str
    base: str  # "int" | "str" | "flag"
    members: list[tuple[str, str]]
    refs: set[str] = field(default_factory=set)
    kind: str = "enum"


@dataclass
class AliasIR:
    name: str
    module: str
    source: str
    type: str
    refs: set[str] = field(default_factory=set)
    kind: str = "alias"
    # A tagged union: the property holding the tag and tag -> class name.
    discriminator: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


ModelIR = ClassIR | EnumIR | AliasIR


@dataclass
class ModelGraph:
    """Every model of one API, by class name, in a stable order."""

    models: dict[str, ModelIR]
    # spec model name -> class name
    names: dict[str, str]
    # spec model name -> its JSON Schema as written
    schemas: dict[str, Any] = field(default_factory=dict)

    def in_module(self, module: str) -> list[ModelIR]:
        return [m for m in self.models.values() if m.module == module]

    def class_of_ref(self, ref: str) -> str:
        return self.names[ref[len(REF_PREFIX) :]]


def _prepare(schema: Any) -> Any:
    """Adapt our schema extensions to what datamodel-code-generator understands."""
    if isinstance(schema, dict):
        out = {k: _prepare(v) for k, v in schema.items() if k not in ("x-enum-names", "discriminator", "prefixItems")}
        if "prefixItems" in schema:
            # A fixed-length array ([id, object]) is a list of the union of its items here;
            # method results, typed by codegen.types, get an exact tuple.
            out["items"] = {"anyOf": [_prepare(s) for s in schema["prefixItems"]]}
        if "properties" in schema and isinstance(schema.get("additionalProperties"), dict):
            # Known properties plus typed extras: the extras stay undeclared (ignored on decode).
            out.pop("additionalProperties", None)
        names = schema.get("x-enum-names")
        if isinstance(names, list) and "enum" in schema:
            values = schema["enum"]
            out["x-enum-varnames"] = [enum_member(v, n) for v, n in zip(values, names, strict=False)]
        return out
    if isinstance(schema, list):
        return [_prepare(v) for v in schema]
    return schema


def _clean_path(path: str) -> str:
    """`#/$defs/unit_item/pos#-datamodel...` -> `#/$defs/unit_item/pos`."""
    parts = [p.split(_SPECIAL)[0] for p in path.split("/")]
    return "/".join(p for p in parts if p != "")


def _root_name(path: str) -> str:
    return _clean_path(path)[len(REF_PREFIX) :].split("/")[0]


class _Builder:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.class_names: dict[str, str] = {}  # dmcg reference path -> our class name
        self.used: set[str] = set()
        self.by_path: dict[str, Any] = {}

    def parse(self) -> ModelGraph:
        document = {"$defs": {name: _prepare(copy.deepcopy(m.schema)) for name, m in self.spec.models.items()}}
        parser = JsonSchemaParser(
            json.dumps(document),
            snake_case_field=True,
            parent_scoped_naming=True,
            use_standard_collections=True,
            use_union_operator=True,
            capitalise_enum_members=True,
        )
        with warnings.catch_warnings():
            # It warns about formats it has no Python type for (number/int32); our own type
            # mapping (_primitive) decides those, so the warnings are noise in the output.
            warnings.filterwarnings("ignore", message="format of .* not understood", category=UserWarning)
            parser.parse_raw()
        results = [m for m in parser.results if _clean_path(m.reference.path).startswith(REF_PREFIX)]
        # Top-level definitions get the CamelCase of their spec name; nested ones keep the
        # parent-scoped name datamodel-code-generator gave them (UnitItemPos).
        by_path = {m.reference.path: m for m in results}
        self.by_path = by_path
        names: dict[str, str] = {}
        for name in self.spec.models:
            cls = self._unique(camel(name))
            self.class_names[REF_PREFIX + name] = cls
            names[name] = cls
        for model in results:
            if model.reference.path not in self.class_names:
                self.class_names[model.reference.path] = self._unique(model.class_name)
        graph: dict[str, ModelIR] = {}
        for model in sorted(results, key=lambda m: self.class_names[m.reference.path]):
            ir = self._convert(model, by_path)
            graph[ir.name] = ir
        return ModelGraph(models=graph, names=names, schemas={n: m.schema for n, m in self.spec.models.items()})

    def _unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.used or keyword.iskeyword(name):
            n += 1
            name = f"{base}{n}"
        self.used.add(name)
        return name

    def _module(self, path: str) -> str:
        return self.spec.models[_root_name(path)].module

    def _raw(self, path: str) -> Any:
        return self.spec.models[_root_name(path)].schema

    def _convert(self, model: Any, by_path: Mapping[str, Any]) -> ModelIR:
        path = model.reference.path
        name = self.class_names[path]
        module = self._module(path)
        source = _clean_path(path)[len(REF_PREFIX) :]
        if isinstance(model, DmEnum):
            return self._enum(model, name, module, source)
        kind = type(model).__name__
        if kind == "RootModel":
            refs: set[str] = set()
            expr = self._type(model.fields[0].data_type, refs)
            alias = AliasIR(name=name, module=module, source=source, type=expr, refs=refs)
            raw = self._raw(path) if _clean_path(path) == REF_PREFIX + source else None
            if isinstance(raw, dict) and isinstance(raw.get("discriminator"), dict):
                disc = raw["discriminator"]
                alias.discriminator = disc["propertyName"]
                alias.mapping = {
                    str(tag): self.class_names[ref] for tag, ref in sorted(disc.get("mapping", {}).items())
                }
            return alias
        fields: list[FieldIR] = []
        refs = set()
        seen: set[str] = set()
        for source_model in [*self._parents(model, by_path), model]:
            for f in source_model.fields:
                wire = f.original_name or f.name
                if wire in seen:
                    # A child redefines a parent's property: the child's definition wins.
                    fields = [x for x in fields if x.wire != wire]
                seen.add(wire)
                fields.append(
                    FieldIR(
                        attr=python_identifier(wire),
                        wire=wire,
                        type=self._type(f.data_type, refs),
                        required=bool(f.required),
                    )
                )
        if not fields and not self._parents(model, by_path):
            # A free-form object (`{type: object}`): a class with no fields would drop the data.
            return AliasIR(name=name, module=module, source=source, type="dict[str, JSON]")
        # Annotations are resolved with the class namespace as locals: an attribute named like a
        # builtin an annotation of the class uses (`list: list[X]`) would shadow it.
        shadowed = {word for f in fields for word in _BUILTIN_WORD.findall(f.type)}
        taken: set[str] = set()
        for f in fields:
            if f.attr in shadowed:
                f.attr = f"{f.attr}_"
            # Two wire names can share a snake_case form (imageGroup, image_group).
            while f.attr in taken:
                f.attr = f"{f.attr}_"
            taken.add(f.attr)
        return ClassIR(name=name, module=module, source=source, fields=fields, refs=refs)

    def _parents(self, model: Any, by_path: Mapping[str, Any]) -> list[Any]:
        """allOf parents, depth first, each once: their fields are flattened into the child."""
        out: list[Any] = []
        for base in model.base_classes:
            if base.reference is None or base.reference.path not in by_path:
                continue
            parent = by_path[base.reference.path]
            for p in [*self._parents(parent, by_path), parent]:
                if p not in out:
                    out.append(p)
        return out

    def _enum(self, model: Any, name: str, module: str, source: str) -> EnumIR:
        raw = self._raw(model.reference.path)
        flags = (
            isinstance(raw, dict) and _clean_path(model.reference.path) == REF_PREFIX + source and raw.get("x-flags")
        )
        members: list[tuple[str, str]] = []
        values: list[Any] = []
        for f in model.fields:
            value = f.default
            if isinstance(value, str):
                with contextlib.suppress(ValueError, SyntaxError):
                    value = ast.literal_eval(value)
            values.append(value)
            member = (
                f.name if f.name and f.name.isidentifier() and not f.name.startswith("_") else enum_member(value, None)
            )
            member = member.upper()
            members.append((f"{member}_" if member in ("O", "I", "L") else member, repr(value)))
        base = (
            "flag"
            if flags
            else ("int" if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else "str")
        )
        if base == "str":
            members = [(m, repr(str(ast.literal_eval(v)))) for m, v in members]
        # Member names must be unique once upper-cased.
        seen: dict[str, int] = {}
        unique: list[tuple[str, str]] = []
        for member, value in members:
            if member in seen:
                seen[member] += 1
                member = f"{member}_{seen[member]}"
            else:
                seen[member] = 1
            unique.append((member, value))
        return EnumIR(name=name, module=module, source=source, base=base, members=unique)

    def _type(self, dt: Any, refs: set[str], depth: int = 0) -> str:
        if dt.reference is not None:
            target = self.by_path.get(dt.reference.path)
            if target is not None and type(target).__name__ == "RootModel" and target.fields:
                # Aliases are inlined, so that nothing evaluated at import time crosses modules.
                if depth > 20:
                    return "JSON"
                expr = self._type(target.fields[0].data_type, refs, depth + 1)
                if getattr(dt, "is_optional", False) and expr != "JSON":
                    expr = _union([expr, "None"])
                return expr
            if (
                target is not None
                and not isinstance(target, DmEnum)
                and not target.fields
                and type(target).__name__ != "RootModel"
                and not self._parents(target, self.by_path)
            ):
                expr = "dict[str, JSON]"  # free-form object, see _convert
                return _union([expr, "None"]) if getattr(dt, "is_optional", False) else expr
            cls = self.class_names[dt.reference.path]
            refs.add(cls)
            expr = cls
        elif dt.data_types:
            inner = _union(self._type(d, refs, depth + 1) for d in dt.data_types)
            if dt.is_list:
                expr = f"list[{inner}]"
            elif dt.is_dict:
                expr = f"dict[str, {inner}]"
            else:
                expr = inner
        elif dt.literals:
            expr = "Literal[" + ", ".join(repr(v) for v in dt.literals) + "]"
        else:
            expr = _primitive(dt.type)
        if dt.is_list and not dt.data_types and dt.reference is None:
            expr = f"list[{expr}]"
        if getattr(dt, "is_optional", False) and expr != "JSON":
            expr = _union([expr, "None"])
        return expr


def _primitive(name: object) -> str:
    """Our type for datamodel-code-generator's scalar types, constrained ones included (conint -> int)."""
    if name in (None, "Any"):
        return "JSON"
    text = str(name)
    if text == "bytes":
        return "bytes"
    if text in _PRIMITIVES:
        return _PRIMITIVES[text]
    lowered = text.lower()
    for key in ("int", "float", "bool"):
        if key in lowered:
            return key
    # Other formats (date-time, uri, email, ...) stay text: real data is not always valid.
    return "str"


def _union(parts: Iterable[str]) -> str:
    out: list[str] = []
    for part in parts:
        for piece in _split_union(part):
            if piece not in out:
                out.append(piece)
    if "JSON" in out:
        return "JSON"
    if "None" in out:
        out = [p for p in out if p != "None"] + ["None"]
    return " | ".join(out)


def _split_union(expr: str) -> list[str]:
    """Split a top-level `A | B[C | D]` into its members."""
    depth, start, parts = 0, 0, []
    for i, ch in enumerate(expr):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(expr[start:i].strip())
            start = i + 1
    parts.append(expr[start:].strip())
    return parts


def build_graph(spec: Spec) -> ModelGraph:
    """The model IR of every model of `spec`."""
    if not spec.models:
        return ModelGraph(models={}, names={})
    return _Builder(spec).parse()
