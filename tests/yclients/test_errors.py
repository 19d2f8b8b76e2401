"""YCLIENTS errors: one class per status, `meta.message`, `meta.errors` in every form, conflicts, licences."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apiforge.core import MethodSpec
from apiforge.core.errors import DecodeError, HTTPStatusError
from apiforge.core.protocols.yclients import YclientsAPIError, YclientsProtocol, normalize_errors
from apiforge.yclients import decode_response
from apiforge.yclients.errors import (
    BadGatewayError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    GatewayTimeoutError,
    NotFoundError,
    PaymentRequiredError,
    ServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
    YclientsError,
    error_class,
)
from apiforge.yclients.models import LoyaltyCardsResponseDataTypes

SEARCH = "POST /api/v1/company/{company_id}/clients/search"


def protocol() -> YclientsProtocol:
    return YclientsProtocol(base_url="https://api.yclients.com", error_class=error_class, partner_token="p")


def failure(meta: object, status: int | None, **envelope: Any) -> YclientsError:
    body = {"success": False, "data": None, "meta": meta, **envelope}
    with pytest.raises(YclientsError) as caught:
        protocol().parse_body(SEARCH, body, status_code=status)
    return caught.value


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (402, PaymentRequiredError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, TooManyRequestsError),
        (500, ServerError),
        (502, BadGatewayError),
        (503, ServiceUnavailableError),
        (504, GatewayTimeoutError),
    ],
)
def test_one_class_per_status(status: int, cls: type[YclientsError]) -> None:
    error = failure({"message": "Филиал не найден."}, status)
    assert type(error) is cls and isinstance(error, YclientsAPIError)
    assert (error.code, error.message, error.method) == (status, "Филиал не найден.", SEARCH)
    assert error.meta == {"message": "Филиал не найден."}


def test_an_unlisted_status_is_the_base_class() -> None:
    error = failure({"message": "I'm a teapot"}, 418)
    assert type(error) is YclientsError and error.code == 418


def test_errors_in_the_documented_map_form() -> None:
    error = failure({"message": "Invalid", "errors": {"phone": ["bad", "short"], "name": "empty"}}, 400)
    assert error.errors == {"phone": ["bad", "short"], "name": ["empty"]}
    assert error.details["errors"] == {"phone": ["bad", "short"], "name": "empty"}  # as sent


def test_errors_in_the_list_form() -> None:
    error = failure({"message": "Invalid", "errors": [{"phone": "bad"}, {"phone": "short"}, {"email": ["x"]}]}, 400)
    assert error.errors == {"phone": ["bad", "short"], "email": ["x"]}


def test_errors_without_a_message_make_the_message() -> None:
    error = failure({"errors": {"page_size": ["must be <= 200"]}}, 422)
    assert error.message == "page_size: must be <= 200"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ([], {}),
        ({}, {}),
        ("Something broke", {"": ["Something broke"]}),
        (["one", "two"], {"": ["one", "two"]}),
        ([{"field_name": "phone", "field_value": "1", "error_message": "bad phone"}], {"phone": ["bad phone"]}),
        ({"a": [1, None]}, {"a": ["1"]}),
    ],
)
def test_normalize_errors(raw: object, expected: dict[str, list[str]]) -> None:
    assert normalize_errors(raw) == expected


@pytest.mark.parametrize("meta", [[], {}, None])
def test_meta_as_an_empty_list_or_object(meta: object) -> None:
    error = failure(meta, 404, message="Not found")
    assert error.meta == {} and error.errors == {} and error.message == "Not found"
    assert protocol().parse_body("m", {"success": True, "data": {"id": 1}, "meta": meta}) == {"id": 1}


def test_success_false_with_a_2xx_status_is_an_error() -> None:
    error = failure({"message": "Accepted, but not done"}, 200)
    assert type(error) is YclientsError and error.code == 0
    assert error.message == "Accepted, but not done"


def test_conflict() -> None:
    error = failure({"message": "Мастер занят", "conflict": True}, 409)
    assert isinstance(error, ConflictError) and error.conflict
    assert not failure({"message": "x"}, 400).conflict


@pytest.mark.parametrize(
    ("status", "message", "expired"),
    [
        (402, "Необходимо продлить лицензию в филиале с id: 1", True),  # noqa: RUF001 - the API's own words
        (403, "Необходимо продлить лицензию в филиале с id: 1", True),  # noqa: RUF001
        (403, "The licence must be renewed for branch id 1", True),
        (403, "Недостаточно прав", False),
        (404, "Лицензия не найдена", False),
    ],
)
def test_licence_expired(status: int, message: str, expired: bool) -> None:
    assert failure({"message": message}, status).licence_expired is expired


def test_rate_limit_keeps_retry_after_and_is_retried_as_rejected() -> None:
    spec: MethodSpec[object] = MethodSpec(api="yclients", name="GET /api/v1/companies")
    response = httpx.Response(
        429, json={"success": False, "meta": {"message": "Too many"}}, headers={"Retry-After": "7"}
    )
    with pytest.raises(TooManyRequestsError) as caught:
        protocol().parse(spec.call({}), response)
    assert caught.value.details["retry_after"] == "7"
    assert protocol().retry_verdict(caught.value) == "rejected"
    assert protocol().retry_verdict(ServerError("m", 500, "x")) == "transient"
    assert protocol().retry_verdict(NotFoundError("m", 404, "x")) is None


def test_error_bodies_without_the_envelope_raise_the_typed_error() -> None:
    with pytest.raises(UnauthorizedError) as caught:
        protocol().parse_body("POST /api/v1/", {"error_code": 20, "error_message": "explicit"}, status_code=401)
    assert caught.value.message == "explicit"
    assert caught.value.details["body"] == {"error_code": 20, "error_message": "explicit"}
    with pytest.raises(BadRequestError) as listed:
        body = [{"success": False, "meta": {"message": "Нельзя изменить баланс"}}]  # as the document shows it
        protocol().parse_body("POST /x", body, status_code=400)
    assert listed.value.message == "Нельзя изменить баланс"
    with pytest.raises(HTTPStatusError) as plain:  # no API error in it: a proxy's or framework's page
        protocol().parse_body("GET /x", {"message": "Server Error"}, status_code=500)
    assert plain.value.status_code == 500


def test_a_non_json_error_body_is_an_http_status_error() -> None:
    spec: MethodSpec[object] = MethodSpec(api="yclients", name="GET /api/v1/companies")
    with pytest.raises(HTTPStatusError) as caught:
        protocol().parse(spec.call({}), httpx.Response(502, text="<html>Bad Gateway</html>"))
    assert caught.value.status_code == 502
    with pytest.raises(DecodeError):
        protocol().parse(spec.call({}), httpx.Response(200, text="<html>ok?</html>"))


def test_a_success_body_without_the_envelope_is_the_data() -> None:
    """Loyalty cards, visit loyalty, the SMS-operator and fiscal callbacks answer bare data."""
    card = {"id": 9210520, "balance": 0, "points": 0, "number": "14507109210520", "type_id": 10992}
    decoded = decode_response("GET /api/v1/loyalty/client_cards/{client_id}", card, status_code=200)
    assert isinstance(decoded, LoyaltyCardsResponseDataTypes) and decoded.id == 9210520
    with pytest.raises(DecodeError):  # still checked against the declared type
        decode_response("GET /api/v1/loyalty/client_cards/{client_id}", [{"id": "x"}], status_code=200)
    with pytest.raises(DecodeError, match="envelope"):  # neither an object nor a list of objects
        protocol().parse_body("m", [1, 2], status_code=200)


def test_error_texts_hold_no_secrets() -> None:
    from apiforge.core.redact import register_secret

    register_secret("user-token-secret-123")
    error = failure({"message": "token user-token-secret-123 is wrong"}, 401)
    assert "user-token-secret-123" not in str(error) and "user-token-secret-123" not in repr(error)
