"""The YCLIENTS importer: OpenAPI document + overlay -> specs/yclients."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codegen import generate  # noqa: E402
from codegen.importers import yclients  # noqa: E402
from codegen.importers.yclients_schema import SchemaConverter, SchemaError  # noqa: E402
from codegen.spec.errors import SpecError  # noqa: E402
from codegen.spec.load import iter_refs, load_api  # noqa: E402
from codegen.spec.model import Spec  # noqa: E402
from tests.generator.compare import differences, package_files  # noqa: E402

UPSTREAM = ROOT.parent / "shared/upstream/yclients"
SOURCE = UPSTREAM / "openapi.developers.yclients.com.json"
COMMITTED = ROOT / "specs/yclients"
OVERLAY = COMMITTED / "overlay.yaml"
COMMITTED_CODE = ROOT / "generated/apiforge/yclients"
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
PROSE_KEYS = {"description", "title", "example", "examples", "summary"}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason="the YCLIENTS OpenAPI document is not available")


def _specs_with_overlay(tmp: Path, overlay: dict[str, Any] | None = None) -> Path:
    """A specs/ folder holding only yclients/overlay.yaml (the committed one, or `overlay`)."""
    target = tmp / "specs" / "yclients"
    target.mkdir(parents=True)
    if overlay is None:
        shutil.copy(OVERLAY, target / "overlay.yaml")
    else:
        (target / "overlay.yaml").write_text(
            yaml.safe_dump(overlay, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return tmp / "specs"


def _overlay() -> dict[str, Any]:
    overlay: dict[str, Any] = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    return overlay


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    specs = _specs_with_overlay(tmp_path_factory.mktemp("import"))
    yclients.run(SOURCE, specs)
    return specs / "yclients"


@pytest.fixture(scope="module")
def regenerated(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m codegen generate` of the freshly imported specs, into a temporary output: <out>/yclients."""
    output = tmp_path_factory.mktemp("generated") / "apiforge"
    assert generate.run(["yclients"], specs=imported.parent, output=output, quiet=True) == 0
    return output / "yclients"


@pytest.fixture(scope="module")
def spec(imported: Path) -> Spec:
    return load_api(imported)


def _generated(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.yaml"))
        if p.name != "overlay.yaml"
    }


def _documents(folder: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for rel in _generated(folder):
        yield rel, yaml.load((folder / rel).read_text(encoding="utf-8"), Loader=_Loader)


def _schema_keys(schema: Any, where: str) -> Iterator[tuple[str, str]]:
    """(keyword, position) of every keyword of a schema, not counting property names."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _schema_keys(item, f"{where}[{index}]")
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        yield key, where
        if key == "properties":
            for name, sub in value.items():
                yield from _schema_keys(sub, f"{where}.{name}")
        elif key in ("items", "additionalProperties", "not", "allOf", "oneOf", "anyOf"):
            yield from _schema_keys(value, f"{where}.{key}")


def _method_schemas(method: dict[str, Any], where: str) -> Iterator[tuple[Any, str]]:
    yield method["result"], f"{where}.result"
    if "body" in method:
        yield method["body"]["schema"], f"{where}.body"
    for param in method.get("params", []):
        yield param["schema"], f"{where}.{param['name']}"


# -- the result -----------------------------------------------------------------------------------


# Operations the OpenAPI document lacks and the API Blueprint documents (overlay: blueprint_operations).
BLUEPRINT_ONLY = {
    "GET /api/v1/hooks_settings/{company_id}",
    "POST /api/v1/hooks_settings/{company_id}",
    "PUT /api/v1/comments/{company_id}/",
}
# Documented operations the overlay leaves out (`omit`): callbacks YCLIENTS makes to a partner.
OMITTED = {"POST /api/v1/https://your-api.url"}
# Collection routes the overlay adds (`list_form`) next to the document's `.../{id}` routes.
LIST_FORMS = {
    "GET /api/v1/company/{company_id}/service_categories",
    "GET /api/v1/service_categories/{company_id}",
    "GET /api/v1/company/{company_id}/services",
    "GET /api/v1/services/{company_id}",
    "GET /api/v1/goods/{company_id}",
    "GET /api/v1/goods_categories/{company_id}",
    "GET /api/v1/company/{company_id}/goods_categories",
    "GET /api/v1/company/{company_id}/staff",
    "GET /api/v1/staff/{company_id}",
}


def _document_operations() -> set[str]:
    """The wire names of the OpenAPI document's operations (a query string written into a path cut off)."""
    paths = json.loads(SOURCE.read_text(encoding="utf-8"))["paths"]
    return {
        f"{method.upper()} {path.split('?', 1)[0]}"
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_operation_becomes_a_method(spec: Spec) -> None:
    """All 304 operations of the OpenAPI document but the omitted ones, plus exactly the
    Blueprint-only ones and the collection routes of the overlay's list forms."""
    methods = [m for g in spec.groups for m in g.methods]
    names = {m.name for m in methods}
    document = _document_operations()
    assert len(document) == 304
    assert document >= OMITTED and not OMITTED & names
    assert document - OMITTED <= names
    assert names - document == BLUEPRINT_ONLY | LIST_FORMS
    assert not document & (BLUEPRINT_ONLY | LIST_FORMS)
    assert len(methods) == len(names) == len(document) - len(OMITTED) + len(BLUEPRINT_ONLY) + len(LIST_FORMS)
    assert len({(g.name, m.attr) for g in spec.groups for m in g.methods}) == len(methods)
    assert spec.api.name == "yclients" and spec.api.client == "Yclients" and spec.api.async_client == "AsyncYclients"
    assert spec.api.error_base == "YclientsError" and spec.api.base_url == "https://api.yclients.com"
    assert spec.api.rate_limits == {"default": 5}


def test_models_are_all_components_plus_lifted_ones(spec: Spec) -> None:
    components = json.loads(SOURCE.read_text(encoding="utf-8"))["components"]["schemas"]
    assert {yclients.model_name(n) for n in components} <= set(spec.models)
    assert len(components) == 416
    assert len(spec.models) > 416


def test_required_names(spec: Spec) -> None:
    by_name = {f"{g.name}.{m.attr}": m for g in spec.groups for m in g.methods}
    assert by_name["auth.login"].name == "POST /api/v1/auth"
    assert by_name["companies.list"].name == "GET /api/v1/companies"
    assert by_name["clients.search"].name == "POST /api/v1/company/{company_id}/clients/search"
    assert by_name["records.list"].name == "GET /api/v1/records/{company_id}"
    assert by_name["online_booking.book_record"].name == "POST /api/v1/book_record/{company_id}"


def test_method_facts(spec: Spec) -> None:
    by_wire = {m.name: m for g in spec.groups for m in g.methods}
    login = by_wire["POST /api/v1/auth"]
    assert login.http_status == 201 and login.idempotent and login.token_kinds == ("partner",)
    assert login.body is not None and login.body.flat
    search = by_wire["POST /api/v1/company/{company_id}/clients/search"]
    # A read sent as POST: the overlay marks it idempotent (retried like a GET); so is the visit-history search.
    assert search.token_kinds == ("user",) and search.idempotent and not search.batchable
    assert by_wire["POST /api/v1/company/{company_id}/clients/visits/search"].idempotent
    assert not by_wire["POST /api/v1/clients/{company_id}"].idempotent  # creating a client is not
    assert search.pagination is not None
    assert (search.pagination.page, search.pagination.size, search.pagination.location) == ("page", "page_size", "body")
    assert search.pagination.max_size == 200 and search.pagination.total == ("total_count",)
    records = by_wire["GET /api/v1/records/{company_id}"]
    assert (
        records.pagination is not None and records.pagination.size == "count" and records.pagination.location == "query"
    )
    assert records.docs_url and records.docs_url.startswith("https://developers.yclients.com/ru/#tag/")
    assert {p.name: p.location for p in records.params}["company_id"] == "path"
    # a query string written into the documented path becomes query parameters
    goods = by_wire["GET /api/v1/goods/search/{company_id}"]
    assert {p.name: p.location for p in goods.params} == {"company_id": "path", "term": "query", "count": "query"}
    # booleans in the query are sent as 1/0, lists as name[]=...
    for method in by_wire.values():
        for param in method.params:
            kind = param.schema.get("type") if isinstance(param.schema, dict) else None
            if param.location == "query" and kind == "boolean":
                assert param.encoding == "bool01", (method.name, param.name)
            if param.location == "query" and kind == "array":
                assert param.encoding == "brackets", (method.name, param.name)


def test_no_header_parameters(spec: Spec) -> None:
    for group in spec.groups:
        for method in group.methods:
            for param in method.params:
                assert param.location in ("path", "query", "form", "file"), (method.name, param.name)
                assert param.name.lower() not in {"accept", "authorization", "content-type", "conetnt-type"}


def test_python_names_are_english(spec: Spec) -> None:
    identifier = re.compile(r"^[a-z_][a-z0-9_]*$")
    for group in spec.groups:
        assert identifier.match(group.name) and group.name.isascii(), group.name
        for method in group.methods:
            assert method.python_name and identifier.match(method.python_name) and method.python_name.isascii()
            assert not CYRILLIC.search(method.python_name)


def test_no_prose(imported: Path) -> None:
    for rel, doc in _documents(imported):
        for name, schema in (doc.get("models") or {}).items():
            for key, where in _schema_keys(schema, f"{rel}:{name}"):
                assert key not in PROSE_KEYS, f"{where}: {key}"
        for index, method in enumerate(doc.get("methods") or []):
            assert not PROSE_KEYS & set(method), f"{rel}: methods[{index}]"
            for param in method.get("params", []):
                assert not PROSE_KEYS & set(param), f"{rel}: {method['name']} {param['name']}"
            for schema, where in _method_schemas(method, f"{rel}:{method['name']}"):
                for key, at in _schema_keys(schema, where):
                    assert key not in PROSE_KEYS, f"{at}: {key}"


def test_cyrillic_only_in_facts(imported: Path) -> None:
    """Russian text survives only as the upstream tag of a group and as enum values."""

    def walk(node: Any, path: list[Any]) -> Iterator[list[Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, [*path, index])
        elif isinstance(node, str) and CYRILLIC.search(node):
            yield path

    for rel, doc in _documents(imported):
        for path in walk(doc, []):
            allowed = path == ["group", "wire"] or (len(path) >= 2 and path[-2] == "enum")
            assert allowed, f"{rel}: {path}"


def test_refs_point_into_defs(imported: Path, spec: Spec) -> None:
    count = 0
    for rel, doc in _documents(imported):
        for ref, where in iter_refs(doc, []):
            count += 1
            assert ref.startswith("#/$defs/"), f"{rel}: {where}: {ref}"
            assert ref[len("#/$defs/") :] in spec.models, f"{rel}: {where}: {ref}"
    assert count > 500


def test_files_carry_the_generated_header(imported: Path) -> None:
    for rel, text in _generated(imported).items():
        assert text.decode("utf-8").startswith(yclients.HEADER), rel


# -- behaviour of the importer --------------------------------------------------------------------


def test_missing_overlay_name_fails_naming_the_operation(tmp_path: Path) -> None:
    overlay = _overlay()
    del overlay["operations"]["GET /api/v1/countries"]
    specs = _specs_with_overlay(tmp_path, overlay)
    with pytest.raises(SpecError, match=re.escape("GET /api/v1/countries")):
        yclients.run(SOURCE, specs)
    assert not (specs / "yclients" / "api.yaml").exists()


def test_duplicate_name_in_a_group_fails(tmp_path: Path) -> None:
    overlay = _overlay()
    overlay["operations"]["GET /api/v1/cities"] = {"group": "countries", "name": "list"}
    with pytest.raises(SpecError, match=r"both named countries\.list"):
        yclients.run(SOURCE, _specs_with_overlay(tmp_path, overlay))


def test_non_english_name_fails(tmp_path: Path) -> None:
    overlay = _overlay()
    overlay["operations"]["GET /api/v1/cities"] = {"group": "cities", "name": "список"}
    with pytest.raises(SpecError, match="English snake_case"):
        yclients.run(SOURCE, _specs_with_overlay(tmp_path, overlay))


def test_corrections_set_and_remove(tmp_path: Path) -> None:
    overlay = _overlay()
    overlay["corrections"] = [
        {"model": "CompaniesListItem", "path": "properties/id", "set": {"type": ["integer", "string"]}},
        {"model": "CompaniesListItem", "path": "properties", "remove": ["logo"]},
        {"method": "GET /api/v1/countries", "path": "", "set": {"idempotent": False}},
    ]
    specs = _specs_with_overlay(tmp_path, overlay)
    yclients.run(SOURCE, specs)
    spec = load_api(specs / "yclients")
    item = spec.models["CompaniesListItem"].schema
    assert item["properties"]["id"] == {"type": ["integer", "string"]}
    assert "logo" not in item["properties"]
    countries = next(m for g in spec.groups for m in g.methods if m.name == "GET /api/v1/countries")
    assert countries.idempotent is False


def test_blueprint_operations_are_marked_in_their_files(imported: Path) -> None:
    for group, wires in (
        ("hooks", sorted(BLUEPRINT_ONLY - {"PUT /api/v1/comments/{company_id}/"})),
        ("comments", ["PUT /api/v1/comments/{company_id}/"]),
    ):
        text = (imported / "methods" / f"{group}.yaml").read_text(encoding="utf-8")
        notes = [
            line[len(yclients.BLUEPRINT_NOTE) :]
            for line in text.splitlines()
            if line.startswith(yclients.BLUEPRINT_NOTE)
        ]
        assert notes == wires, group
    untouched = (imported / "methods" / "countries.yaml").read_text(encoding="utf-8")
    assert yclients.BLUEPRINT_NOTE not in untouched


def test_blueprint_operation_of_the_document_fails(tmp_path: Path) -> None:
    overlay = _overlay()
    entry = overlay["blueprint_operations"].pop("PUT /api/v1/comments/{company_id}/")
    overlay["blueprint_operations"]["GET /api/v1/countries"] = {**entry, "group": "countries", "name": "again"}
    with pytest.raises(SpecError, match=re.escape("'GET /api/v1/countries' is also under operations")):
        yclients.run(SOURCE, _specs_with_overlay(tmp_path, overlay))


def test_blueprint_operation_needs_its_facts(tmp_path: Path) -> None:
    overlay = _overlay()
    del overlay["blueprint_operations"]["GET /api/v1/hooks_settings/{company_id}"]["token_kinds"]
    with pytest.raises(SpecError, match="needs 'token_kinds'"):
        yclients.run(SOURCE, _specs_with_overlay(tmp_path, overlay))


def test_import_is_deterministic_and_removes_stale_files(tmp_path: Path) -> None:
    specs = _specs_with_overlay(tmp_path)
    yclients.run(SOURCE, specs)
    out = specs / "yclients"
    first = _generated(out)
    stale = out / "methods" / "obsolete.yaml"
    stale.write_text(yclients.HEADER + "group: {name: obsolete}\nmethods: []\n", encoding="utf-8")
    hand = out / "models" / "hand_written.yaml"  # no generated header: not the importer's to delete
    hand.write_text("models: {}\n", encoding="utf-8")
    overlay_bytes = (out / "overlay.yaml").read_bytes()
    yclients.run(SOURCE, specs)
    assert not stale.exists()
    assert hand.exists()
    hand.unlink()
    assert _generated(out) == first
    assert (out / "overlay.yaml").read_bytes() == overlay_bytes
    assert yclients.build(SOURCE, OVERLAY) == yclients.build(SOURCE, OVERLAY)


def test_output_equals_the_committed_specs(imported: Path) -> None:
    committed = _generated(COMMITTED)
    assert committed, "specs/yclients holds no generated files: run python -m codegen import yclients"
    fresh = _generated(imported)
    assert sorted(committed) == sorted(fresh)
    stale = [rel for rel in fresh if fresh[rel] != committed[rel]]
    assert not stale, f"specs/yclients is stale (re-run the import): {stale}"


def test_output_generates_the_committedpackage_files(regenerated: Path) -> None:
    """import yclients <document> + generate reproduce generated/apiforge/yclients byte for byte."""
    fresh = package_files(regenerated)
    assert "__init__.py" in fresh and len(fresh) > 20
    stale = differences(package_files(COMMITTED_CODE), fresh)
    assert not stale, (
        f"generated/apiforge/yclients is not what the importer and the generator write ({len(stale)} files:"
        f" {stale[:5]}); run: python -m codegen import yclients <document> && python -m codegen generate --api yclients"
    )


def test_code_comparison_sees_one_changed_byte(regenerated: Path) -> None:
    fresh = package_files(regenerated)
    rel = "__init__.py"
    edited = dict(fresh)
    edited[rel] = fresh[rel][:-1] + bytes([fresh[rel][-1] ^ 1])
    assert differences(edited, fresh) == [rel]
    assert differences({**fresh, "extra.py": b""}, fresh) == ["extra.py"]
    assert differences({k: v for k, v in fresh.items() if k != rel}, fresh) == [rel]


# -- schema conversion ----------------------------------------------------------------------------


def _convert(schema: Any) -> Any:
    return SchemaConverter("test.json", lambda ref, where: ref.rsplit("/", 1)[-1].replace("-", "_")).convert(
        schema, "x"
    )


def test_schema_conversion_repairs() -> None:
    assert _convert({"type": "float", "description": "text"}) == {"type": "number"}
    assert _convert({"type": "string", "nullable": True, "example": "a"}) == {"type": ["string", "null"]}
    assert _convert({"$ref": "#/components/schemas/a-b", "description": "x"}) == {"$ref": "#/$defs/a_b"}
    assert _convert({"$ref": "#/components/schemas/a", "nullable": True}) == {
        "anyOf": [{"$ref": "#/$defs/a"}, {"type": "null"}]
    }
    lifted = _convert(
        {
            "type": "object",
            "required": ["b", "zz"],
            "properties": {"a": {"type": "integer", "required": True}, "b": {"type": "bool"}},
        }
    )
    assert lifted == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}},
        "required": ["b", "a"],
    }
    assert _convert({"type": "object", "properties": []}) == {"type": "object"}
    assert _convert({"type": "array", "items": [{"type": "integer"}]}) == {
        "type": "array",
        "items": {"type": "integer"},
    }
    assert _convert({"type": "string", "format": "ISO 8601"}) == {"type": "string", "format": "date-time"}
    assert _convert({"type": "number", "format": "date"}) == {"type": "number"}
    assert _convert({"type": "array of numbers"}) == {"type": "array", "items": {"type": "number"}}
    assert _convert({"enum": ["a", "b"]}) == {"type": "string", "enum": ["a", "b"]}
    with pytest.raises(SchemaError, match="unknown type"):
        _convert({"type": "strng"})
