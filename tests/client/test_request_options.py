"""`with_options(timeout=..., extra_headers=...)`: the options reach the requests, checked at the fakes."""

from __future__ import annotations

import pytest

from apiforge.core.errors import APIError, TransportError
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import Wialon
from apiforge.yclients import Yclients


def test_extra_headers_reach_the_server_and_only_from_the_view() -> None:
    with FakeVK(tokens={"t"}) as fake, VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        traced = vk.with_options(extra_headers={"X-Request-Id": "42"})
        traced.with_options(extra_headers={"X-Tenant": "a"}).users.get(user_ids=[1])
        vk.users.get(user_ids=[1])
    first, second = fake.calls_to("users.get")
    assert first.headers["x-request-id"] == "42" and first.headers["x-tenant"] == "a"
    assert "x-request-id" not in second.headers


def test_extra_headers_go_with_the_wialon_login_too() -> None:
    with FakeWialon() as fake, Wialon(fake.token, base_url=fake.url) as w:
        w.with_options(extra_headers={"X-Trace": "t1"}).core.search_item(id=next(iter(fake.units)), flags=1)
    login, search = fake.calls[:2]
    assert login.method == "token/login" and login.headers["x-trace"] == "t1"
    assert search.headers["x-trace"] == "t1"


def test_extra_headers_replace_the_apis_own() -> None:
    with (
        FakeYclients() as fake,
        Yclients("partner", base_url=fake.url, rate_limit=None) as yc,
        pytest.raises(APIError, match="Accept header"),  # the fake checks it, as YCLIENTS does
    ):
        yc.with_options(extra_headers={"Accept": "application/json"}).companies.list()
    assert fake.calls[-1].headers["accept"] == "application/json"


def test_a_view_timeout_applies_to_its_requests() -> None:
    with FakeVK(tokens={"t"}) as fake, VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        fake.faults.latency = 5.0
        with pytest.raises(TransportError, match="Timeout"):
            vk.with_options(timeout=0.2, max_retries=0).users.get(user_ids=[1])
        fake.faults.latency = 0.0
    # It reached the server; the client gave up waiting.
    assert len(fake.calls_to("users.get")) == 1


async def test_async_view_options() -> None:
    with FakeVK(tokens={"t"}) as fake:
        async with AsyncVK(token="t", base_url=fake.url, rate_limit=None, auto_batch=True) as vk:
            await vk.with_options(extra_headers={"X-Async": "1"}).users.get(user_ids=[1])
            fake.faults.latency = 5.0
            with pytest.raises(TransportError, match="Timeout"):
                await vk.with_options(timeout=0.2, max_retries=0).users.get(user_ids=[1])
            fake.faults.latency = 0.0
    assert fake.calls_to("users.get")[0].headers["x-async"] == "1"  # sent on its own, not in an execute


def test_bad_options_name_what_is_wrong() -> None:
    with VK(token="t", base_url="http://127.0.0.1:9") as vk:
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            vk.with_options(timeout=-1)
        with pytest.raises(TypeError, match="extra_headers"):
            vk.with_options(extra_headers={"X-N": 1})  # type: ignore[dict-item]
