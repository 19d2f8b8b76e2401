"""Auto-batching of AsyncVK: concurrent calls share execute requests, transparently (a gated fake sleep, no timing)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import pytest

from apiforge.core import MethodSpec, Param
from apiforge.testing import FakeVK
from apiforge.vk import AsyncVK
from apiforge.vk.errors import MethodError, ParamError
from apiforge.vk.models.users import UsersUserFull

T = TypeVar("T")


class Gate:
    """A fake sleep: a window's timer waits until the test opens the gate; the durations asked are kept."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.asked: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self.opened.wait()


@pytest.fixture
def gate(avk: AsyncVK) -> Gate:
    gate = Gate()
    avk._driver.sleep = gate.sleep  # the batcher waits with the driver's sleep: this is the test's clock
    avk.enable_auto_batch(window=0.25)
    return gate


def start(calls: list[Awaitable[T]]) -> list[asyncio.Task[T]]:
    async def run(call: Awaitable[T]) -> T:
        return await call

    return [asyncio.create_task(run(call)) for call in calls]


async def queued() -> None:
    """Let every task started so far make its call (asyncio runs ready tasks in order)."""
    await asyncio.sleep(0)


async def test_concurrent_calls_are_coalesced_into_ceil_n_over_25_requests(
    avk: AsyncVK, fake_vk: FakeVK, gate: Gate
) -> None:
    tasks = start([avk.users.get(user_ids=[1 if i % 2 else 5]) for i in range(60)])
    await queued()
    gate.opened.set()  # the last window (10 calls) closes on its timer
    results = await asyncio.gather(*tasks)

    assert [c.method for c in fake_vk.calls] == ["execute"] * 3
    assert sorted(len(str(c.params["code"]).split("API.")) - 1 for c in fake_vk.calls) == [10, 25, 25]
    assert all(isinstance(r[0], UsersUserFull) for r in results)
    assert [r[0].id for r in results] == [1 if i % 2 else 5 for i in range(60)]  # each caller its own result
    assert set(gate.asked) == {0.25}


async def test_a_full_window_goes_out_without_waiting(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    tasks = start([avk.users.get(user_ids=[1]) for _ in range(25)])
    results = await asyncio.gather(*tasks)  # the gate stays shut: only a full window can have been sent

    assert [c.method for c in fake_vk.calls] == ["execute"]
    assert len(results) == 25


async def test_a_lone_call_goes_out_as_itself(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    (task,) = start([avk.users.get(user_ids=[5])])
    await queued()
    assert fake_vk.calls == []  # waiting for company
    gate.opened.set()
    assert (await task)[0].first_name == "Ilya"
    assert [c.method for c in fake_vk.calls] == ["users.get"]


async def test_each_caller_gets_its_own_error(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    tasks = start(
        [
            avk.users.get(user_ids=[1]),
            avk.groups.get_by_id(group_ids=["no_such_group"]),
            avk.messages.send(peer_id=5, message="hi"),
        ]
    )
    await queued()
    gate.opened.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert [c.method for c in fake_vk.calls] == ["execute"]
    users, error, message_id = results
    assert isinstance(users, list) and users[0].id == 1
    assert isinstance(error, ParamError) and error.method == "groups.getById"
    assert message_id == 1 and fake_vk.messages[0]["text"] == "hi"


async def test_non_batchable_calls_bypass_the_window(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    answer = await avk.execute(code='return [API.users.get({"user_ids": "5"})];')  # the gate is shut: direct
    assert answer == [
        [{"id": 5, "first_name": "Ilya", "last_name": "Perekopsky", "can_access_closed": True, "is_closed": False}]
    ]
    assert gate.asked == []


async def test_views_with_other_options_do_not_share_a_window(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    strict = avk.with_options(max_retries=0)
    tasks = start([avk.users.get(user_ids=[1]), strict.users.get(user_ids=[5]), avk.users.get(user_ids=[1])])
    await queued()
    gate.opened.set()
    results = await asyncio.gather(*tasks)

    assert sorted(c.method for c in fake_vk.calls) == ["execute", "users.get"]
    assert [r[0].id for r in results] == [1, 5, 1]


async def test_disabled_auto_batch_sends_each_call(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    avk.disable_auto_batch()
    await asyncio.gather(*[avk.users.get(user_ids=[1]) for _ in range(3)])
    assert [c.method for c in fake_vk.calls] == ["users.get"] * 3
    assert gate.asked == []


async def test_a_pinned_token_keeps_its_calls_in_their_own_window(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    async def pinned() -> list[UsersUserFull]:
        async with avk.pin_token() as client:
            return await client.users.get(user_ids=[5])

    tasks = start([avk.users.get(user_ids=[1]), pinned(), avk.users.get(user_ids=[1])])
    for _ in range(3):  # entering the pin takes a step or two before the call
        await queued()
    gate.opened.set()
    results = await asyncio.gather(*tasks)

    # The two unpinned calls share an execute; the pinned one is sent under its pin, alone.
    assert sorted(c.method for c in fake_vk.calls) == ["execute", "users.get"]
    assert [r[0].id for r in results] == [1, 5, 1]


APIFORGE_TEST_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("apiforge_test_var", default="")
OTHER_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("someone_elses_var", default="")


async def test_windows_follow_apiforge_context_variables_only(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    async def under(var: contextvars.ContextVar[str], value: str) -> object:
        var.set(value)
        return await avk.users.get(user_ids=[1])

    tasks = start(
        [under(APIFORGE_TEST_VAR, "a"), under(APIFORGE_TEST_VAR, "b"), under(OTHER_VAR, "x"), under(OTHER_VAR, "y")]
    )
    await queued()
    gate.opened.set()
    results = await asyncio.gather(*tasks)

    # "a" and "b" each went alone; the two calls differing only in another library's variable shared a request.
    assert sorted(c.method for c in fake_vk.calls) == ["execute", "users.get", "users.get"]
    assert len(results) == 4


async def test_a_call_unfit_for_a_script_goes_alone(avk: AsyncVK, fake_vk: FakeVK, gate: Gate) -> None:
    odd: MethodSpec[object] = MethodSpec(api="vk", name="users.get_v2", params=(Param("q"),), batchable=True)
    with pytest.raises(MethodError):  # the fake knows no such method: answered, not refused client-side
        await avk.request(odd.call({"q": "1"}))
    assert [c.method for c in fake_vk.calls] == ["users.get_v2"]
    assert gate.asked == []


async def test_the_constructor_flag_turns_auto_batching_on() -> None:
    fake = FakeVK(tokens={"t"})
    async with (
        httpx.AsyncClient(transport=fake.async_transport()) as http,
        AsyncVK(token="t", base_url="http://fake", http_client=http, rate_limit=None, auto_batch=True) as avk,
    ):
        # 25 calls fill a window, which goes out at once; nothing here waits on the window's timer.
        results = await asyncio.gather(*[avk.users.get(user_ids=[1]) for _ in range(25)])
    assert [c.method for c in fake.calls] == ["execute"]
    assert all(isinstance(r[0], UsersUserFull) for r in results)
