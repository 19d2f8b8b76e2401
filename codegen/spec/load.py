"""Read the YAML spec files of one API, validate them, and build the spec model.

Loading is fast (libyaml, no position tracking); positions are recovered only when something
is wrong, by composing the offending file again and walking to the failing node.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from codegen.spec.errors import SpecError
from codegen.spec.model import (
    ApiInfo,
    Body,
    ErrorInfo,
    Group,
    Method,
    ModelDef,
    Pagination,
    Param,
    Spec,
    Variant,
)

SPECS_ROOT = Path(__file__).resolve().parents[2] / "specs"
FORMAT_SCHEMA = SPECS_ROOT / "spec.schema.json"

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(FORMAT_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def pointer_text(pointer: Sequence[str | int]) -> str:
    """Render a document path as `methods[0].params[2].in`."""
    text = ""
    for part in pointer:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def line_of(path: Path, pointer: Sequence[str | int]) -> int:
    """The 1-based line of the node at `pointer` in a YAML file (the deepest node that exists)."""
    node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=_Loader)
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in pointer:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def fail(path: Path, pointer: Sequence[str | int], reason: str) -> SpecError:
    """A SpecError located at `pointer` inside `path`."""
    return SpecError(_display(path), line_of(path, pointer), f"{pointer_text(pointer)}: {reason}")


def read_document(path: Path) -> dict[str, Any]:
    """Parse and format-validate one spec file."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise SpecError(_display(path), line, f"invalid YAML: {exc.problem or exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(_display(path), 1, "a spec file must be a mapping at the top level")
    errors = sorted(
        _validator().iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))
    )
    if errors:
        error = jsonschema.exceptions.best_match(errors) or errors[0]
        raise fail(
            path,
            [
                *error.absolute_path,
                *(
                    [k for k in error.instance if k not in error.schema.get("properties", {})][:1]
                    if error.validator == "additionalProperties" and isinstance(error.instance, dict)
                    else []
                ),
            ],
            error.message,
        )
    return data


def spec_files(api_dir: Path) -> list[Path]:
    """Every spec file of an API, in a stable order (overlays are importer input, not specs)."""
    files = [p for p in api_dir.rglob("*.yaml") if p.name != "overlay.yaml" and "overlay" not in p.parts]
    return sorted(files, key=lambda p: p.relative_to(api_dir).as_posix())


def load_api(api_dir: Path) -> Spec:
    """Load, validate and cross-check every spec file of one API."""
    if not api_dir.is_dir():
        raise SpecError(_display(api_dir), 0, "no such spec folder")
    api: ApiInfo | None = None
    errors: list[ErrorInfo] = []
    groups: list[Group] = []
    models: dict[str, ModelDef] = {}
    origins: dict[str, tuple[Path, list[str | int]]] = {}
    for path in spec_files(api_dir):
        doc = read_document(path)
        if "api" in doc:
            if api is not None:
                raise fail(path, ["api"], "the api header is given twice")
            api = _api(doc["api"])
        for index, raw in enumerate(doc.get("errors", [])):
            errors.append(_error(raw))
            origins[f"error:{raw['code']}"] = (path, ["errors", index])  # a duplicate is reported where it is repeated
        if "models" in doc:
            module = doc.get("module", path.stem)
            for name, schema in doc["models"].items():
                if name in models:
                    first = origins[f"model:{name}"][0]
                    raise fail(path, ["models", name], f"model {name!r} is already defined in {_display(first)}")
                models[name] = ModelDef(name=name, module=module, schema=schema)
                origins[f"model:{name}"] = (path, ["models", name])
        if "group" in doc:
            groups.append(_group(doc, path))
    if api is None:
        raise SpecError(_display(api_dir / "api.yaml"), 1, "the API has no 'api' header")
    spec = Spec(
        api=api,
        errors=sorted(errors, key=lambda e: e.code),
        groups=sorted(groups, key=lambda g: g.name),
        models=dict(sorted(models.items())),
        root=api_dir,
    )
    from codegen.pagination import with_derived_pagination  # it builds on this module's helpers

    spec = with_derived_pagination(spec)
    _cross_check(spec, origins)
    return spec


def _api(raw: Mapping[str, Any]) -> ApiInfo:
    return ApiInfo(
        name=raw["name"],
        protocol=raw["protocol"],
        title=raw["title"],
        version=raw.get("version"),
        client=raw["client"],
        async_client=raw["async_client"],
        error_base=raw.get("error_base", f"{raw['client']}APIError"),
        base_url=raw["base_url"],
        docs=raw["docs"],
        token_kinds=tuple(raw.get("token_kinds", ())),
        rate_limits=dict(raw.get("rate_limits", {})),
    )


def _error(raw: Mapping[str, Any]) -> ErrorInfo:
    return ErrorInfo(
        code=raw["code"],
        name=raw["name"],
        wire_name=raw.get("wire_name"),
        message=raw.get("message"),
        is_global=raw.get("global", False),
        retryable=raw.get("retryable", False),
        subcodes=tuple((s["name"], s.get("code")) for s in raw.get("subcodes", ())),
    )


def _group(doc: Mapping[str, Any], path: Path) -> Group:
    raw = doc["group"]
    methods = [_method(m, path, index) for index, m in enumerate(doc["methods"])]
    return Group(
        name=raw["name"],
        wire=raw.get("wire", raw["name"]),
        class_prefix=raw.get("class_prefix"),
        toplevel=raw.get("toplevel", False),
        methods=methods,
        path=path,
    )


def _method(raw: Mapping[str, Any], path: Path, index: int) -> Method:
    params = [
        Param(
            name=p["name"],
            python_name=p.get("python_name"),
            schema=p["schema"],
            required=p.get("required", False),
            location=p["in"],
            encoding=p.get("encoding"),
            default=p.get("default"),
        )
        for p in raw.get("params", ())
    ]
    body = raw.get("body")
    pagination = raw.get("pagination")
    return Method(
        name=raw["name"],
        python_name=raw.get("python_name"),
        params=params,
        body=Body(schema=body["schema"], required=body.get("required", True), flat=body.get("flat", False))
        if body
        else None,
        result=raw["result"],
        variants=[Variant(name=v["name"], when=dict(v["when"]), result=v["result"]) for v in raw.get("variants", ())],
        errors=tuple(raw.get("errors", ())),
        token_kinds=tuple(raw.get("token_kinds", ())),
        idempotent=raw.get("idempotent", False),
        batchable=raw.get("batchable", False),
        heavy=raw.get("heavy", False),
        exclusive=raw.get("exclusive"),
        pagination=Pagination(
            page=pagination["page"],
            size=pagination["size"],
            location=pagination.get("in", "query"),
            first_page=pagination.get("first_page", 1),
            max_size=pagination.get("max_size"),
            total=tuple(pagination.get("total", ("total_count",))),
            items=pagination.get("items"),
            style=pagination.get("style", "page"),
            next=pagination.get("next"),
        )
        if pagination
        else None,
        docs_url=raw.get("docs_url"),
        deprecated=raw.get("deprecated", False),
        http_status=raw.get("http_status"),
        path=path,
        index=index,
    )


def iter_refs(node: Any, pointer: list[str | int]) -> Iterator[tuple[str, list[str | int]]]:
    """Every `$ref` in a schema, with its position."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value, pointer
            else:
                yield from iter_refs(value, [*pointer, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, [*pointer, index])


REF_PREFIX = "#/$defs/"


def _check_refs(schema: Any, models: Mapping[str, ModelDef], path: Path, pointer: list[str | int]) -> None:
    for ref, where in iter_refs(schema, pointer):
        if not ref.startswith(REF_PREFIX):
            raise fail(path, [*where, "$ref"], f"$ref must look like '{REF_PREFIX}<model>', got {ref!r}")
        if ref[len(REF_PREFIX) :] not in models:
            raise fail(path, [*where, "$ref"], f"$ref {ref!r} names no model of this API")


def _cross_check(spec: Spec, origins: Mapping[str, tuple[Path, list[str | int]]]) -> None:
    seen_codes: set[int] = set()
    for error in spec.errors:
        if error.code in seen_codes:
            path, pointer = origins[f"error:{error.code}"]
            raise fail(path, pointer, f"error code {error.code} is defined twice")
        seen_codes.add(error.code)
    for model in spec.models.values():
        path, pointer = origins[f"model:{model.name}"]
        _check_refs(model.schema, spec.models, path, pointer)
    seen_groups: dict[str, Path] = {}
    seen_methods: dict[str, Path] = {}
    for group in spec.groups:
        if group.name in seen_groups:
            raise fail(
                group.path,
                ["group", "name"],
                f"group {group.name!r} is also defined in {_display(seen_groups[group.name])}",
            )
        seen_groups[group.name] = group.path
        python_names: set[str] = set()
        for method in group.methods:
            at: list[str | int] = ["methods", method.index]
            if method.name in seen_methods:
                raise fail(
                    method.path,
                    [*at, "name"],
                    f"method {method.name!r} is also defined in {_display(seen_methods[method.name])}",
                )
            seen_methods[method.name] = method.path
            if method.attr in python_names:
                raise fail(
                    method.path,
                    [*at, "name"],
                    f"two methods of group {group.name!r} are both named {method.attr!r} in Python",
                )
            python_names.add(method.attr)
            _check_method(spec, method, at)


def _check_method(spec: Spec, method: Method, at: list[str | int]) -> None:
    path = method.path
    _check_refs(method.result, spec.models, path, [*at, "result"])
    if method.body is not None:
        _check_refs(method.body.schema, spec.models, path, [*at, "body", "schema"])
    names: set[str] = set()
    for index, param in enumerate(method.params):
        where: list[str | int] = [*at, "params", index]
        _check_refs(param.schema, spec.models, path, [*where, "schema"])
        if param.attr in names:
            raise fail(path, [*where, "name"], f"parameter {param.attr!r} appears twice")
        names.add(param.attr)
        if param.location == "path" and "{" + param.name + "}" not in method.name:
            raise fail(path, [*where, "in"], f"path parameter {param.name!r} does not appear in {method.name!r}")
    if method.pagination is not None and method.pagination.items is not None:
        _check_page_items(spec, method, method.pagination.items, [*at, "pagination", "items"])
    for index, variant in enumerate(method.variants):
        _check_refs(variant.result, spec.models, path, [*at, "variants", index, "result"])
        for selector in variant.when:
            if selector not in names:
                raise fail(
                    path,
                    [*at, "variants", index, "when", selector],
                    f"variant {variant.name!r} is selected by {selector!r}, which is not a parameter of {method.name}",
                )


def resolve_schema(spec: Spec, schema: Any) -> Any:
    """`schema` with `$ref`s followed to the model they name (a cycle of bare `$ref`s ends in `{}`)."""
    seen: set[str] = set()
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(REF_PREFIX):
        name = schema["$ref"][len(REF_PREFIX) :]
        if name in seen or name not in spec.models:
            return {}
        seen.add(name)
        schema = spec.models[name].schema
    return schema


def object_properties(spec: Spec, schema: Any) -> dict[str, Any] | None:
    """The properties of an object schema, `$ref`s followed and `allOf` parts merged; None for no object."""
    schema = resolve_schema(spec, schema)
    if not isinstance(schema, dict):
        return None
    parts = [object_properties(spec, part) for part in schema.get("allOf", ())]
    own = schema.get("properties")
    if not isinstance(own, dict) and not any(p is not None for p in parts):
        return None
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part or {})
    merged.update(own if isinstance(own, dict) else {})
    return merged


def is_array_schema(spec: Spec, schema: Any) -> bool:
    """Whether `schema` (its `$ref`s followed) describes an array, nullable or not."""
    resolved = resolve_schema(spec, schema)
    kind = resolved.get("type") if isinstance(resolved, dict) else None
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _check_page_items(spec: Spec, method: Method, items: str, at: list[str | int]) -> None:
    properties = object_properties(spec, method.result)
    if properties is None:
        raise fail(method.path, at, f"{items!r}: the result of {method.name} is not an object with properties")
    arrays = sorted(name for name, schema in properties.items() if is_array_schema(spec, schema))
    if items not in arrays:
        what = "is not an array property" if items in properties else "names no property"
        known = f"its array properties: {', '.join(arrays)}" if arrays else "it has no array property"
        raise fail(method.path, at, f"{items!r} {what} of the result of {method.name} ({known})")


def load_all(root: Path, names: Iterable[str]) -> list[Spec]:
    """Load several APIs from `root` (normally specs/)."""
    return [load_api(root / name) for name in names]
