"""Wialon clients against FakeWialon: login on first use, logout on exit, re-login on an expired session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from apiforge.testing import FakeWialon
from apiforge.testing.wialon import DEFAULT_TOKEN
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.errors import AccessDeniedError, WialonError
from apiforge.wialon.models.search import ItemsType, SearchItemResult, SearchItemsResult, SearchSpec

TOKEN = DEFAULT_TOKEN
UNIT = 734455


@pytest.fixture
def fake(mode: str) -> Iterator[FakeWialon]:
    fake = FakeWialon(tokens={TOKEN})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def make_wialon(fake: FakeWialon, mode: str, token: str = TOKEN) -> Wialon:
    if mode == "http":
        return Wialon(token=token, base_url=fake.url)
    return Wialon(token=token, base_url="http://fake", http_client=httpx.Client(transport=fake.transport()))


def make_async_wialon(fake: FakeWialon, mode: str) -> AsyncWialon:
    if mode == "http":
        return AsyncWialon(token=TOKEN, base_url=fake.url)
    return AsyncWialon(
        token=TOKEN, base_url="http://fake", http_client=httpx.AsyncClient(transport=fake.async_transport())
    )


def units_spec(mask: str = "*") -> SearchSpec:
    return SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask=mask, sort_type="sys_name")


def only_sid(fake: FakeWialon) -> str:
    (sid,) = fake.sessions
    return sid


# session life


def test_logs_in_on_first_use_and_out_on_exit(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        assert fake.calls == []  # nothing happens before the first call
        result = w.core.search_item(id=UNIT, flags=1)
        assert isinstance(result, SearchItemResult)
        assert result.item.nm == "Truck 01"
        assert result.flags == 1
        w.core.search_item(id=UNIT + 1, flags=1)
        assert len(fake.sessions) == 1

    assert [c.method for c in fake.calls] == ["token/login", "core/search_item", "core/search_item", "core/logout"]
    login = fake.calls[0]
    assert login.params["params"]["token"] == "***"
    assert "sid" not in login.params
    assert all(c.params["sid"] == "***" for c in fake.calls[1:])
    assert fake.sessions == {}  # the logout ended the session


def test_wire_format(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)

    call = fake.calls[1]
    assert call.http_method == "POST"
    assert call.path == "/wialon/ajax.html"
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.params["svc"] == "core/search_item"
    assert call.params["params"] == {"id": UNIT, "flags": 1}
    assert call.query == {}


def test_search_items_with_from_and_to(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        everything = w.core.search_items(spec=units_spec(), force=1, flags=1, from_=0, to=0)
        trucks = w.core.search_items(spec=units_spec("truck*"), force=1, flags=1, from_=0, to=0)
        second = w.core.search_items(spec=units_spec(), force=1, flags=1, from_=1, to=1)

    assert isinstance(everything, SearchItemsResult)
    assert everything.total_items_count == 3
    assert [i.nm for i in everything.items] == ["Truck 01", "Truck 02", "Van 01"]
    assert everything.search_spec.items_type == "avl_unit"
    assert everything.data_flags == 1
    assert [i.nm for i in trucks.items] == ["Truck 01", "Truck 02"]
    assert trucks.total_items_count == 2
    assert (second.index_from, second.index_to, second.total_items_count) == (1, 1, 3)
    assert [i.nm for i in second.items] == ["Truck 02"]
    sent = fake.calls_to("core/search_items")[2].params["params"]
    assert sent["from"] == 1
    assert sent["to"] == 1
    assert sent["spec"] == {
        "itemsType": "avl_unit",
        "propName": "sys_name",
        "propValueMask": "*",
        "sortType": "sys_name",
    }


def test_search_items_typed_positions(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        found = w.core.search_items(spec=units_spec("van*"), force=1, flags=0x401, from_=0, to=0)

    (van,) = found.items
    assert (van.id, van.nm, van.cls_) == (UNIT + 2, "Van 01", 2)
    assert van.pos is not None
    assert (van.pos.x, van.pos.y, van.pos.s) == (49.1221, 55.7887, 61)
    assert van.lmsg is not None
    assert van.lmsg.t == 1_700_000_200
    assert van.lmsg.pos is not None
    assert (van.lmsg.pos.x, van.lmsg.pos.y, van.lmsg.pos.s) == (van.pos.x, van.pos.y, van.pos.s)


def test_nested_json_values_survive_decoding(mode: str) -> None:
    units = [
        {"id": 1, "nm": "Bus", "pos": {"x": 1.0, "y": 2.0, "t": 10}, "params": {"can": {"rpm": 900, "fuel": [1, 2]}}}
    ]
    fake = FakeWialon(tokens={TOKEN}, units=units)
    with fake.start(), make_wialon(fake, mode) as w:
        item = w.core.search_item(id=1, flags=0x401).item
    assert item.lmsg is not None
    assert item.lmsg.p == {"can": {"rpm": 900, "fuel": [1, 2]}}


def test_expired_session_logs_in_again_once_and_replays(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        old = only_sid(fake)
        fake.expire_session(old)

        result = w.core.search_item(id=UNIT + 2, flags=1)

        assert result.item.nm == "Van 01"
        assert fake.logins == 2
        assert only_sid(fake) != old
    assert [c.method for c in fake.calls] == [
        "token/login",
        "core/search_item",
        "core/search_item",  # {"error": 1}: the session is gone
        "token/login",
        "core/search_item",  # replayed with the new session
        "core/logout",
    ]


def test_errors_and_repr_never_show_the_sid(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        sid = only_sid(fake)
        with pytest.raises(AccessDeniedError) as caught:
            w.core.search_item(id=1, flags=1)  # unknown item: error 7
        assert sid not in repr(w)
        assert TOKEN not in repr(w)

    error = caught.value
    assert error.code == 7
    assert isinstance(error, WialonError)
    for text in (str(error), repr(error), repr(error.args)):
        assert sid not in text
        assert TOKEN not in text


def test_error_details_never_show_the_sid(fake: FakeWialon, mode: str) -> None:
    with make_wialon(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        sid = only_sid(fake)
        with pytest.raises(AccessDeniedError) as caught:
            w.core.search_item(id=1, flags=1)
    assert sid not in repr(caught.value.details)


def test_wrong_token_fails_login(fake: FakeWialon, mode: str) -> None:
    wrong = "f" * 72
    with make_wialon(fake, mode, token=wrong) as w, pytest.raises(WialonError) as caught:
        w.core.search_item(id=UNIT, flags=1)
    assert caught.value.code == 8
    assert wrong not in str(caught.value)
    assert wrong not in repr(caught.value)
    assert [c.method for c in fake.calls] == ["token/login"]  # no logout: there was no session


# async


async def test_async_login_search_logout(fake: FakeWialon, mode: str) -> None:
    async with make_async_wialon(fake, mode) as w:
        result = await w.core.search_item(id=UNIT, flags=1)
        found = await w.core.search_items(spec=units_spec("van*"), force=1, flags=1, from_=0, to=0)

    assert result.item.nm == "Truck 01"
    assert [i.id for i in found.items] == [UNIT + 2]
    assert [c.method for c in fake.calls] == ["token/login", "core/search_item", "core/search_items", "core/logout"]
    assert fake.sessions == {}


async def test_async_concurrent_calls_after_expiry_log_in_once(fake: FakeWialon, mode: str) -> None:
    async with make_async_wialon(fake, mode) as w:
        await w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()

        ids = [UNIT, UNIT + 1, UNIT + 2, UNIT, UNIT + 1, UNIT + 2]
        results = await asyncio.gather(*(w.core.search_item(id=i, flags=1) for i in ids))

        assert [r.item.id for r in results] == ids
        assert fake.logins == 2  # the first login and exactly one re-login
        assert len(fake.sessions) == 1
    assert fake.calls[-1].method == "core/logout"


async def test_async_concurrent_first_calls_log_in_once(fake: FakeWialon, mode: str) -> None:
    async with make_async_wialon(fake, mode) as w:
        results = await asyncio.gather(*(w.core.search_item(id=UNIT + i % 3, flags=1) for i in range(5)))
        sid = only_sid(fake)
        assert sid not in repr(w)
    assert len(results) == 5
    assert fake.logins == 1
