"""Escape hatches against the fakes: `extra_params=`, `client.call(wire_name, ...)`, `with_raw_response`.

Each runs through the client's pipeline (auth, retries, sessions, batching), sync and async.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apiforge.core.errors import APIError
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.vk import VK, AsyncVK
from apiforge.vk.models.users import UsersUserFull
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.yclients import AsyncYclients, Yclients

TOKEN = "vk-token"


@pytest.fixture
def fake() -> Iterator[FakeVK]:
    with FakeVK(tokens={TOKEN}) as fake:
        yield fake


def make_vk(fake: FakeVK) -> VK:
    return VK(token=TOKEN, base_url=fake.url, rate_limit=None, max_retries=2, retry=None)


# -- extra_params ---------------------------------------------------------------------------------


def test_extra_params_travel_after_the_typed_ones(fake: FakeVK) -> None:
    with make_vk(fake) as vk:
        users = vk.users.get(user_ids=[1], extra_params={"new_flag": True, "ids_v2": [3, 4], "skip": None})
    assert [u.id for u in users] == [1]
    params = fake.calls_to("users.get")[-1].params
    assert params["user_ids"] == "1"
    assert params["new_flag"] == "1"
    assert params["ids_v2"] == "3,4"
    assert "skip" not in params


def test_extra_params_naming_a_typed_parameter_is_refused_before_sending(fake: FakeVK) -> None:
    with make_vk(fake) as vk, pytest.raises(ValueError, match=r"users\.get: extra_params\['fields'\]"):
        vk.users.get(user_ids=[1], extra_params={"fields": "photo_100"})
    assert fake.calls_to("users.get") == []


async def test_extra_params_async_and_in_a_batch(fake: FakeVK) -> None:
    async with AsyncVK(token=TOKEN, base_url=fake.url, rate_limit=None) as vk:
        await vk.users.get(user_ids=[1], extra_params={"x_async": 1})
        async with vk.batch() as b:
            first = b.users.get(user_ids=[1], extra_params={"x_batched": "yes"})
            second = b.call("users.get", {"user_ids": 5, "x_raw": 2})
    assert fake.calls_to("users.get")[-1].params["x_async"] == "1"
    script = fake.calls_to("execute")[-1].params["code"]
    assert '"x_batched":"yes"' in script.replace(" ", "")
    assert '"x_raw":"2"' in script.replace(" ", "")
    assert [u.id for u in first.result()] == [1]
    assert second.result() == [] or isinstance(second.result(), list)


def test_extra_params_on_yclients_go_to_the_query_of_a_get_and_the_body_of_a_post() -> None:
    with FakeYclients() as fake:
        user = fake.users[0]
        with Yclients(next(iter(fake.partner_tokens)), base_url=fake.url, rate_limit=None) as yc:
            yc.login(user.login, user.password)
            yc.companies.list(extra_params={"x_new": 1})
            company = next(iter(fake.companies))
            yc.clients.search(company_id=company, page=1, page_size=5, extra_params={"x_field": "v"})
    assert fake.calls_to("GET /api/v1/companies")[-1].query["x_new"] == "1"
    assert fake.calls_to("POST /api/v1/company/{company_id}/clients/search")[-1].params["x_field"] == "v"


def test_extra_params_on_wialon_go_into_params() -> None:
    with FakeWialon() as fake, Wialon(fake.token, base_url=fake.url) as w:
        w.core.search_item(id=next(iter(fake.units)), flags=1, extra_params={"x": {"a": [1]}})
    assert fake.calls_to("core/search_item")[-1].params["params"]["x"] == {"a": [1]}


# -- call by wire name ----------------------------------------------------------------------------


def test_call_by_name_returns_json_or_the_type_asked_for(fake: FakeVK) -> None:
    with make_vk(fake) as vk:
        raw = vk.call("users.get", {"user_ids": [1]})
        typed = vk.call("users.get", {"user_ids": [1]}, result=list[UsersUserFull])
    assert isinstance(raw, list) and isinstance(raw[0], dict) and raw[0]["id"] == 1
    assert isinstance(typed[0], UsersUserFull) and typed[0].id == 1
    assert fake.calls_to("users.get")[-1].params["user_ids"] == "1"  # encoded as the spec says (csv)


def test_call_by_name_is_retried_and_raises_typed_errors(fake: FakeVK) -> None:
    fake.faults.fail_next(1, "http_500")
    with make_vk(fake) as vk:
        assert vk.call("users.get", {"user_ids": 1})  # retried after the 500 (users.get is idempotent)
        with pytest.raises(APIError):
            vk.call("nosuch.method", {})
    assert len(fake.calls_to("users.get")) == 2


def test_call_by_name_rejects_a_name_that_is_not_a_wire_name(fake: FakeVK) -> None:
    with make_vk(fake) as vk, pytest.raises(ValueError, match="wire name"):
        vk.call("users get", {})


async def test_async_call_by_name_goes_into_an_auto_batch(fake: FakeVK) -> None:
    import asyncio

    async with AsyncVK(token=TOKEN, base_url=fake.url, rate_limit=None, auto_batch=True, batch_window=0.5) as vk:
        results = await asyncio.gather(
            vk.call("users.get", {"user_ids": 1}), vk.call("users.get", {"user_ids": 1}, result=list[UsersUserFull])
        )
    assert results[0][0]["id"] == 1  # type: ignore[index,call-overload]
    assert results[1][0].id == 1
    assert len(fake.calls_to("execute")) == 1
    assert fake.calls_to("users.get") == [] or all(c.http_method == "POST" for c in fake.calls_to("users.get"))


def test_yclients_call_fills_path_parameters() -> None:
    with FakeYclients() as fake:
        user = fake.users[0]
        with Yclients(next(iter(fake.partner_tokens)), base_url=fake.url, rate_limit=None) as yc:
            yc.login(user.login, user.password)
            companies = yc.call("GET /api/v1/companies")
            assert isinstance(companies, list) and companies
            first = companies[0]
            assert isinstance(first, dict)
            found = yc.call(
                "POST /api/v1/company/{company_id}/clients/search", {"company_id": first["id"], "page_size": 5}
            )
    assert isinstance(found, list)
    call = fake.calls_to("POST /api/v1/company/{company_id}/clients/search")[-1]
    assert call.path == f"/api/v1/company/{first['id']}/clients/search"
    assert call.params["page_size"] == 5


def test_yclients_call_without_a_path_value_names_it() -> None:
    with (
        Yclients("partner", base_url="http://127.0.0.1:9", rate_limit=None) as yc,
        pytest.raises(ValueError, match="'visit_id'"),
    ):
        yc.call("GET /api/v1/visit/{visit_id}/undocumented", {})


async def test_wialon_call_by_name_logs_in_first() -> None:
    with FakeWialon() as fake:
        async with AsyncWialon(fake.token, base_url=fake.url) as w:
            found = await w.call(
                "core/search_items",
                {
                    "spec": {
                        "itemsType": "avl_unit",
                        "propName": "sys_name",
                        "propValueMask": "*",
                        "sortType": "sys_name",
                    },
                    "force": 1,
                    "flags": 1,
                    "from": 0,
                    "to": 0,
                },
            )
        assert isinstance(found, dict) and found["items"]
        assert [c.method for c in fake.calls][:2] == ["token/login", "core/search_items"]


# -- the raw response -----------------------------------------------------------------------------


def test_raw_response_beside_the_typed_result(fake: FakeVK) -> None:
    with make_vk(fake) as vk:
        raw = vk.with_raw_response(vk.users.get, user_ids=[1])
        by_name = vk.with_raw_response(vk.call, "users.get", {"user_ids": 1})
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.body == {"response": [by_name.parsed[0]]}  # type: ignore[index]
    assert [u.id for u in raw.parsed] == [1]
    assert TOKEN not in repr(raw)


async def test_raw_response_async_is_the_calls_own_even_with_auto_batch(fake: FakeVK) -> None:
    async with AsyncVK(token=TOKEN, base_url=fake.url, rate_limit=None, auto_batch=True) as vk:
        raw = await vk.with_raw_response(vk.users.get, user_ids=[1])
    assert raw.status_code == 200 and raw.parsed[0].id == 1
    assert "response" in raw.body  # type: ignore[operator]
    assert fake.calls_to("execute") == []


def test_raw_response_of_wialon_is_the_calls_not_the_logins() -> None:
    with FakeWialon() as fake, Wialon(fake.token, base_url=fake.url) as w:
        unit = next(iter(fake.units))
        raw = w.with_raw_response(w.core.search_item, id=unit, flags=1)
    assert raw.parsed.item is not None and raw.parsed.item.id == unit
    assert isinstance(raw.body, dict) and "item" in raw.body and "eid" not in raw.body


async def test_raw_response_of_yclients_async() -> None:
    with FakeYclients() as fake:
        async with AsyncYclients(next(iter(fake.partner_tokens)), base_url=fake.url, rate_limit=None) as yc:
            raw = await yc.with_raw_response(yc.companies.list)
    assert raw.status_code == 200
    assert isinstance(raw.body, dict) and raw.body["success"] is True
    assert len(raw.parsed) == len(raw.body["data"])  # type: ignore[arg-type]
