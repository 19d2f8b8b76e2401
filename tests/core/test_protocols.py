"""The sans-IO protocol adapters: requests they build, bodies they read, errors they raise."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from apiforge.core.call import Call, MethodSpec, Param
from apiforge.core.effects import Acquire, Release, Send
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError
from apiforge.core.protocols.vk import VKProtocol
from apiforge.core.protocols.wialon import WialonProtocol
from apiforge.core.protocols.yclients import YclientsProtocol


class FakeAPIError(APIError):
    pass


class RateError(FakeAPIError):
    code = 6


class ServerError(FakeAPIError):
    code = 10


def error_class(code: int) -> type[APIError]:
    return {6: RateError, 10: ServerError}.get(code, FakeAPIError)


def form(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return parse_qs(request.content.decode(), keep_blank_values=True)


# VK

VK_TOKEN = "vk-secret-token-123"


def vk(**kwargs: Any) -> VKProtocol:
    return VKProtocol(
        base_url="https://api.vk.com/", error_class=error_class, version="5.199", token=VK_TOKEN, **kwargs
    )


USERS_GET: MethodSpec[object] = MethodSpec(
    api="vk",
    name="users.get",
    params=(Param("user_ids", "form", "csv"), Param("extended", "form", "bool01"), Param("name_case", "form", "plain")),
)
SEND: MethodSpec[object] = MethodSpec(api="vk", name="messages.send", params=(Param("peer_id", "form", "plain"),))


def test_vk_request() -> None:
    call = USERS_GET.call({"user_ids": [1, 2, 3], "extended": True, "name_case": "gen"})
    request = vk().build_request(call)
    assert request.method == "POST"
    assert str(request.url) == "https://api.vk.com/method/users.get"
    assert form(request) == {
        "user_ids": ["1,2,3"],
        "extended": ["1"],
        "name_case": ["gen"],
        "access_token": [VK_TOKEN],
        "v": ["5.199"],
    }
    assert VK_TOKEN not in str(request.url)
    assert not request.url.query


def test_vk_false_is_0_and_lang() -> None:
    request = vk(lang="en").build_request(USERS_GET.call({"extended": False}))
    assert form(request)["extended"] == ["0"]
    assert form(request)["lang"] == ["en"]
    assert "user_ids" not in form(request)


def test_vk_response() -> None:
    assert vk().parse_body("users.get", {"response": [{"id": 1}]}) == [{"id": 1}]
    assert vk().parse_body("users.get", {"response": 0}) == 0


def test_vk_error_is_typed_and_masks_the_token() -> None:
    body = {
        "error": {
            "error_code": 6,
            "error_msg": "Too many requests per second",
            "request_params": [
                {"key": "method", "value": "users.get"},
                {"key": "access_token", "value": VK_TOKEN},
                {"key": "v", "value": "5.199"},
            ],
        }
    }
    with pytest.raises(RateError) as info:
        vk().parse_body("users.get", body)
    error = info.value
    assert (error.method, error.code, error.message) == ("users.get", 6, "Too many requests per second")
    assert {"key": "access_token", "value": "***"} in error.details["request_params"]
    assert {"key": "v", "value": "5.199"} in error.details["request_params"]
    assert VK_TOKEN not in repr(error.details)
    assert vk().retry_verdict(error) == "rejected"


def test_vk_unknown_code_gets_the_base_class_and_extra_details() -> None:
    with pytest.raises(FakeAPIError) as info:
        vk().parse_body("users.get", {"error": {"error_code": 14, "error_msg": "Captcha needed", "captcha_sid": "1"}})
    assert type(info.value) is FakeAPIError
    assert info.value.details["captcha_sid"] == "1"
    assert vk().retry_verdict(info.value) is None
    assert vk().retry_verdict(ServerError("m", 10, "x")) == "transient"


@pytest.mark.parametrize(
    "body",
    [[], {"nothing": 1}, {"error": "boom"}, {"error": {"error_code": "6"}}],
)
def test_vk_malformed_bodies(body: object) -> None:
    with pytest.raises(DecodeError):
        vk().parse_body("users.get", body)


def test_vk_parse_http_errors() -> None:
    call = USERS_GET.call({})
    with pytest.raises(HTTPStatusError) as info:
        vk().parse(call, httpx.Response(502, text="bad gateway"))
    assert info.value.status_code == 502
    assert vk().parse(call, httpx.Response(200, json={"response": [1]})) == [1]
    with pytest.raises(DecodeError):
        vk().parse(call, httpx.Response(200, text="<html>"))


def test_vk_messages_send_gets_a_stable_random_id() -> None:
    protocol = vk()
    call = SEND.call({"peer_id": 5})
    assert not call.idempotent
    prepared = protocol.prepare(call)
    random_id = prepared.params["random_id"]
    assert isinstance(random_id, str) and int(random_id) > 0
    assert prepared.idempotent
    # Preparing again (and every attempt's request) keeps the same id.
    assert protocol.prepare(prepared).params["random_id"] == random_id
    first, second = protocol.build_request(prepared), protocol.build_request(prepared)
    assert form(first)["random_id"] == form(second)["random_id"] == [random_id]
    # An explicit random_id is kept.
    explicit = protocol.prepare(call.with_params(random_id="42"))
    assert explicit.params["random_id"] == "42"
    assert explicit.idempotent


def test_vk_other_methods_are_not_touched() -> None:
    call = USERS_GET.call({"user_ids": [1]})
    assert vk().prepare(call) is call


# YCLIENTS

CLIENTS: MethodSpec[object] = MethodSpec(
    api="yclients",
    name="GET /api/v1/company/{company_id}/clients",
    params=(Param("company_id", "path"), Param("ids", "query", "brackets"), Param("page", "query")),
    token_kinds=("user",),
)
COMPANIES: MethodSpec[object] = MethodSpec(
    api="yclients", name="GET /api/v1/companies", params=(Param("city_id", "query"),), token_kinds=("partner",)
)
CREATE: MethodSpec[object] = MethodSpec(
    api="yclients",
    name="POST /api/v1/clients/{company_id}",
    params=(Param("company_id", "path"),),
    token_kinds=("partner", "user"),
    has_body=True,
)


def yc(user: str | None = None) -> YclientsProtocol:
    return YclientsProtocol(
        base_url="https://api.yclients.com", error_class=error_class, partner_token="p", user_token=user
    )


def test_yclients_partner_only() -> None:
    request = yc().build_request(COMPANIES.call({"city_id": 2}))
    assert request.method == "GET"
    assert request.headers["authorization"] == "Bearer p"
    assert request.headers["accept"] == "application/vnd.yclients.v2+json"
    assert str(request.url) == "https://api.yclients.com/api/v1/companies?city_id=2"


def test_yclients_user_token_is_added() -> None:
    request = yc("u").build_request(CLIENTS.call({"company_id": 7, "ids": [1, 2], "page": 3}))
    assert request.headers["authorization"] == "Bearer p, User u"
    assert request.url.path == "/api/v1/company/7/clients"
    assert request.url.params.get_list("ids[]") == ["1", "2"]
    assert request.url.params["page"] == "3"


def test_yclients_user_method_without_user_token_fails_before_sending() -> None:
    with pytest.raises(ConfigurationError, match="user token"):
        yc().build_request(CLIENTS.call({"company_id": 7}))


def test_yclients_user_token_set_later() -> None:
    protocol = yc()
    protocol.set_user_token("later-user-token")
    assert (
        protocol.build_request(CLIENTS.call({"company_id": 1})).headers["authorization"]
        == "Bearer p, User later-user-token"
    )
    protocol.set_user_token(None)
    with pytest.raises(ConfigurationError):
        protocol.build_request(CLIENTS.call({"company_id": 1}))


def test_yclients_path_params_are_percent_encoded() -> None:
    # Built directly: `CLIENTS.call` would refuse a str for the integer company_id before the protocol sees it.
    request = yc("u").build_request(Call(spec=CLIENTS, path_params={"company_id": "a b"}))
    assert request.url.raw_path == b"/api/v1/company/a%20b/clients"


def test_yclients_path_params_cannot_add_segments() -> None:
    with pytest.raises(ValueError, match=r"company_id='a/b' would change the path"):
        yc("u").build_request(Call(spec=CLIENTS, path_params={"company_id": "a/b"}))


def test_yclients_json_body() -> None:
    call = CREATE.call({"company_id": 1}, {"name": "Ann", "phone": "79000000000"})
    request = yc().build_request(call)
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"name": "Ann", "phone": "79000000000"}


def test_yclients_envelope() -> None:
    protocol = yc()
    assert protocol.parse_body("m", {"success": True, "data": [{"id": 1}], "meta": {"total_count": 1}}) == [{"id": 1}]
    assert protocol.parse_body("m", {"success": True, "data": {"id": 1}, "meta": []}) == {"id": 1}
    assert protocol.meta_of({"success": True, "meta": []}) == {}
    assert protocol.meta_of({"success": True, "meta": {"count": 3}}) == {"count": 3}


def test_yclients_error_with_status() -> None:
    body = {"success": False, "data": None, "meta": {"message": "Not found", "errors": {"id": ["bad"]}}}
    with pytest.raises(FakeAPIError) as info:
        yc().parse_body("GET /api/v1/x", body, status_code=404)
    error = info.value
    assert (error.code, error.message) == (404, "Not found")
    assert error.details["errors"] == {"id": ["bad"]}
    assert yc().retry_verdict(error) is None


def test_yclients_error_without_status_and_empty_meta() -> None:
    with pytest.raises(APIError) as info:
        yc().parse_body("m", {"success": False, "meta": []})
    assert info.value.code == 0
    assert info.value.message == "request failed"


def test_yclients_retry_after_and_verdicts() -> None:
    response = httpx.Response(
        429,
        json={"success": False, "meta": {"message": "Too many"}},
        headers={"Retry-After": "3"},
        request=httpx.Request("GET", "https://api.yclients.com/api/v1/companies"),
    )
    with pytest.raises(APIError) as info:
        yc().parse(COMPANIES.call({}), response)
    assert info.value.details["retry_after"] == "3"
    assert yc().retry_verdict(info.value) == "rejected"
    assert yc().retry_verdict(APIError("m", 503, "x")) == "transient"


def test_yclients_non_envelope_bodies() -> None:
    with pytest.raises(HTTPStatusError):
        yc().parse_body("m", {"message": "Server Error"}, status_code=500)
    with pytest.raises(DecodeError):
        yc().parse_body("m", [1, 2], status_code=200)
    assert yc().parse(COMPANIES.call({}), httpx.Response(204)) is None


# Wialon

SEARCH: MethodSpec[object] = MethodSpec(
    api="wialon",
    name="core/search_items",
    params=(Param("spec", "params", "native"), Param("flags", "params", "native")),
)


def wialon(token: str | None = "wialon-token-xyz") -> WialonProtocol:
    return WialonProtocol(base_url="https://hst-api.wialon.com", error_class=error_class, token=token)


def test_wialon_request() -> None:
    protocol = wialon()
    protocol.adopt({"eid": "session-0001"})
    call = SEARCH.call({"spec": {"itemsType": "avl_unit", "propName": "sys_name"}, "flags": 1})
    request = protocol.build_request(call, protocol.session)  # a call goes out in the session it was admitted to
    assert request.method == "POST"
    assert str(request.url) == "https://hst-api.wialon.com/wialon/ajax.html"
    fields = form(request)
    assert fields["svc"] == ["core/search_items"]
    assert fields["params"] == ['{"spec":{"itemsType":"avl_unit","propName":"sys_name"},"flags":1}']
    assert fields["sid"] == ["session-0001"]


def test_wialon_login_has_no_sid() -> None:
    protocol = wialon()
    protocol.adopt({"eid": "old"})
    fields = form(protocol.request_for("token/login", {"token": "t"}, session=protocol.session))
    assert "sid" not in fields
    assert json.loads(fields["params"][0]) == {"token": "t"}


def test_wialon_error_0_is_success() -> None:
    assert wialon().parse_body("core/set_locale", {"error": 0}) == {"error": 0}
    assert wialon().parse_body("core/search_items", {"items": []}) == {"items": []}
    assert wialon().parse_body("core/batch", [{"error": 0}, {"x": 1}]) == [{"error": 0}, {"x": 1}]


def test_wialon_error_with_reason() -> None:
    with pytest.raises(FakeAPIError) as info:
        wialon().parse_body("core/search_items", {"error": 1003, "reason": "LIMIT api_concurrent"})
    error = info.value
    assert (error.code, error.message, error.details["reason"]) == (
        1003,
        "LIMIT api_concurrent",
        "LIMIT api_concurrent",
    )
    with pytest.raises(FakeAPIError) as info:
        wialon().parse_body("core/search_items", {"error": 7})
    assert info.value.message == "error 7"
    with pytest.raises(DecodeError):
        wialon().parse_body("core/search_items", {"error": "7"})


@pytest.mark.parametrize(
    ("code", "reason", "verdict"),
    [
        (1003, "LIMIT api_concurrent", "rejected"),
        (1003, "LOCKER_ERROR: busy", "rejected"),
        (1003, "something else", None),
        (1003, "", None),
        (9, "", "rejected"),
        (10, "", "rejected"),
        (4, "", None),
    ],
)
def test_wialon_retry_verdict(code: int, reason: str, verdict: str | None) -> None:
    assert wialon().retry_verdict(APIError("m", code, reason or "x", reason=reason)) == verdict


def test_wialon_before_send_logs_in_once() -> None:
    protocol = wialon()
    effects = protocol.before_send(SEARCH.call({}))
    assert next(effects) == Acquire("wialon:session")
    send = effects.send(None)
    assert isinstance(send, Send)
    fields = form(send.request)
    assert fields["svc"] == ["token/login"]
    assert json.loads(fields["params"][0])["token"] == "wialon-token-xyz"
    release = effects.send(httpx.Response(200, json={"eid": "new-session-id", "user": {}}))
    assert release == Release("wialon:session")
    with pytest.raises(StopIteration):
        next(effects)
    assert protocol.sid == "new-session-id"
    # With a session, nothing more to do.
    assert list(protocol.before_send(SEARCH.call({}))) == []


def test_wialon_without_token_is_a_configuration_error() -> None:
    effects = wialon(token=None).login()
    assert next(effects) == Acquire("wialon:session")
    assert next(effects) == Release("wialon:session")  # released before the error surfaces
    with pytest.raises(ConfigurationError, match="token"):
        next(effects)


def test_vk_call_repr_hides_values() -> None:
    call: Call[object] = USERS_GET.call({"user_ids": [123456789]})
    assert "123456789" not in repr(call)


def test_random_id_zero_keeps_a_send_non_idempotent() -> None:
    # VK does not de-duplicate random_id=0: such a send must not be resent after it may have arrived.
    send: MethodSpec[object] = MethodSpec(
        api="vk", name="messages.send", params=(Param("peer_id", "form", "plain"), Param("random_id", "form", "plain"))
    )
    protocol = vk()
    explicit = protocol.prepare(send.call({"peer_id": 1, "random_id": 7}))
    zero = protocol.prepare(send.call({"peer_id": 1, "random_id": 0}))
    assert explicit.idempotent
    assert not zero.idempotent
