"""Read `specs/yclients/overlay.yaml` and apply its corrections.

The overlay is hand-written and holds what the OpenAPI document lacks or gets wrong:

- `api`, `errors`: the API header and the status-code error table, copied into `api.yaml` and
  `errors.yaml`;
- `groups`: English group name -> the model module its models go into;
- `operations`: wire name (`"GET /api/v1/companies"`) -> `{group, name}` plus optional facts:
  `token_kinds`, `idempotent`, `body` (a schema replacing the request body, or `null` for none),
  `flat`, `files` (multipart parts that are files), `params` (per wire name: `encoding`,
  `python_name`, `required`), `pagination` (merged into the detected one, or `false`; `items` names
  the array property of an object result that holds a page's items),
  `result` (a schema replacing the result), `http_status`;
- `enum_names`: `{model, path, names}` -> `x-enum-names` at `path` inside a model;
- `corrections`: model or method fixes found against real responses:
  `{model: <name> | method: <wire name>, path: <a/b/c or list>, set: {key: value}}` and/or
  `remove: [key, ...]`, or `or: <schema>`: the value at `path` may also be <schema> (it becomes
  `anyOf: [<what it was>, <schema>]`; e.g. `{type: array, maxItems: 0}` for an object PHP sends
  as `[]` when it is empty), or `map: true`: the object's property names are data (dates, months,
  timestamps copied from an example), so it becomes a map whose values have the properties' shape.
- `blueprint_models`: model name -> schema (spec format) for the operations below;
- `blueprint_operations`: operations the OpenAPI document lacks but YCLIENTS' API Blueprint
  (`yclientsru.apib`) documents: wire name -> `{group, name, tag, token_kinds, params, result}`
  plus optional `body` (`{schema, required, flat}`), `idempotent`, `http_status`. `tag` is the
  Blueprint's group; `params` are spec parameters (`{name, schema, required, in}`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from codegen.spec.errors import SpecError
from codegen.spec.load import fail

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_OPERATION_KEYS = frozenset(
    {
        "group",
        "name",
        "token_kinds",
        "idempotent",
        "body",
        "flat",
        "files",
        "params",
        "pagination",
        "result",
        "http_status",
        "omit",
        "list_form",
    }
)
_PARAM_KEYS = frozenset({"encoding", "python_name", "required"})
_BLUEPRINT_KEYS = frozenset(
    {"group", "name", "tag", "token_kinds", "params", "result", "body", "idempotent", "http_status"}
)
_BLUEPRINT_REQUIRED = frozenset({"group", "name", "tag", "token_kinds", "result"})
_WIRE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) /api/v1/\S*$")
_TOKEN_KINDS = frozenset({"partner", "user"})


@dataclass
class Overlay:
    path: Path
    api: dict[str, Any]
    errors: list[dict[str, Any]]
    groups: dict[str, dict[str, Any]]
    operations: dict[str, dict[str, Any]]
    enum_names: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    blueprint_models: dict[str, Any] = field(default_factory=dict)
    blueprint_operations: dict[str, dict[str, Any]] = field(default_factory=dict)

    def error(self, pointer: Sequence[str | int], reason: str) -> SpecError:
        return fail(self.path, list(pointer), reason)


def read_overlay(path: Path) -> Overlay:
    if not path.is_file():
        raise SpecError(str(path), 0, "the YCLIENTS overlay is missing (it names every operation)")
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    if not isinstance(raw, dict):
        raise SpecError(str(path), 1, "the overlay must be a mapping")
    sections = {"api", "errors", "groups", "operations", "enum_names", "corrections"}
    unknown = sorted(set(raw) - sections - {"blueprint_models", "blueprint_operations"})
    if unknown:
        raise fail(path, [unknown[0]], f"unknown overlay section {unknown[0]!r}")
    overlay = Overlay(
        path=path,
        api=dict(raw.get("api") or {}),
        errors=list(raw.get("errors") or []),
        groups=dict(raw.get("groups") or {}),
        operations=dict(raw.get("operations") or {}),
        enum_names=list(raw.get("enum_names") or []),
        corrections=list(raw.get("corrections") or []),
        blueprint_models=dict(raw.get("blueprint_models") or {}),
        blueprint_operations=dict(raw.get("blueprint_operations") or {}),
    )
    _check(overlay)
    _check_blueprint(overlay)
    return overlay


def _check(overlay: Overlay) -> None:
    if not overlay.api:
        raise overlay.error(["api"], "the overlay needs the 'api' header")
    for name, info in overlay.groups.items():
        if not IDENTIFIER.match(str(name)):
            raise overlay.error(["groups", name], f"group name {name!r} is not a snake_case identifier")
        if not isinstance(info, dict) or not IDENTIFIER.match(str(info.get("module", ""))):
            raise overlay.error(["groups", name], "a group needs `module: <identifier>`")
    for wire, entry in overlay.operations.items():
        at: list[str | int] = ["operations", wire]
        if not isinstance(entry, dict):
            raise overlay.error(at, "an operation entry must be a mapping")
        unknown = sorted(set(entry) - _OPERATION_KEYS)
        if unknown:
            raise overlay.error([*at, unknown[0]], f"unknown key {unknown[0]!r}")
        _check_name(overlay, at, wire, entry)
        form: object = entry.get("list_form")
        if form is not None and not _is_list_form(form):
            raise overlay.error([*at, "list_form"], f"{wire}: list_form is {{name: <snake_case method>, reason: ...}}")
        if form is not None and not re.search(r"/\{\w+\}$", wire):
            raise overlay.error([*at, "list_form"], f"{wire}: list_form needs a route ending in a path parameter")
        if "omit" in entry and (not isinstance(entry["omit"], str) or not entry["omit"].strip()):
            raise overlay.error([*at, "omit"], f"{wire}: omit must give the reason (a string)")
        kinds = entry.get("token_kinds")
        if kinds is not None and (not isinstance(kinds, list) or not set(kinds) <= _TOKEN_KINDS):
            raise overlay.error([*at, "token_kinds"], f"token_kinds must be a list of {sorted(_TOKEN_KINDS)}")
        for pname, pinfo in (entry.get("params") or {}).items():
            if not isinstance(pinfo, dict) or set(pinfo) - _PARAM_KEYS:
                raise overlay.error([*at, "params", pname], f"parameter overrides may set {sorted(_PARAM_KEYS)}")
    for index, item in enumerate(overlay.enum_names):
        if not isinstance(item, dict) or set(item) != {"model", "path", "names"}:
            raise overlay.error(["enum_names", index], "an enum_names entry is {model, path, names}")
    for index, item in enumerate(overlay.corrections):
        if not isinstance(item, dict) or len({"model", "method"} & set(item)) != 1:
            raise overlay.error(["corrections", index], "a correction names exactly one `model` or `method`")
        ops = {"set", "remove", "or", "map"}
        if set(item) - {"model", "method", "path", *ops} or not (ops & set(item)):
            raise overlay.error(["corrections", index], "a correction is {model|method, path, set/remove/or/map}")


def _is_list_form(form: object) -> bool:
    """`{name: <snake_case method>, reason: <evidence>}`."""
    if not isinstance(form, dict):
        return False
    keys = cast("dict[object, object]", form)
    return set(keys) == {"name", "reason"} and bool(IDENTIFIER.match(str(keys["name"]))) and bool(keys["reason"])


def _check_name(overlay: Overlay, at: list[str | int], wire: str, entry: Mapping[str, Any]) -> None:
    for key in ("group", "name"):
        value = entry.get(key)
        if not isinstance(value, str) or not IDENTIFIER.match(value) or not value.isascii():
            raise overlay.error([*at, key], f"{wire}: {key} must be an English snake_case identifier, got {value!r}")
    if entry["group"] not in overlay.groups:
        raise overlay.error([*at, "group"], f"{wire}: group {entry['group']!r} is not listed under 'groups'")


def _check_blueprint(overlay: Overlay) -> None:
    for name, schema in overlay.blueprint_models.items():
        if not isinstance(schema, dict):
            raise overlay.error(["blueprint_models", name], f"model {name!r} must be a schema mapping")
    for wire, entry in overlay.blueprint_operations.items():
        at: list[str | int] = ["blueprint_operations", wire]
        if not _WIRE.match(str(wire)):
            raise overlay.error(at, f"{wire!r} is not a wire name like 'GET /api/v1/<path>'")
        if wire in overlay.operations:
            raise overlay.error(at, f"{wire!r} is also under operations: an operation comes from one document")
        if not isinstance(entry, dict):
            raise overlay.error(at, "a blueprint operation entry must be a mapping")
        unknown = sorted(set(entry) - _BLUEPRINT_KEYS)
        if unknown:
            raise overlay.error([*at, unknown[0]], f"unknown key {unknown[0]!r}")
        missing = sorted(_BLUEPRINT_REQUIRED - set(entry))
        if missing:
            raise overlay.error(at, f"{wire}: a blueprint operation needs {missing[0]!r}")
        _check_name(overlay, at, wire, entry)
        kinds = entry["token_kinds"]
        if not isinstance(kinds, list) or not kinds or not set(kinds) <= _TOKEN_KINDS:
            raise overlay.error([*at, "token_kinds"], f"token_kinds must be a list of {sorted(_TOKEN_KINDS)}")
        for index, param in enumerate(entry.get("params") or []):
            if not isinstance(param, dict) or not {"name", "schema", "in"} <= set(param):
                raise overlay.error([*at, "params", index], "a parameter is {name, schema, required, in}")
        body = entry.get("body")
        if body is not None and (not isinstance(body, dict) or "schema" not in body):
            raise overlay.error([*at, "body"], "a body is {schema, required, flat}")


def split_path(path: Any) -> list[str | int]:
    """`properties/data/items` or a list -> the keys to walk."""
    if path in (None, "", "/"):
        return []
    if isinstance(path, list):
        return list(path)
    return [int(part) if part.isdigit() else part for part in str(path).strip("/").split("/")]


def walk(root: Any, path: Sequence[str | int]) -> Any:
    """The node at `path` inside `root`; KeyError/IndexError when it does not exist."""
    node = root
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            node = node[part]
            continue
        if not isinstance(node, dict) or part not in node:
            raise KeyError(part)
        node = node[part]
    return node


def apply_enum_names(overlay: Overlay, models: Mapping[str, Any]) -> None:
    for index, item in enumerate(overlay.enum_names):
        at: list[str | int] = ["enum_names", index]
        if item["model"] not in models:
            raise overlay.error(at, f"model {item['model']!r} does not exist")
        try:
            node = walk(models[item["model"]], split_path(item["path"]))
        except (KeyError, IndexError):
            raise overlay.error(at, f"{item['model']}: path {item['path']!r} does not exist") from None
        enum = node.get("enum") if isinstance(node, dict) else None
        names = item["names"]
        values = [v for v in (enum or []) if v is not None]
        if not enum or len(names) != len(values):
            raise overlay.error(at, f"{item['model']}/{item['path']}: {len(names)} names for enum {enum!r}")
        if any(not isinstance(n, str) or not n.isascii() or not IDENTIFIER.match(n) for n in names):
            raise overlay.error(at, "enum names must be English snake_case identifiers")
        node["x-enum-names"] = list(names)


def apply_corrections(overlay: Overlay, models: Mapping[str, Any], methods: Mapping[str, Any]) -> None:
    for index, item in enumerate(overlay.corrections):
        at: list[str | int] = ["corrections", index]
        target = models if "model" in item else methods
        key = str(item.get("model", item.get("method")))
        if key not in target:
            raise overlay.error(at, f"correction target {key!r} does not exist")
        path = split_path(item.get("path"))
        try:
            node = walk(target[key], path)
        except (KeyError, IndexError):
            raise overlay.error(at, f"{key}: path {item.get('path')!r} does not exist") from None
        if not isinstance(node, dict):
            raise overlay.error(at, f"{key}: {item.get('path')!r} is not a mapping")
        for name in item.get("remove") or []:
            if name not in node:
                raise overlay.error(at, f"{key}: {item.get('path')!r} has no {name!r} to remove")
            del node[name]
        for name, value in (item.get("set") or {}).items():
            node[name] = value
        if item.get("map"):
            shapes = list((node.get("properties") or {}).values())
            if not shapes or any(shape != shapes[0] for shape in shapes):
                raise overlay.error(at, f"{key}: `map` needs properties of one shape at {item.get('path')!r}")
            del node["properties"]
            node.pop("required", None)
            node["type"] = "object"
            node["additionalProperties"] = shapes[0]
        if "or" in item:
            if not path:
                raise overlay.error(
                    at, f"{key}: `or` needs a path inside the {'model' if 'model' in item else 'method'}"
                )
            parent = walk(target[key], path[:-1])
            parent[path[-1]] = {"anyOf": [node, item["or"]]}
