"""Per-session limits: at most 10 requests in flight, 3 heavy ones, one per exclusive group.

The fake holds every request it receives (`hold()`) and counts what is in flight per session,
so the tests see exactly how many requests the client let out at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx

from apiforge.core.call import Call, MethodSpec
from apiforge.core.effects import Acquire
from apiforge.core.errors import APIError
from apiforge.core.protocols.wialon import MAX_HEAVY, MAX_REQUESTS, WialonProtocol
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import METHODS, AsyncWialon, Wialon

from .support import TOKEN, UNIT, ManualClock, aconnect

CALLS = 25


def search(w: AsyncWialon) -> Coroutine[Any, Any, object]:
    return w.core.search_item(id=UNIT, flags=1)


def trips(w: AsyncWialon) -> Coroutine[Any, Any, object]:
    return w.unit.get_trips(item_id=UNIT, time_from=0, time_to=2_000_000_000, msgs_source=1)


def load(w: AsyncWialon) -> Coroutine[Any, Any, object]:
    return w.messages.load_interval(
        item_id=UNIT, time_from=0, time_to=2_000_000_000, flags=0, flags_mask=0, load_count=10
    )


# The slots, sans-IO.


def protocol_with_session() -> WialonProtocol:
    protocol = WialonProtocol(base_url="https://hst-api.wialon.com", error_class=lambda code: APIError, token="t")
    protocol.adopt({"eid": "session-one"})
    return protocol


def test_slots_of_plain_heavy_and_exclusive_calls() -> None:
    protocol = protocol_with_session()
    serial = protocol.session_serial
    plain = METHODS["core/search_item"].spec.call({"id": 1, "flags": 1})
    heavy = Call(spec=METHODS["unit/get_trips"].spec)  # built directly: no arguments to check
    loader = Call(spec=METHODS["messages/load_interval"].spec)
    assert protocol.slots(plain) == (Acquire(f"wialon:{serial}:requests", MAX_REQUESTS),)
    assert protocol.slots(heavy) == (
        Acquire(f"wialon:{serial}:heavy", MAX_HEAVY),
        Acquire(f"wialon:{serial}:requests", MAX_REQUESTS),
    )
    assert protocol.slots(loader) == (
        Acquire(f"wialon:{serial}:exclusive:messages_loader", 1),
        Acquire(f"wialon:{serial}:heavy", MAX_HEAVY),
        Acquire(f"wialon:{serial}:requests", MAX_REQUESTS),
    )
    assert (MAX_REQUESTS, MAX_HEAVY) == (10, 3)


def test_a_new_session_gets_fresh_semaphores_and_no_session_none() -> None:
    protocol = protocol_with_session()
    call = METHODS["core/search_item"].spec.call({"id": 1, "flags": 1})
    before = protocol.slots(call)
    protocol.adopt({"eid": "session-two"})
    after = protocol.slots(call)
    assert before != after
    assert "session-two" not in after[0].name  # named by a serial number, never by the session id
    protocol.forget()
    assert protocol.slots(call) == ()
    login: MethodSpec[object] = MethodSpec(api="wialon", name="token/login")
    protocol.adopt({"eid": "session-three"})
    assert protocol.slots(login.call({})) == ()


# Async client against the fake: every request held until the test lets them go.


async def settle() -> None:
    """Let every runnable task of the (in-process) loop run until all of them wait."""
    for _ in range(500):
        await asyncio.sleep(0)


async def in_flight(fake: FakeWialon, mode: str, count: int, group: str = "all") -> None:
    """Wait until the fake holds `count` requests of `group` of one session."""
    if mode == "http":
        assert await asyncio.to_thread(fake.wait_in_flight, count, group=group), fake.in_flight
    else:
        await settle()
        assert fake.peak_now(group) == count, fake.in_flight


async def burst(
    fake: FakeWialon,
    mode: str,
    w: AsyncWialon,
    make: Callable[[AsyncWialon], Awaitable[object]],
    *,
    expect: int,
    group: str = "all",
) -> None:
    """Start CALLS calls while the fake holds requests; see `expect` of them in flight; let them all finish."""
    fake.hold()
    tasks = [asyncio.ensure_future(make(w)) for _ in range(CALLS)]
    try:
        await in_flight(fake, mode, expect, group)
    finally:
        fake.release()
    await asyncio.gather(*tasks)


async def test_at_most_ten_requests_in_flight_per_session(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        await search(w)  # logged in
        await burst(fake, mode, w, search, expect=MAX_REQUESTS)
    assert fake.peak("all") == MAX_REQUESTS
    assert len(fake.calls_to("core/search_item")) == CALLS + 1


async def test_at_most_three_heavy_requests(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        await search(w)

        async def mixed(client: AsyncWialon, n: list[int] = [0]) -> object:  # noqa: B006 - a counter
            n[0] += 1
            return await (trips(client) if n[0] % 2 else search(client))

        await burst(fake, mode, w, mixed, expect=MAX_HEAVY, group="heavy")
    assert fake.peak("heavy") == MAX_HEAVY
    assert fake.peak("all") <= MAX_REQUESTS


async def test_exclusive_calls_never_overlap(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        await search(w)
        await burst(fake, mode, w, load, expect=1, group="exclusive:messages_loader")
    assert fake.peak("exclusive:messages_loader") == 1
    assert len(fake.calls_to("messages/load_interval")) == CALLS


async def test_limits_are_per_session(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as first, aconnect(fake, mode) as second:
        await search(first)
        await search(second)
        fake.hold()
        tasks = [asyncio.ensure_future(search(w)) for w in (first, second) for _ in range(CALLS)]
        try:
            await _both_full(fake, mode)
        finally:
            fake.release()
        await asyncio.gather(*tasks)
    peaks = [n for (_, group), n in fake.max_in_flight.items() if group == "all"]
    assert sorted(peaks) == [MAX_REQUESTS, MAX_REQUESTS]


async def _both_full(fake: FakeWialon, mode: str) -> None:
    def full() -> bool:
        sessions = [n for (_, group), n in fake.in_flight.items() if group == "all"]
        return len(sessions) == 2 and all(n == MAX_REQUESTS for n in sessions)

    if mode == "http":
        for _ in range(1000):
            if full():
                return
            await asyncio.sleep(0.01)
    else:
        await settle()
    assert full(), fake.in_flight


async def test_a_relogin_starts_fresh_limits(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        await search(w)
        fake.expire_session()
        await burst(fake, mode, w, search, expect=MAX_REQUESTS)
    new = [n for (_, group), n in fake.max_in_flight.items() if group == "all"]
    assert max(new) == MAX_REQUESTS


async def test_limits_enforced_by_the_fake_are_never_hit(clock: ManualClock) -> None:
    fake = FakeWialon(clock=clock, enforce_limits=True)
    transport = fake.async_transport()
    async with AsyncWialon(
        token=TOKEN, base_url="http://fake", http_client=httpx.AsyncClient(transport=transport)
    ) as w:
        await search(w)
        fake.hold()
        tasks = [asyncio.ensure_future(make(w)) for make in [search] * CALLS + [load, trips] * 4]
        await settle()
        fake.release()
        results = await asyncio.gather(*tasks)
    assert len(results) == CALLS + 8
    assert fake.refused == 0  # the client never sent what the server would refuse
    assert fake.peak("all") == MAX_REQUESTS


# Sync client from many threads, over HTTP.


def test_threads_share_the_limit_of_one_session(clock: ManualClock) -> None:
    with FakeWialon(clock=clock) as fake, Wialon(token=TOKEN, base_url=fake.url) as w:
        w.core.search_item(id=UNIT, flags=1)
        fake.hold()
        threads = [threading.Thread(target=w.core.search_item, kwargs={"id": UNIT, "flags": 1}) for _ in range(15)]
        for thread in threads:
            thread.start()
        try:
            assert fake.wait_in_flight(MAX_REQUESTS)
        finally:
            fake.release()
        for thread in threads:
            thread.join(10)
    assert fake.peak("all") == MAX_REQUESTS
