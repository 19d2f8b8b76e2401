"""The Router: typed handlers, filters, middlewares, errors, concurrency limits, graceful stop, sink use."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import attrs
import pytest

from apiforge.core.events import Dispatch, Router

HANG = 60.0
"""A safety net against a hung test, not an assertion about speed."""


@attrs.frozen
class Event:
    n: int


@attrs.frozen
class Ping(Event):
    pass


@attrs.frozen
class Pong(Event):
    pass


@attrs.frozen
class Other:
    text: str


def pings(n: int) -> list[Ping]:
    return [Ping(i) for i in range(1, n + 1)]


# Matching.


def test_the_first_matching_handler_gets_the_event_typed() -> None:
    router = Router()
    got: list[tuple[str, object]] = []

    @router.on(Ping, filter=lambda e: e.n % 2 == 0)
    def even(event: Ping) -> None:
        got.append(("even", event))

    @router.on(Ping)
    def ping(event: Ping) -> None:
        got.append(("ping", event))

    @router.on(Event)
    def any_event(event: Event) -> None:
        got.append(("event", event))

    stats = router.run_sync([Ping(1), Ping(2), Pong(3), Other("x")])
    assert got == [("ping", Ping(1)), ("even", Ping(2)), ("event", Pong(3))]
    assert (stats.received, stats.handled, stats.failed, stats.unmatched) == (4, 3, 0, 1)
    assert router.handlers == (even, ping, any_event)


def test_a_tuple_of_classes_and_a_failing_filter(caplog: pytest.LogCaptureFixture) -> None:
    router = Router()
    got: list[object] = []

    @router.on(Ping, filter=lambda e: e.n < 1 / 0)
    def never(event: Ping) -> None:
        got.append("never")

    @router.on((Ping, Other))
    def either(event: Ping | Other) -> None:
        got.append(event)

    with caplog.at_level(logging.ERROR, logger="apiforge.events"):
        router.run_sync([Ping(1), Other("x")])
    assert got == [Ping(1), Other("x")]
    assert "the filter of" in caplog.text and "ZeroDivisionError" in caplog.text


def test_registration_errors_are_clear() -> None:
    router = Router()
    with pytest.raises(TypeError, match="expected an event class"):
        router.on("message_new")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="must be callable"):
        router.add(Ping, "handler")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a filter must be callable"):
        router.add(Ping, print, filter=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_concurrency must be a whole number >= 1, got 0"):
        router.run_sync([], max_concurrency=0)
    with pytest.raises(TypeError, match="use `await run\\(\\)`"):
        router.run_sync(aiter_of([]))  # type: ignore[arg-type]


# Errors and middlewares.


def test_a_failing_handler_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    router = Router()
    done: list[int] = []

    @router.on(Ping)
    def handler(event: Ping) -> None:
        if event.n == 2:
            raise RuntimeError("boom on 2")
        done.append(event.n)

    with caplog.at_level(logging.ERROR, logger="apiforge.events"):
        stats = router.run_sync(pings(3))
    assert done == [1, 3]
    assert (stats.handled, stats.failed) == (2, 1)
    (record,) = [r for r in caplog.records if r.name == "apiforge.events"]
    assert "handler" in record.getMessage() and "boom on 2" in record.getMessage()
    assert record.exc_info is not None


def test_middlewares_wrap_handlers_outermost_first_and_may_handle_errors() -> None:
    trail: list[str] = []

    def outer(call: Dispatch) -> Iterator[None]:
        trail.append(f"outer in {call.name.rsplit('.', 1)[-1]}")
        try:
            yield
        except ValueError as error:
            trail.append(f"outer handled {error}")
        else:
            trail.append("outer out")

    def inner(call: Dispatch) -> Iterator[None]:
        trail.append(f"inner in {call.event}")
        yield
        trail.append("inner out")

    router = Router(middlewares=[outer, inner])

    @router.on(Ping)
    def handler(event: Ping) -> None:
        trail.append("handler")
        if event.n == 2:
            raise ValueError("bad ping")

    stats = router.run_sync(pings(2))
    assert trail == [
        "outer in handler",
        "inner in Ping(n=1)",
        "handler",
        "inner out",
        "outer out",
        "outer in handler",
        "inner in Ping(n=2)",
        "handler",
        "outer handled bad ping",
    ]
    assert (stats.handled, stats.failed) == (2, 0)


def test_a_middleware_that_is_not_a_generator_fails_the_call(caplog: pytest.LogCaptureFixture) -> None:
    router = Router()
    router.use(lambda call: None)  # type: ignore[arg-type, return-value]
    router.add(Ping, lambda event: None)
    with caplog.at_level(logging.ERROR, logger="apiforge.events"):
        stats = router.run_sync(pings(1))
    assert stats.failed == 1
    assert "must be a generator function" in caplog.text


async def test_middlewares_and_error_logging_serve_async_handlers(caplog: pytest.LogCaptureFixture) -> None:
    trail: list[str] = []

    def timing(call: Dispatch) -> Iterator[None]:
        trail.append("start")
        try:
            yield
        finally:
            trail.append("end")

    router = Router(middlewares=[timing])

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        await asyncio.sleep(0)
        trail.append(f"handled {event.n}")
        if event.n == 2:
            raise KeyError("no such thing")

    with caplog.at_level(logging.ERROR, logger="apiforge.events"):
        stats = await router.run(aiter_of(pings(2)), max_concurrency=1)
    assert trail == ["start", "handled 1", "end", "start", "handled 2", "end"]
    assert (stats.handled, stats.failed) == (1, 1)
    assert "no such thing" in caplog.text


def test_an_async_handler_under_run_sync_is_a_logged_configuration_error(caplog: pytest.LogCaptureFixture) -> None:
    router = Router()

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        pass

    with caplog.at_level(logging.ERROR, logger="apiforge.events"):
        stats = router.run_sync(pings(1))
    assert stats.failed == 1
    assert "is async: dispatch with `await router.run()`" in caplog.text


# Concurrency.


def test_run_sync_runs_up_to_max_concurrency_handlers_in_threads() -> None:
    router = Router()
    pair = threading.Barrier(2, timeout=HANG)  # passes only when two handlers run at the same time
    lock = threading.Lock()
    running = peak = 0

    @router.on(Ping)
    def handler(event: Ping) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        pair.wait()
        with lock:
            running -= 1

    stats = router.run_sync(pings(6), max_concurrency=2)
    assert (stats.handled, stats.failed) == (6, 0)
    assert peak == 2


async def test_run_runs_up_to_max_concurrency_handlers_at_once() -> None:
    router = Router()
    trio = asyncio.Barrier(3)
    running = peak = 0

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        async with asyncio.timeout(HANG):
            await trio.wait()
        running -= 1

    stats = await router.run(aiter_of(pings(9)), max_concurrency=3)
    assert (stats.handled, stats.failed) == (9, 0)
    assert peak == 3


async def test_with_one_slot_handlers_run_one_by_one_in_order() -> None:
    router = Router()
    order: list[int] = []
    running = peak = 0

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        order.append(event.n)
        running -= 1

    await router.run(aiter_of(pings(5)), max_concurrency=1)
    assert order == [1, 2, 3, 4, 5]
    assert peak == 1


async def test_sync_handlers_run_in_worker_threads_and_sync_sources_are_read_in_one() -> None:
    router = Router()
    loop_thread = threading.get_ident()
    threads: list[int] = []

    @router.on(Ping)
    def handler(event: Ping) -> None:
        threads.append(threading.get_ident())

    stats = await router.run(pings(3), max_concurrency=1)
    assert stats.handled == 3
    assert loop_thread not in threads


# Stopping.


async def test_stop_takes_no_new_event_and_waits_for_running_handlers() -> None:
    router = Router()
    pulled = 0
    release = asyncio.Event()
    finished: list[int] = []

    async def endless() -> AsyncIterator[Ping]:
        nonlocal pulled
        while True:
            pulled += 1
            yield Ping(pulled)

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        if event.n == 1:
            async with asyncio.timeout(HANG):
                await release.wait()  # still running when the stop comes
        elif event.n == 2:
            router.stop()
            release.set()
        finished.append(event.n)

    stats = await router.run(endless(), max_concurrency=2)
    assert sorted(finished) == [1, 2]
    assert pulled == 2
    assert stats.handled == 2


async def test_stop_cancels_the_wait_for_the_next_event_of_an_async_source() -> None:
    router = Router()
    closed = asyncio.Event()

    async def one_then_quiet() -> AsyncIterator[Ping]:
        try:
            yield Ping(1)
            await asyncio.Event().wait()  # like a long poll with nothing to say
        finally:
            closed.set()

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        router.stop()

    stats = await router.run(one_then_quiet())
    assert stats.handled == 1
    assert closed.is_set()


async def test_stop_from_outside_the_run() -> None:
    router = Router()
    started = asyncio.Event()

    async def quiet() -> AsyncIterator[Ping]:
        started.set()
        await asyncio.Event().wait()
        yield Ping(0)

    task = asyncio.create_task(router.run(quiet()))
    async with asyncio.timeout(HANG):
        await started.wait()
    router.stop()
    async with asyncio.timeout(HANG):
        stats = await task
    assert stats.received == 0


def test_stop_in_run_sync_takes_no_new_event() -> None:
    router = Router()
    pulled = 0

    def endless() -> Iterator[Ping]:
        nonlocal pulled
        while True:
            pulled += 1
            yield Ping(pulled)

    @router.on(Ping)
    def handler(event: Ping) -> None:
        if event.n == 3:
            router.stop()

    stats = router.run_sync(endless())
    assert (pulled, stats.handled) == (3, 3)


def test_a_run_after_a_stop_runs_again() -> None:
    router = Router()
    router.add(Ping, lambda event: router.stop())
    assert router.run_sync(pings(5)).received == 1
    assert router.run_sync(pings(5)).received == 1


# The router as a sink.


def test_the_router_is_a_sink_for_sync_handlers() -> None:
    router = Router()
    got: list[Event] = []
    router.add(Ping, got.append)
    assert router(Ping(1)) is None
    assert router(Other("unmatched")) is None
    assert got == [Ping(1)]
    assert (router.stats.received, router.stats.unmatched) == (2, 1)


async def test_the_router_is_a_sink_for_async_handlers_too() -> None:
    router = Router()
    got: list[Event] = []

    @router.on(Ping)
    async def handler(event: Ping) -> None:
        got.append(event)

    pending = router(Ping(7))
    assert pending is not None and got == []
    await pending
    assert got == [Ping(7)]
    await router.ahandle(Ping(8))
    assert got == [Ping(7), Ping(8)]


async def aiter_of(events: list[Ping]) -> AsyncIterator[Ping]:
    for event in events:
        yield event


async def test_run_reads_a_long_poll_of_a_sync_client_in_a_thread() -> None:
    from apiforge.core.events import BotLongPoll
    from apiforge.testing import FakeVK
    from apiforge.vk import VK
    from apiforge.vk.updates import GroupJoin
    from tests.events.eventkit import GROUP_ID, NO_WAIT

    router = Router()
    joined: list[int] = []

    @router.on(GroupJoin)
    async def handler(update: GroupJoin) -> None:
        joined.append(update.object.user_id)
        if len(joined) == 2:
            router.stop()

    with FakeVK(tokens={"t"}) as fake, VK(token="t", token_kind="group", base_url=fake.url, rate_limit=None) as vk:
        for user in (5, 6):
            fake.longpoll.push("group_join", {"user_id": user, "join_type": "join"})
        stats = await router.run(BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1"), max_concurrency=1)
    assert joined == [5, 6]
    assert stats.handled == 2
