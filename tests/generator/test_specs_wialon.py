"""The hand-written Wialon Remote API specs (specs/wialon): loadable, complete, consistent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.spec.load import load_api
from codegen.spec.model import Method, Spec

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs" / "wialon"


def _names(text: str) -> list[str]:
    """Whitespace-separated names, so long lists stay compact."""
    return text.split()


# Every service name of the reference's catalogue (§10.2), by prefix.
CATALOGUE: dict[str, list[str]] = {
    "core": _names("""
        logout get_account_data check_items_billing check_accessors create_user create_resource create_unit
        create_unit_group create_retranslator create_route search_item search_items update_data_flags
        get_hw_types get_hw_cmds reset_password_request reset_password_perform batch duplicate
        create_auth_hash use_auth_hash check_unique export_file set_session_property set_prms_limit
    """),
    "item": _names("""
        update_name delete_item update_custom_field update_custom_property update_admin_field add_log_record
        get_backup list_backups update_measure_units update_ftp_property update_profile_field restore_icons
    """),
    "user": _names("""
        verify_auth update_auth_params update_item_access get_items_access update_hosts_mask
        update_user_notification update_password send_sms update_user_flags update_locale get_locale
        get_dst_time
    """),
    "resource": _names("""
        get_zone_data update_zone create_zone_by_track get_zones_by_point upload_zone_image
        update_zones_group get_job_data update_job get_notification_data update_notification update_driver
        upload_driver_image bind_unit_driver update_driver_units get_driver_bindings get_unit_drivers
        cleanup_driver_interval upload_tacho_file driver_operate driver_status update_drivers_group
        update_trailer upload_trailer_image bind_unit_trailer update_trailer_units get_trailer_bindings
        get_unit_trailers cleanup_trailer_interval update_trailers_group update_tag upload_tag_image
        bind_unit_tag update_tag_units update_tag_message get_tag_bindings update_tags_group
        update_email_template get_orders_notification update_orders_notification
    """),
    "account": _names("""
        create_account delete_account get_account_data enable_account get_billing_plans list_change_accounts
        update_billing_plan update_plan update_sub_plans update_dealer_rights update_billing_service
        update_flags do_payment update_min_days get_account_history update_history_period change_account
        trash
    """),
    "unit": _names("""
        add_video_packets update_video_status update_command_definition exec_cmd get_command_definition_data
        update_calc_flags update_eh_counter update_traffic_counter update_mileage_counter update_device_type
        update_image get_fuel_settings update_fuel_rates_params update_fuel_math_params
        update_fuel_level_params update_fuel_impulse_params update_fuel_calc_types
        get_accelerometers_calibration get_report_settings get_messages_filter get_drive_rank_settings
        get_trips get_video_settings get_vin_info update_hw_params update_phone registry_custom_event
        registry_fuel_filling_event registry_maintenance_event registry_status_event update_phone2
        update_unique_id2 update_sensor calc_sensors calc_last_message update_service_interval
        update_video_autopay update_activity_settings get_activity_settings get_trip_detector update_access_password set_active
        update_accelerometers_calibration update_drive_rank_settings update_report_settings
        update_messages_filter update_trip_detector update_video_settings upload_image
    """),
    "unit_group": _names("""
        update_units
    """),
    "retranslator": _names("""
        update_units update_operating get_stats update_config
    """),
    "route": _names("""
        update_round get_round_data get_all_rounds get_schedule_time load_rounds update_config
        update_checkpoints update_schedule optimize
    """),
    "messages": _names("""
        unload delete_message get_messages get_message_file get_packed_messages load_last load_interval
    """),
    "report": _names("""
        cleanup_result exec_report export_result get_result_chart render_json hittest_chart
        get_report_tables get_result_map get_result_subrows get_result_photo get_report_status
        select_result_rows get_result_rows get_report_data get_result_video update_report
        apply_report_result
    """),
    "exchange": _names("""
        export_zones export_messages export_json import_json import_zones_save import_messages
        import_pois_save import_zones_read import_pois_read
    """),
    "render": _names("""
        enable_layer create_poi_layer create_zones_layer create_messages_layer get_messages delete_message
        remove_layer remove_all_layers set_locale calculate_polygon calculate_polyline
    """),
    "token": _names("""
        update list login
    """),
    "file": _names("""
        list get put rm read write library mkdir type_library
    """),
    "events": _names("""
        update_units check_updates load get unload update_items
    """),
    "order": _names("""
        update attach list_attachments detach get_attachment complete_from_history optimize route_update
    """),
    "apps": _names("""
        list
    """),
}

FLAG_ENUMS = _names("""
    token_login_flags item_data_flags unit_data_flags resource_data_flags user_data_flags
    route_data_flags retranslator_data_flags message_flags message_types batch_flags user_flags
""")

HEAVY = set(
    _names("""
    messages/load_interval messages/load_last report/exec_report report/export_result
    report/get_result_chart report/get_result_map render/create_messages_layer unit/get_trips
    resource/get_driver_bindings resource/get_trailer_bindings account/get_account_history
""")
) | {f"exchange/{action}" for action in CATALOGUE["exchange"]}

EXCLUSIVE = {
    "messages_loader": {f"messages/{a}" for a in _names("load_interval load_last get_messages unload delete_message")},
    "report_result": {
        f"report/{a}"
        for a in _names("""
            exec_report apply_report_result get_result_rows get_result_subrows select_result_rows export_result
            cleanup_result get_report_status get_result_chart get_result_map
        """)
    },
    "exchange": {f"exchange/{action}" for action in CATALOGUE["exchange"]},
}

NOT_BATCHABLE = {"token/login", "core/batch", "core/logout", "core/duplicate", "core/use_auth_hash"}

# help.wialon.com pages the reference marks as seen ("V"); the rest link to the older apiref.
VERIFIED = set(
    _names("""
    token/login token/list token/update core/logout core/duplicate core/batch core/search_items
    core/search_item core/update_data_flags item/update_custom_field unit/registry_custom_event
    unit/upload_image resource/update_driver resource/upload_driver_image resource/upload_tacho_file
    messages/load_interval messages/load_last report/exec_report report/get_report_status
    report/apply_report_result report/get_result_rows report/select_result_rows report/cleanup_result
    report/get_report_data exchange/export_messages events/update_items events/check_updates events/load
    events/get events/unload user/update_user_flags
""")
)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_api(SPECS)


@pytest.fixture(scope="module")
def methods(spec: Spec) -> dict[str, Method]:
    return {m.name: m for g in spec.groups for m in g.methods}


@pytest.fixture(scope="module")
def raw_methods() -> dict[str, dict[str, Any]]:
    """The methods as written, to tell an explicit `params: []` from an omitted list."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((SPECS / "methods").glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["methods"]:
            out[raw["name"]] = raw
    return out


def _typed(schema: Any) -> bool:
    return isinstance(schema, dict) and bool({"type", "$ref", "oneOf", "anyOf", "allOf", "enum"} & set(schema))


def _model(spec: Spec, ref_or_schema: Any) -> dict[str, Any]:
    ref = ref_or_schema["$ref"]
    return spec.models[ref.rsplit("/", 1)[1]].schema  # type: ignore[no-any-return]


def _properties(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    """Properties of an object model, allOf parents flattened in."""
    props: dict[str, Any] = dict(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        props.update(_properties(spec, _model(spec, part) if "$ref" in part else part))
    return props


def test_api_header(spec: Spec) -> None:
    api = spec.api
    names = (api.name, api.protocol, api.client, api.async_client, api.error_base)
    assert names == ("wialon", "wialon", "Wialon", "AsyncWialon", "WialonError")
    assert api.base_url == "https://hst-api.wialon.com"
    assert api.version is None and api.token_kinds == ()


def test_errors(spec: Spec) -> None:
    codes = {e.code: e for e in spec.errors}
    expected = [*range(1, 13), 14, *range(1001, 1007), 1011, 2006, 2008, 2014, 2015]
    assert sorted(codes) == expected
    assert codes[1].name == "InvalidSessionError" and codes[8].name == "InvalidCredentialsError"
    assert {c for c, e in codes.items() if e.retryable} == {9, 10, 1003}
    assert "LIMIT api_concurrent" in {name for name, _ in codes[1003].subcodes}


def test_catalogue_is_complete(methods: dict[str, Method]) -> None:
    expected = {f"{prefix}/{action}" for prefix, actions in CATALOGUE.items() for action in actions}
    assert len(expected) == sum(len(a) for a in CATALOGUE.values())
    assert set(methods) == expected


def test_one_group_per_prefix(spec: Spec) -> None:
    for group in spec.groups:
        assert group.wire == group.name
        assert all(m.name.split("/")[0] == group.name for m in group.methods), group.name
    assert {g.name for g in spec.groups} == set(CATALOGUE)


def test_typed_params(methods: dict[str, Method], raw_methods: dict[str, dict[str, Any]]) -> None:
    typed = [
        name
        for name, m in methods.items()
        if any(_typed(p.schema) for p in m.params) or raw_methods[name].get("params") == []
    ]
    assert len(typed) >= 200
    for name, m in methods.items():
        for p in m.params:
            assert p.location in ("params", "file"), name
            if p.location == "params":
                assert p.encoding == "native", (name, p.name)
            else:
                assert p.schema == {"type": "string", "format": "binary"}, (name, p.name)


def _resolve(spec: Spec, schema: Any, seen: frozenset[str]) -> tuple[Any, frozenset[str]]:
    """Follow `$ref`s (and aliases) to the schema they name; a cycle resolves to `{}`."""
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return {}, seen
        seen |= {name}
        schema = spec.models[name].schema
    return schema, seen


def _has_fields(spec: Spec, schema: Any, seen: frozenset[str] = frozenset()) -> bool:
    """A model with named fields: an object with a property other than `error` (allOf parents included),
    or an array, tuple, map or union holding one. Not JSON (`{}`, `{type: object}`), not `{error: 0}`,
    not a file, not a scalar or a map of scalars."""
    schema, seen = _resolve(spec, schema, seen)
    if not isinstance(schema, dict):
        return False
    if set(schema.get("properties", {})) - {"error"}:
        return True
    parts = [*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())]
    parts += [*schema.get("prefixItems", ()), schema.get("items"), schema.get("additionalProperties")]
    return any(isinstance(part, dict) and _has_fields(spec, part, seen) for part in parts)


def _typed_map(spec: Spec, schema: Any, seen: frozenset[str] = frozenset()) -> bool:
    """A map keyed by ids (or a list of such maps) whose values have a declared type."""
    schema, seen = _resolve(spec, schema, seen)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "array":
        return _typed_map(spec, schema.get("items"), seen)
    values, _ = _resolve(spec, schema.get("additionalProperties"), seen)
    if schema.get("type") != "object" or not isinstance(values, dict) or schema.get("properties"):
        return False
    return _has_fields(spec, values, seen) or _typed_map(spec, values, seen) or _typed(values)


def _result_model(spec: Spec, method: Method) -> str | None:
    ref = method.result.get("$ref") if isinstance(method.result, dict) else None
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


# The key services of the reference (§10.1) by the shape of their documented result: "fields" (named
# fields: an object, a list or tuple of them), "map" (keyed by ids: {sensorId: value}, {resId: [ids]}),
# "ok" (`{}` or `{error: 0}`), "file" (bytes). Those whose result §10.1 leaves open (core/batch:
# result-or-error per call; events/update_items, load, get, unload: "…") are not listed.
KEY_FIELDS = _names("""
    token/login token/list token/update core/duplicate core/search_items core/search_item
    core/update_data_flags core/get_account_data core/check_unique core/create_unit core/create_resource
    core/create_user core/create_unit_group core/create_route core/create_retranslator core/get_hw_types
    item/update_name item/update_custom_field item/update_custom_property item/update_admin_field
    unit/get_trips unit/update_sensor unit/update_mileage_counter unit/update_eh_counter
    unit_group/update_units resource/update_zone resource/get_zone_data resource/update_driver
    resource/get_driver_bindings resource/update_notification resource/update_trailer resource/update_tag
    resource/update_job messages/load_interval messages/load_last messages/get_messages report/exec_report
    report/get_report_status report/apply_report_result report/get_result_rows report/select_result_rows
    report/get_report_data render/create_messages_layer user/update_user_flags user/get_items_access
    account/get_account_data order/update file/list
""")
KEY_MAPS = _names("unit/calc_sensors unit/calc_last_message resource/get_zones_by_point events/check_updates")
KEY_OK = _names("""
    core/logout core/set_prms_limit item/delete_item unit/exec_cmd unit/registry_custom_event unit/upload_image
    resource/bind_unit_driver resource/upload_driver_image messages/unload report/cleanup_result render/set_locale
    exchange/import_messages user/update_item_access account/do_payment account/update_billing_service
""")
KEY_FILES = _names("report/export_result exchange/export_messages")


def _key(shape: str, names: list[str]) -> list[Any]:
    return [pytest.param(name, shape) for name in names]


def test_typed_results(spec: Spec, methods: dict[str, Method]) -> None:
    typed = sorted(name for name, m in methods.items() if _has_fields(spec, m.result))
    assert len(typed) >= 60, f"{len(typed)} services have a result model with fields: {typed}"
    # What does not count: JSON, {error: 0}, files, scalars and maps of scalars.
    for plain in ("core/logout", "core/batch", "events/update_items", "report/export_result", "unit/calc_last_message"):
        assert not _has_fields(spec, methods[plain].result), plain
    assert not _has_fields(spec, {}) and not _has_fields(spec, {"type": "object"})
    assert not _has_fields(spec, {"type": "array", "items": {"type": "integer"}})


def test_key_services_are_all_listed(methods: dict[str, Method]) -> None:
    listed = [*KEY_FIELDS, *KEY_MAPS, *KEY_OK, *KEY_FILES]
    assert len(listed) == len(set(listed)) == 69
    assert set(listed) <= set(methods)


@pytest.mark.parametrize(
    ("name", "shape"),
    _key("fields", KEY_FIELDS) + _key("map", KEY_MAPS) + _key("ok", KEY_OK) + _key("file", KEY_FILES),
)
def test_key_service_result_is_typed(spec: Spec, methods: dict[str, Method], name: str, shape: str) -> None:
    """Each key service of the reference has the result §10.1 documents, typed."""
    method = methods[name]
    if shape == "fields":
        assert _has_fields(spec, method.result), f"{name}: {method.result}"
    elif shape == "map":
        assert _typed_map(spec, method.result), f"{name}: {method.result}"
    elif shape == "ok":
        assert _result_model(spec, method) == "error_result", f"{name}: {method.result}"
    else:
        assert _result_model(spec, method) == "binary_file", f"{name}: {method.result}"


def test_thin_slice(spec: Spec, methods: dict[str, Method]) -> None:
    login = methods["token/login"]
    assert [p.name for p in login.params] == ["token", "operateAs", "fl"]
    assert [p.attr for p in login.params] == ["token", "operate_as", "fl"]
    assert login.result == {"$ref": "#/$defs/login_response"} and login.idempotent and not login.batchable
    login_props = _properties(spec, _model(spec, login.result))
    expected = _names("eid gis_sid host hw_gw_ip au pi tm wsdk_version user token th classes features")
    assert set(expected) <= set(login_props)

    item = methods["core/search_item"]
    assert [p.attr for p in item.params] == ["id", "flags"]
    result = _model(spec, item.result)
    assert set(result["properties"]) == {"item", "flags"}
    item_props = _properties(spec, _model(spec, result["properties"]["item"]))
    assert {"nm", "cls", "id", "mu", "uacl", "prp", "pos", "lmsg", "sens", "cnm"} <= set(item_props)
    assert "required" not in _model(spec, result["properties"]["item"])

    items = methods["core/search_items"]
    assert [p.name for p in items.params] == ["spec", "force", "flags", "from", "to"]
    assert [p.attr for p in items.params] == ["spec", "force", "flags", "from_", "to"]
    assert items.params[0].schema == {"$ref": "#/$defs/search_spec"}
    found = _model(spec, items.result)
    assert set(found["properties"]) == {"searchSpec", "dataFlags", "totalItemsCount", "indexFrom", "indexTo", "items"}

    logout = methods["core/logout"]
    assert logout.params == [] and logout.result == {"$ref": "#/$defs/error_result"}


def test_flag_enums(spec: Spec) -> None:
    for name in FLAG_ENUMS:
        schema = spec.models[name].schema
        assert schema.get("x-flags") is True, name
        assert schema["type"] == "integer", name
        assert len(schema["x-enum-names"]) == len(schema["enum"]), name
    unit = spec.models["unit_data_flags"].schema
    named = dict(zip(unit["x-enum-names"], unit["enum"], strict=True))
    assert named["BASE"] == 0x1 and named["LAST_MESSAGE_AND_POSITION"] == 0x400 and named["POSITION"] == 0x400000
    assert named["ALL"] == 0x3FFFFFFFFFFFFFFF


def test_runtime_models(spec: Spec) -> None:
    events = spec.models["avl_events_response"].schema
    assert set(events["required"]) == {"tm", "events"}
    batch = spec.models["batch_result"].schema
    assert batch["type"] == "array"
    assert spec.models["data_message"].schema["properties"]["p"] == {"type": "object"}


def test_heavy_and_exclusive(methods: dict[str, Method]) -> None:
    heavy = {name for name, m in methods.items() if m.heavy}
    assert heavy >= HEAVY
    assert heavy - HEAVY <= {"resource/get_tag_bindings"}
    for key, names in EXCLUSIVE.items():
        assert {name for name, m in methods.items() if m.exclusive == key} == names, key
    assert {m.exclusive for m in methods.values()} == {None, *EXCLUSIVE}


def test_batchable_and_idempotent(methods: dict[str, Method]) -> None:
    for name, m in methods.items():
        uploads = any(p.location == "file" for p in m.params)
        returns_file = m.result == {"$ref": "#/$defs/binary_file"}
        if name in NOT_BATCHABLE or uploads or returns_file:
            assert not m.batchable, name
        else:
            assert m.batchable, name
        action = name.split("/")[1]
        if action.startswith(("search", "get_", "load", "list", "check_", "calc_")) and name != "events/check_updates":
            assert m.idempotent, name
    assert methods["token/login"].idempotent


def test_docs_urls(methods: dict[str, Method]) -> None:
    for name, m in methods.items():
        prefix, action = name.split("/")
        if name in VERIFIED:
            assert m.docs_url == f"https://help.wialon.com/en/api/user-guide/api-reference/{prefix}/{action}"
        else:
            assert m.docs_url == f"https://sdk.wialon.com/wiki/en/kit/remoteapi/apiref/{prefix}/{action}"


def test_files_have_modules() -> None:
    for path in sorted((SPECS / "models").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["module"] == path.stem, path
