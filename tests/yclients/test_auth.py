"""YCLIENTS auth: the partner token on every call, the user token where needed, exact header forms."""

from __future__ import annotations

import re

import httpx
import pytest

from apiforge.core import Call, MethodSpec
from apiforge.core.errors import ConfigurationError
from apiforge.yclients import METHODS, AsyncYclients, Yclients

PARTNER = "partner-token-abc"
USER = "user-token-xyz"
OK = {"success": True, "data": None, "meta": []}


class Recorder:
    """An in-process transport that answers an empty success and keeps the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=OK)


def client(recorder: Recorder, user_token: str | None = None) -> Yclients:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    return Yclients(PARTNER, user_token=user_token, rate_limit=None, max_retries=0, http_client=http)


def call_of(spec: MethodSpec[object]) -> Call[object]:
    """A call of `spec` with every path parameter filled (raw: results are not decoded here)."""
    wire = spec.name.partition(" ")[2]
    values = {name: "1" for name in re.findall(r"\{([^}]+)\}", wire)}
    raw: MethodSpec[object] = MethodSpec(
        api=spec.api, name=spec.name, params=spec.params, token_kinds=spec.token_kinds, has_body=spec.has_body
    )
    return raw.call(values)


def user_only() -> list[str]:
    return [wire for wire, info in METHODS.items() if info.spec.token_kinds == ("user",)]


def partner_ok() -> list[str]:
    return [wire for wire, info in METHODS.items() if "partner" in info.spec.token_kinds]


def test_every_operation_says_which_token_it_needs() -> None:
    assert all(info.spec.token_kinds in (("user",), ("partner",)) for info in METHODS.values())
    assert len(user_only()) > 200 and len(partner_ok()) > 30


@pytest.mark.parametrize("wire", user_only())
def test_a_user_operation_without_a_user_token_fails_before_sending(wire: str) -> None:
    recorder = Recorder()
    with client(recorder) as yc, pytest.raises(ConfigurationError) as caught:
        yc.request(call_of(METHODS[wire].spec))
    assert wire in str(caught.value) and "user token" in str(caught.value)
    assert recorder.requests == []


def test_header_forms_are_exact() -> None:
    recorder = Recorder()
    user_wire, partner_wire = user_only()[0], partner_ok()[0]
    with client(recorder) as yc:
        yc.request(call_of(METHODS[partner_wire].spec))
        yc.user_token = USER
        yc.request(call_of(METHODS[partner_wire].spec))
        yc.request(call_of(METHODS[user_wire].spec))
        yc.user_token = None
        with pytest.raises(ConfigurationError):
            yc.request(call_of(METHODS[user_wire].spec))
    assert [r.headers["authorization"] for r in recorder.requests] == [
        f"Bearer {PARTNER}",
        f"Bearer {PARTNER}, User {USER}",
        f"Bearer {PARTNER}, User {USER}",
    ]
    assert {r.headers["accept"] for r in recorder.requests} == {"application/vnd.yclients.v2+json"}


def test_user_token_given_to_the_constructor() -> None:
    recorder = Recorder()
    with client(recorder, user_token=USER) as yc:
        assert yc.user_token == USER
        yc.records.delete(company_id=1, record_id=2)
        assert USER not in repr(yc)
    (request,) = recorder.requests
    assert request.headers["authorization"] == f"Bearer {PARTNER}, User {USER}"
    assert (request.method, request.url.path) == ("DELETE", "/api/v1/record/1/2")


def test_the_partner_token_is_required() -> None:
    with pytest.raises(ValueError, match="partner token"):
        Yclients("")


async def test_async_client_uses_the_same_rules() -> None:
    recorder = Recorder()
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    async with AsyncYclients(PARTNER, rate_limit=None, http_client=http) as yc:
        with pytest.raises(ConfigurationError):
            await yc.records.delete(company_id=1, record_id=2)
        yc.user_token = USER
        await yc.records.delete(company_id=1, record_id=2)
    assert [r.headers["authorization"] for r in recorder.requests] == [f"Bearer {PARTNER}, User {USER}"]
