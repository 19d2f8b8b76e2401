"""The importer's YCLIENTS-specific repairs: integer ids, and the `or` / `map` corrections of the overlay."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codegen.importers.yclients_overlay import Overlay, apply_corrections  # noqa: E402
from codegen.importers.yclients_schema import SchemaConverter, integer_ids  # noqa: E402
from codegen.spec.errors import SpecError  # noqa: E402

SPECS = ROOT / "specs/yclients"


def convert(schema: Any) -> Any:
    return SchemaConverter("test.json", lambda ref, where: ref.rsplit("/", 1)[-1]).convert(schema, "x")


def test_ids_typed_number_become_integers() -> None:
    converted = convert(
        {
            "type": "object",
            "properties": {
                "id": {"type": "number", "format": "float"},
                "company_id": {"type": "number", "nullable": True},
                "good_Id": {"type": "number"},
                "abonementId": {"type": "number"},
                "staff_ids": {"type": "array", "items": {"type": "number"}},
                "api_id": {"type": "string"},
                "price": {"type": "number"},
                "paid": {"type": "number"},
            },
        }
    )
    assert converted["properties"] == {
        "id": {"type": "integer"},
        "company_id": {"type": ["integer", "null"]},
        "good_Id": {"type": "integer"},
        "abonementId": {"type": "integer"},
        "staff_ids": {"type": "array", "items": {"type": "integer"}},
        "api_id": {"type": "string"},
        "price": {"type": "number"},
        "paid": {"type": "number"},
    }
    assert integer_ids("salon_id", {"type": "number"}) == {"type": "integer"}
    assert integer_ids("amount", {"type": "number"}) == {"type": "number"}


def _schemas(node: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        if "type" in node:
            yield name, node
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield from _schemas(sub, prop)
            elif key == "params" and isinstance(value, list):
                for param in value:
                    yield from _schemas(param.get("schema"), param["name"])
            else:
                yield from _schemas(value, name if key in ("items", "anyOf", "oneOf", "allOf", "schema") else "")
    elif isinstance(node, list):
        for item in node:
            yield from _schemas(item, name)


def test_the_committed_specs_type_no_id_as_a_number() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    numbers = []
    for path in sorted(SPECS.rglob("*.yaml")):
        if path.name == "overlay.yaml":
            continue
        for name, schema in _schemas(yaml.load(path.read_text(encoding="utf-8"), Loader=loader)):
            kind = schema.get("type")
            is_number = kind == "number" or (isinstance(kind, list) and "number" in kind)
            if is_number and (name == "id" or name.lower().endswith("_id")):
                numbers.append(f"{path.name}: {name}")
    assert numbers == []


def overlay(*corrections: dict[str, Any], folder: Path | None = None) -> Overlay:
    """An overlay holding `corrections` (written to `folder` when given: errors point into the file)."""
    path = (folder or Path(".")) / "overlay.yaml"
    if folder is not None:
        path.write_text(yaml.safe_dump({"corrections": list(corrections)}), encoding="utf-8")
    return Overlay(path, {"name": "x"}, [], {}, {}, corrections=list(corrections))


MODEL = {
    "type": "object",
    "properties": {
        "client": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "days": {"type": "object", "properties": {"9": {"type": "array"}, "10": {"type": "array"}}},
    },
}


def test_or_lets_a_value_also_be_another_schema() -> None:
    models = {"M": yaml.safe_load(yaml.safe_dump(MODEL))}
    apply_corrections(
        overlay({"model": "M", "path": "properties/client", "or": {"type": "array", "maxItems": 0}}), models, {}
    )
    assert models["M"]["properties"]["client"] == {
        "anyOf": [MODEL["properties"]["client"], {"type": "array", "maxItems": 0}]
    }


def test_map_turns_data_keys_into_a_map() -> None:
    models = {"M": yaml.safe_load(yaml.safe_dump(MODEL))}
    apply_corrections(overlay({"model": "M", "path": "properties/days", "map": True}), models, {})
    assert models["M"]["properties"]["days"] == {"type": "object", "additionalProperties": {"type": "array"}}


@pytest.mark.parametrize(
    ("correction", "reason"),
    [
        ({"model": "M", "or": {"type": "null"}}, "needs a path"),
        ({"model": "M", "path": "properties", "map": True}, "one shape"),
        ({"model": "M", "path": "properties/nothing", "or": {}}, "does not exist"),
    ],
)
def test_bad_corrections_name_the_problem(correction: dict[str, Any], reason: str, tmp_path: Path) -> None:
    models = {"M": yaml.safe_load(yaml.safe_dump(MODEL))}
    with pytest.raises(SpecError, match=reason) as caught:
        apply_corrections(overlay(correction, folder=tmp_path), models, {})
    assert "overlay.yaml" in str(caught.value)


# -- `omit` and `list_form` of operations (issue 17) -----------------------------------------------

_DOCUMENT = {
    "openapi": "3.0.0",
    "paths": {
        "/api/v1/staff/{company_id}/{staff_id}": {
            "get": {
                "tags": ["Сотрудники"],
                "security": [{"user": []}],
                "parameters": [
                    {"name": "company_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "staff_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/api/v1/https://your-api.url": {
            "post": {"tags": ["Фискализация"], "security": [{"user": []}], "responses": {"200": {"description": "ok"}}},
        },
    },
}


def _import(tmp_path: Path, operations: dict[str, Any]) -> dict[str, str]:
    from codegen.importers.yclients import build

    source = tmp_path / "openapi.json"
    source.write_text(json.dumps(_DOCUMENT), encoding="utf-8")
    raw = {
        "api": {"name": "yclients"},
        "groups": {"staff": {"module": "users"}},
        "operations": operations,
    }
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return build(source, path)


def test_list_form_adds_the_collection_route_and_omit_leaves_an_operation_out(tmp_path: Path) -> None:
    files = _import(
        tmp_path,
        {
            "GET /api/v1/staff/{company_id}/{staff_id}": {
                "group": "staff",
                "name": "list_legacy",
                "list_form": {"name": "list_all_legacy", "reason": "callers use it"},
            },
            "POST /api/v1/https://your-api.url": {"group": "staff", "name": "fiscalize", "omit": "a callback"},
        },
    )
    methods = {m["name"]: m for text in files.values() for m in (yaml.safe_load(text).get("methods") or [])}
    assert set(methods) == {"GET /api/v1/staff/{company_id}/{staff_id}", "GET /api/v1/staff/{company_id}"}
    listed = methods["GET /api/v1/staff/{company_id}"]
    assert listed["python_name"] == "list_all_legacy"
    assert [p["name"] for p in listed["params"]] == ["company_id"]
    assert [p["name"] for p in methods["GET /api/v1/staff/{company_id}/{staff_id}"]["params"]] == [
        "company_id",
        "staff_id",
    ]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"omit": ""}, "omit must give the reason"),
        ({"list_form": {"name": "list_all"}}, "list_form is"),
        ({"list_form": {"name": "List", "reason": "r"}}, "list_form is"),
    ],
)
def test_bad_omit_and_list_form_name_the_problem(entry: dict[str, Any], reason: str, tmp_path: Path) -> None:
    operation = {"group": "staff", "name": "list_legacy", **entry}
    with pytest.raises(SpecError, match=reason) as caught:
        _import(tmp_path, {"GET /api/v1/staff/{company_id}/{staff_id}": operation})
    assert "overlay.yaml" in str(caught.value)


def test_list_form_needs_a_route_ending_in_a_parameter(tmp_path: Path) -> None:
    operations = {
        "GET /api/v1/staff/{company_id}/{staff_id}": {"group": "staff", "name": "list_legacy"},
        "POST /api/v1/https://your-api.url": {
            "group": "staff",
            "name": "fiscalize",
            "list_form": {"name": "list_all", "reason": "r"},
        },
    }
    with pytest.raises(SpecError, match="ending in a path parameter"):
        _import(tmp_path, operations)
