"""The VK importer: official schema + overlay -> specs/vk (counts, shape, determinism, reproducibility)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import generate
from codegen.importers import vk
from codegen.importers.vk_overlay import apply_corrections, read_overlay
from codegen.spec.errors import SpecError
from codegen.spec.load import load_api
from codegen.spec.model import Method, Spec
from tests.generator.compare import differences, package_files

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared/upstream/vk-api-schema"
COMMITTED = REPO / "specs" / "vk"
OVERLAY = COMMITTED / "overlay.yaml"
COMMITTED_CODE = REPO / "generated" / "apiforge" / "vk"

pytestmark = pytest.mark.skipif(not SCHEMA.is_dir(), reason=f"the VK API schema is not at {SCHEMA}")

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _import_into(root: Path, overlay_text: str | None = None, *, strict: bool = False) -> Path:
    """Run the importer into root/vk with (a copy of) the committed overlay; return root/vk."""
    out = root / "vk"
    out.mkdir(parents=True)
    if overlay_text is None:
        shutil.copyfile(OVERLAY, out / "overlay.yaml")
    else:
        (out / "overlay.yaml").write_text(overlay_text, encoding="utf-8")
    vk.run(SCHEMA, root, strict=strict)
    return out


def _generated(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.yaml"))
        if p.name != "overlay.yaml"
    }


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _import_into(tmp_path_factory.mktemp("import1"))


@pytest.fixture(scope="module")
def regenerated(imported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m codegen generate` of the freshly imported specs, into a temporary output: <out>/vk."""
    output = tmp_path_factory.mktemp("generated") / "apiforge"
    assert generate.run(["vk"], specs=imported.parent, output=output, quiet=True) == 0
    return output / "vk"


@pytest.fixture(scope="module")
def spec(imported: Path) -> Spec:
    return load_api(imported)


@pytest.fixture(scope="module")
def documents(imported: Path) -> dict[str, Any]:
    return {name: yaml.load(text.decode("utf-8"), Loader=_Loader) for name, text in _generated(imported).items()}


def _schemas(documents: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every JSON Schema in the output (models, params, results, variants), with where it is."""
    for file, doc in documents.items():
        for name, schema in (doc.get("models") or {}).items():
            yield f"{file}:{name}", schema
        for method in doc.get("methods") or ():
            for param in method.get("params", ()):
                yield f"{file}:{method['name']}.{param['name']}", param["schema"]
            yield f"{file}:{method['name']}.result", method["result"]
            for variant in method.get("variants", ()):
                yield f"{file}:{method['name']}.{variant['name']}", variant["result"]


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside a schema (property names are not keywords: skipped)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}[{index}]")
        return
    if not isinstance(node, dict):
        return
    yield where, node
    for key, value in node.items():
        if key == "properties":
            for name, sub in value.items():
                yield from _walk(sub, f"{where}.properties.{name}")
        elif key in ("items", "additionalProperties", "allOf", "oneOf", "anyOf"):
            yield from _walk(value, f"{where}.{key}")


def _all_nodes(documents: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, schema in _schemas(documents):
        yield from _walk(schema, where)


def _method(spec: Spec, name: str) -> Method:
    return next(m for g in spec.groups for m in g.methods if m.name == name)


def test_counts(spec: Spec) -> None:
    assert sum(len(g.methods) for g in spec.groups) == 566
    assert len(spec.models) == 642 + 425 + 3  # + the overlay's add_models (the messages template)
    assert len(spec.errors) == 251
    assert len(spec.groups) == 44
    assert spec.api.version == "5.199"
    assert spec.api.client == "VK" and spec.api.async_client == "AsyncVK" and spec.api.error_base == "VKAPIError"
    assert spec.api.token_kinds == ("user", "group", "service", "open")
    assert spec.api.rate_limits == {"user": 3, "group": 20, "service": 3, "open": 3}


def test_files_and_header(imported: Path) -> None:
    files = _generated(imported)
    assert "api.yaml" in files and "errors.yaml" in files
    assert "models/pretty_cards.yaml" in files and "methods/downloaded_games.yaml" in files
    assert "methods/app_widgets.yaml" in files and "models/lead_forms.yaml" in files
    for name, text in files.items():
        first = text.decode("utf-8").splitlines()[0]
        assert first == (
            "# generated by python -m codegen import vk from the official VK API schema 5.199"
            " — edit overlay.yaml, not this file"
        ), name


def test_no_prose_or_upstream_keywords(documents: dict[str, Any]) -> None:
    for where, node in _all_nodes(documents):
        for key in ("description", "title", "entity", "enumNames", "deprecated_from_version"):
            assert key not in node, f"{where} has {key!r}"
    for doc in documents.values():
        for error in doc.get("errors", ()):
            assert "message" not in error and "description" not in error


def test_every_ref_is_local(documents: dict[str, Any]) -> None:
    refs = 0
    for where, node in _all_nodes(documents):
        if "$ref" in node:
            refs += 1
            assert node["$ref"].startswith("#/$defs/"), where
            assert "type" not in node, f"{where}: $ref with a type beside it"
        for target in (node.get("discriminator") or {}).get("mapping", {}).values():
            assert target.startswith("#/$defs/"), where
    assert refs > 2000


def test_required_is_lifted(documents: dict[str, Any], spec: Spec) -> None:
    for where, node in _all_nodes(documents):
        if "required" in node:
            assert isinstance(node["required"], list), where
            assert set(node["required"]) <= set(node.get("properties", {})), where
    assert spec.models["base_object"].schema["required"] == ["id", "title"]
    user_ids = _method(spec, "users.get").params[0]
    assert user_ids.name == "user_ids" and user_ids.required is False
    assert _method(spec, "groups.isMember").params[0].required is True


def test_enum_names(spec: Spec) -> None:
    sex = spec.models["base_sex"].schema
    assert sex["enum"] == [0, 1, 2]
    assert sex["x-enum-names"] == ["unknown", "female", "male"]


def test_keyword_property_names_are_kept(spec: Spec) -> None:
    assert "self" in spec.models["callback_group_leave"].schema["properties"]
    assert "2fa_required" in spec.models["account_info"].schema["properties"]
    assert "class" in spec.models["users_school"].schema["properties"]
    assert "global" in spec.models["search_hint"].schema["properties"]
    params = {p.name: p for p in _method(spec, "pages.get").params}
    assert params["global"].attr == "global_"


def test_alias_and_response_payload(spec: Spec) -> None:
    assert spec.models["base_sticker"].schema == {"$ref": "#/$defs/base_sticker_new"}
    assert spec.models["users_get_response"].schema == {
        "type": "array",
        "items": {"$ref": "#/$defs/users_user_full"},
    }
    assert spec.models["base_ok_response"].schema["enum"] == [1]
    users_get = _method(spec, "users.get")
    assert users_get.result == {"$ref": "#/$defs/users_get_response"}
    assert users_get.idempotent and users_get.batchable
    assert users_get.token_kinds == ("user", "group", "service")
    assert users_get.docs_url == "https://dev.vk.com/method/users.get"


def test_discriminator(spec: Spec) -> None:
    item = spec.models["newsfeed_newsfeed_item"].schema
    assert item["discriminator"]["propertyName"] == "type"
    assert item["discriminator"]["mapping"]["wall_photo"] == "#/$defs/newsfeed_item_photo"


def test_param_encodings(spec: Spec) -> None:
    groups_get = {p.name: p for p in _method(spec, "groups.get").params}
    assert groups_get["extended"].encoding == "bool01"
    assert groups_get["fields"].encoding == "csv"
    assert groups_get["count"].encoding == "plain"
    assert all(p.location == "form" for p in groups_get.values())
    links = _method(spec, "wall.parseAttachedLink").params[0]
    assert links.encoding == "json" and links.schema["type"] == "array"
    keyboard = {p.name: p for p in _method(spec, "messages.send").params}["keyboard"]
    # The schema's `$ref` beside `type: string`, widened by the overlay's corrections to the object or its text.
    assert keyboard.encoding == "json"
    assert keyboard.schema == {"oneOf": [{"$ref": "#/$defs/messages_keyboard"}, {"type": "string"}]}


def test_execute(spec: Spec) -> None:
    group = next(g for g in spec.groups if g.name == "execute")
    assert group.toplevel
    execute = group.methods[0]
    assert [(p.name, p.required, p.schema) for p in execute.params] == [("code", True, {"type": "string"})]
    assert execute.result == {}
    assert not execute.batchable and not execute.idempotent
    assert execute.errors == (12,)


def test_variants(spec: Spec) -> None:
    groups_get = _method(spec, "groups.get")
    assert [(v.name, v.when, v.result) for v in groups_get.variants] == [
        ("extendedResponse", {"extended": True}, {"$ref": "#/$defs/groups_get_object_extended_response"})
    ]
    is_member = [v.when for v in _method(spec, "groups.isMember").variants]
    assert is_member[0] == {"user_ids": {"present": True}, "extended": True}  # most specific first
    send = _method(spec, "messages.send")
    assert send.result == {"$ref": "#/$defs/messages_send_deprecated_response"}
    assert [v.when for v in send.variants] == [{"peer_ids": {"present": True}}]
    assert _method(spec, "market.addToAlbum").result == {"$ref": "#/$defs/base_ok_response"}
    assert not _method(spec, "market.addToAlbum").variants
    assert len(_method(spec, "newsfeed.search").variants) == 1  # the *Strict ones equal the others
    with_variants = [m for g in spec.groups for m in g.methods if m.variants]
    # 53 from the schema selectors, plus messages.delete by cmids (an overlay correction).
    assert len(with_variants) == 54


def test_errors(spec: Spec) -> None:
    by_code = {e.code: e for e in spec.errors}
    assert by_code[6].name == "TooManyError" and by_code[6].wire_name == "api_error_too_many"
    assert [c for c, e in by_code.items() if e.retryable] == [6, 10]
    assert sum(e.is_global for e in spec.errors) == 62
    assert ("error_request_try_again", None) in by_code[8].subcodes
    assert ("too_many_communities", 1) in by_code[103].subcodes
    assert len({e.name for e in spec.errors}) == 251
    assert _method(spec, "groups.get").errors == (260,)


def test_import_twice_is_byte_identical(imported: Path, tmp_path: Path) -> None:
    again = _import_into(tmp_path)
    assert _generated(again) == _generated(imported)


def test_committed_specs_are_reproducible(imported: Path) -> None:
    committed = _generated(COMMITTED)
    fresh = _generated(imported)
    assert sorted(committed) == sorted(fresh), "run: python -m codegen import vk <schema-dir>"
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"specs/vk is not what the importer writes ({stale[:5]}); run the importer"


def test_committed_code_is_reproducible(regenerated: Path) -> None:
    """import vk <schema> + generate reproduce generated/apiforge/vk byte for byte."""
    fresh = package_files(regenerated)
    assert "__init__.py" in fresh and len(fresh) > 50
    stale = differences(package_files(COMMITTED_CODE), fresh)
    assert not stale, (
        f"generated/apiforge/vk is not what the importer and the generator write ({len(stale)} files: {stale[:5]});"
        " run: python -m codegen import vk <schema-dir> && python -m codegen generate --api vk"
    )


def test_code_comparison_sees_one_changed_byte(regenerated: Path) -> None:
    fresh = package_files(regenerated)
    name = "__init__.py"
    edited = dict(fresh)
    edited[name] = fresh[name][:-1] + bytes([fresh[name][-1] ^ 1])
    assert differences(edited, fresh) == [name]
    assert differences({**fresh, "extra.py": b""}, fresh) == ["extra.py"]
    assert differences({k: v for k, v in fresh.items() if k != name}, fresh) == [name]


def test_stale_files_are_deleted(tmp_path: Path) -> None:
    out = _import_into(tmp_path)
    (out / "models" / "gone.yaml").write_text(vk.MARKER + " ...\nmodels: {}\n", encoding="utf-8")
    (out / "models" / "hand.yaml").write_text("# hand-written\nmodule: hand\nmodels: {hand_x: {type: string}}\n")
    vk.run(SCHEMA, tmp_path)
    assert not (out / "models" / "gone.yaml").exists()
    assert (out / "models" / "hand.yaml").exists()
    assert (out / "overlay.yaml").exists()


def _overlay_without(method: str, key: str | None = None) -> str:
    data = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    if key is None:
        del data["responses"][method]
    else:
        del data["responses"][method][key]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def test_missing_selector_for_a_method_fails(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"groups\.get") as info:
        _import_into(tmp_path, _overlay_without("groups.get"))
    assert "extendedResponse" in str(info.value)


def test_missing_selector_for_a_key_fails(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"friends\.getMutual.*totalCountResponse"):
        _import_into(tmp_path, _overlay_without("friends.getMutual", "totalCountResponse"))


def test_selector_must_name_a_parameter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = OVERLAY.read_text(encoding="utf-8").replace(
        "    multiResponse: {when: {album_ids: {present: true}}}",
        "    multiResponse: {when: {albums: {present: true}}}",
        1,
    )
    with pytest.raises(SpecError, match=r"video\.addToAlbum.*'albums'"):
        _import_into(tmp_path / "strict", text, strict=True)
    # Not strict: the entry is listed as not applying, the method gets no variant for it.
    spec = load_api(_import_into(tmp_path / "lenient", text))
    stderr = capsys.readouterr().err
    assert "responses.video.addToAlbum.multiResponse.when.albums: method video.addToAlbum" in stderr
    assert not _method(spec, "video.addToAlbum").variants


def test_corrections_are_applied(tmp_path: Path) -> None:
    data = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    data["corrections"] = [
        {"model": "base_object", "path": ["required"], "remove_item": "title", "reason": "test"},
        {"model": "base_object", "path": ["properties", "id", "minimum"], "set": 0},
        {"method": "users.get", "path": ["idempotent"], "set": False},
    ]
    out = _import_into(tmp_path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    spec = load_api(out)
    assert spec.models["base_object"].schema["required"] == ["id"]
    assert spec.models["base_object"].schema["properties"]["id"] == {"type": "integer", "minimum": 0}
    assert not _method(spec, "users.get").idempotent


def test_a_path_step_selects_a_parameter_by_name(tmp_path: Path) -> None:
    """`[params, {name: ...}, ...]`: the parameter with that name, wherever the state lists it."""
    data = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    data["corrections"] = [
        {"method": "users.get", "path": ["params", {"name": "fields"}, "encoding"], "set": "plain"},
        {"method": "users.get", "path": ["params", {"name": "nope"}, "encoding"], "set": "plain"},
    ]
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    overlay = read_overlay(path)
    for order in (["user_ids", "fields"], ["fields", "name_case", "user_ids"]):  # two states, two orders
        overlay.stale.clear()
        methods = {"users.get": {"params": [{"name": name, "encoding": "csv"} for name in order]}}
        apply_corrections(overlay, {}, methods)
        encodings = {param["name"]: param["encoding"] for param in methods["users.get"]["params"]}
        assert encodings == {name: "plain" if name == "fields" else "csv" for name in order}
        assert len(overlay.stale) == 1 and overlay.stale[0].endswith(
            "corrections[1].path[1]: method users.get: nothing at ['params', {'name': 'nope'}]"
        ), overlay.stale
    data["corrections"] = [{"method": "users.get", "path": ["params", ["fields"]], "set": {}}]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=r"corrections\[0\]\.path\[1\].*a key, an index or \{key: value\}"):
        read_overlay(path)


def test_added_models_join_their_section(tmp_path: Path) -> None:
    data = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    out = _import_into(tmp_path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    template = load_api(out).models["messages_template"]
    assert template.module == "messages" and template.schema["required"] == ["type", "elements"]
    data["add_models"]["messages"]["base_object"] = {"type": "object"}
    with pytest.raises(SpecError, match="'base_object' is in the schema already"):
        _import_into(tmp_path / "again", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_stale_correction_fails_when_strict_and_is_listed_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.load(OVERLAY.read_text(encoding="utf-8"), Loader=_Loader)
    data["corrections"] = [{"model": "base_object", "path": ["required"], "remove_item": "nope"}]
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    with pytest.raises(SpecError, match="nope"):
        _import_into(tmp_path / "strict", text, strict=True)
    spec = load_api(_import_into(tmp_path / "lenient", text))
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "corrections[0]" in line] == [
        f"warning: overlay entry does not apply: {tmp_path / 'lenient' / 'vk' / 'overlay.yaml'}:"
        f"{text.splitlines().index('  remove_item: nope') + 1}: corrections[0].remove_item: "
        "model base_object: 'nope' is not in ['required']"
    ]
    assert spec.models["base_object"].schema["required"] == ["id", "title"]
