"""AVL events: the poller over /avl_evts, typed events, handlers with filters, re-registration after re-login."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from apiforge.core.errors import ConfigurationError
from apiforge.core.events.wialon_avl import AsyncAvlPoller, AvlPoller, decode_events
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon.models.events import (
    AvlDeleteEvent,
    AvlEvent,
    AvlEventType,
    AvlMessageEvent,
    AvlUpdateEvent,
)
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType

from .support import UNIT, ManualClock, aconnect, connect, methods

OTHER = UNIT + 1
TRACKED = UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION


def units(*ids: int, flags: int = TRACKED) -> UpdateDataFlagsSpec:
    return UpdateDataFlagsSpec(
        type=UpdateDataFlagsSpecType.COL, data=list(ids), flags=flags, mode=UpdateDataFlagsMode.ADD
    )


def no_sleep(seconds: float) -> None:
    return None


# Events, handlers, filters.


def test_events_arrive_only_for_registered_items_and_are_typed(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        got: list[AvlEvent] = []
        poller.on()(got.append)
        fake.add_unit({"id": 1, "nm": "Early"})
        assert poller.poll_once() == 0
        poller.subscribe(units(UNIT, OTHER))
        assert poller.poll_once() == 0  # registers the units, then polls
        fake.push_message(UNIT + 2, x=1.0, y=1.0)  # not registered: no event
        fake.push_message(UNIT, x=37.5, y=55.5, speed=30, params={"fuel": 41.5})
        fake.rename_item(OTHER, "Truck 02 (spare)")
        fake.delete_item(OTHER)
        assert poller.poll_once() == 4

    message, update, renamed, deleted = got
    assert isinstance(message, AvlMessageEvent)
    assert (message.i, message.t) == (UNIT, AvlEventType.MESSAGE)
    assert message.d.pos is not None and (message.d.pos.x, message.d.pos.y, message.d.pos.s) == (37.5, 55.5, 30)
    assert message.d.p == {"fuel": 41.5}
    assert isinstance(update, AvlUpdateEvent)
    assert update.d is not None and update.d["pos"]["x"] == 37.5 and update.d["lmsg"]["p"] == {"fuel": 41.5}
    assert isinstance(renamed, AvlUpdateEvent) and renamed.d == {"nm": "Truck 02 (spare)"}
    assert isinstance(deleted, AvlDeleteEvent) and deleted.i == OTHER
    assert methods(fake) == [
        "token/login",
        "avl_evts",
        "core/update_data_flags",
        "avl_evts",
        "avl_evts",
        "core/logout",
    ]
    assert fake.calls_to("core/update_data_flags")[0].params["params"] == {
        "spec": [{"type": "col", "data": [UNIT, OTHER], "flags": int(TRACKED), "mode": 1}]
    }


def test_the_first_matching_handler_wins(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        poller.subscribe(units(UNIT, OTHER))
        seen: list[tuple[str, int, str]] = []

        @poller.on("m", filter=lambda e: e.i == UNIT)
        def unit_messages(event: AvlMessageEvent) -> None:
            seen.append(("unit", event.i, str(event.t)))

        @poller.on("m")
        def other_messages(event: AvlMessageEvent) -> None:
            seen.append(("other", event.i, str(event.t)))

        @poller.on()
        def anything(event: AvlEvent) -> None:
            seen.append(("any", event.i, str(event.t)))

        poller.poll_once()
        fake.push_message(UNIT, x=1.0, y=2.0)
        fake.push_message(OTHER, x=3.0, y=4.0)
        poller.poll_once()

    assert seen == [("unit", UNIT, "m"), ("any", UNIT, "u"), ("other", OTHER, "m"), ("any", OTHER, "u")]


def test_a_failing_handler_is_logged_and_the_rest_go_on(
    fake: FakeWialon, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        poller.subscribe(units(UNIT))
        delivered: list[int] = []

        @poller.on("m", filter=lambda e: e.d.p == {"bad": 1})
        def broken(event: AvlMessageEvent) -> None:
            raise ValueError("handler bug")

        @poller.on("m")
        def fine(event: AvlMessageEvent) -> None:
            delivered.append(event.d.t)

        poller.poll_once()
        fake.push_message(UNIT, x=1.0, y=1.0, t=100)
        fake.push_message(UNIT, x=1.0, y=1.0, t=101, params={"bad": 1})
        fake.push_message(UNIT, x=1.0, y=1.0, t=102)
        with caplog.at_level(logging.ERROR, logger="apiforge"):
            assert poller.poll_once() == 6
        fake.push_message(UNIT, x=1.0, y=1.0, t=103)
        poller.poll_once()

    assert delivered == [100, 102, 103]
    (record,) = [r for r in caplog.records if "handler" in r.getMessage()]
    assert record.exc_info is not None and "handler bug" in str(record.exc_info[1])
    assert str(UNIT) in record.getMessage()


def test_an_event_that_does_not_decode_is_skipped(
    fake: FakeWialon, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        got: list[AvlEvent] = []
        poller.on()(got.append)
        poller.subscribe(units(UNIT))
        poller.poll_once()
        (session,) = fake.sessions.values()
        session.events.append({"i": "not an id", "t": "m", "d": {}})
        fake.push_message(UNIT, x=1.0, y=1.0)
        with caplog.at_level(logging.WARNING, logger="apiforge"):
            assert poller.poll_once() == 2
    assert [type(e) for e in got] == [AvlMessageEvent, AvlUpdateEvent]
    assert "skipped event 0" in caplog.text


def test_decode_events_keeps_server_time_and_unknown_kinds() -> None:
    tm, events = decode_events({"tm": 123, "events": [{"i": 5, "t": "u", "d": {"nm": "x"}}, {"i": 6, "t": "d"}]})
    assert tm == 123
    assert [type(e) for e in events] == [AvlUpdateEvent, AvlDeleteEvent]
    assert decode_events({"tm": 1, "events": []}) == (1, [])


def test_any_callable_is_a_sink(fake: FakeWialon, mode: str) -> None:
    received: list[AvlEvent] = []
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sink=received.append, sleep=no_sleep)
        poller.subscribe(units(UNIT))
        poller.poll_once()
        fake.push_message(UNIT, x=1.0, y=1.0)
        poller.poll_once()
    assert [e.t for e in received] == ["m", "u"]


def test_bad_arguments_are_clear_errors(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        with pytest.raises(ValueError, match="at least 1 s"):
            AvlPoller(w, interval=0.5)
        poller = AvlPoller(w)
        with pytest.raises(ValueError, match="kind must be 'm', 'u', 'd' or None, got 'x'"):
            poller.on("x")  # type: ignore[call-overload]

        async def handler(event: AvlEvent) -> None:
            return None

        with pytest.raises(ConfigurationError, match="handler is async"):
            poller.on()(handler)
        with pytest.raises(ConfigurationError, match="is async"):
            AvlPoller(w, sink=handler)
    with pytest.raises(TypeError, match="needs a Wialon client"):
        from apiforge.vk import VK

        AvlPoller(VK(token="t"))


# The loop: interval, keep-alive, re-registration after re-login.


def test_run_polls_every_interval_on_a_fake_clock(fake: FakeWialon, mode: str, clock: ManualClock) -> None:
    waits: list[float] = []
    with connect(fake, mode) as w:
        poller_clock = ManualClock(0.0)

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            poller_clock.advance(seconds)
            clock.advance(seconds)
            if len(waits) == 3:
                poller.stop()

        poller = AvlPoller(w, interval=2.5, clock=poller_clock, sleep=sleep)

        @poller.on("m")
        def slow(event: AvlMessageEvent) -> None:
            poller_clock.advance(1.0)  # handling takes a second: the next wait is shorter

        poller.subscribe(units(UNIT))
        fake.push_message(UNIT, x=1.0, y=1.0)  # before registration: never delivered
        poller.run()

        assert waits == [2.5, 2.5, 2.5]
        fake.push_message(UNIT, x=1.0, y=1.0)
        waits.clear()
        poller.run()
        assert waits == [1.5, 2.5, 2.5]
    assert methods(fake).count("avl_evts") == 6


def test_polling_keeps_the_session_alive(fake: FakeWialon, mode: str, clock: ManualClock) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        for _ in range(5):
            poller.poll_once()
            clock.advance(240)  # idle between polls for 4 minutes: less than the 5-minute timeout
        assert fake.logins == 1
        clock.advance(400)
        poller.poll_once()
        assert fake.logins == 2


def test_items_are_registered_again_after_a_relogin(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        got: list[float] = []
        poller.on("m")(lambda e: got.append(e.d.pos.x if e.d.pos else 0.0))
        poller.subscribe(units(UNIT))
        poller.poll_once()
        fake.push_message(UNIT, x=1.0, y=1.0)
        poller.poll_once()

        fake.expire_session()
        fake.push_message(UNIT, x=2.0, y=2.0)  # no session registered the unit: lost, as with Wialon
        poller.poll_once()  # error 1 -> login -> open steps register the unit -> poll again
        fake.push_message(UNIT, x=3.0, y=3.0)
        poller.poll_once()

        fake.expire_session()
        w.core.search_item(id=UNIT, flags=1)  # any call's re-login re-registers too
        fake.push_message(UNIT, x=4.0, y=4.0)
        poller.poll_once()

    assert got == [1.0, 3.0, 4.0]
    for number in (2, 3):
        in_session = [svc for svc, n in fake.served if n == number]
        assert in_session[0] == "core/update_data_flags", in_session


def test_a_failed_poll_is_logged_and_the_next_one_goes_on(
    fake: FakeWialon, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    with connect(fake, mode, max_retries=0) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        poller.subscribe(units(UNIT))
        poller.poll_once()
        fake.faults.fail_next(1, kind="http_502")
        with caplog.at_level(logging.WARNING, logger="apiforge"):
            assert poller.poll_once() == 0
        fake.push_message(UNIT, x=1.0, y=1.0)
        assert poller.poll_once() == 2
    assert "poll failed" in caplog.text


def test_start_and_stop_a_polling_thread(fake: FakeWialon, mode: str) -> None:
    arrived = threading.Event()
    with connect(fake, mode) as w:
        poller = AvlPoller(w, interval=1)
        poller.subscribe(units(UNIT))

        @poller.on("m")
        def moved(event: AvlMessageEvent) -> None:
            arrived.set()

        poller.poll_once()  # registered
        fake.push_message(UNIT, x=1.0, y=1.0)
        poller.start()  # its first poll brings the message
        assert poller.running
        assert arrived.wait(10), "the message event never arrived"
        poller.stop()  # cuts the wait before the next poll short
        assert not poller.running
        assert poller.error is None


# Async.


async def test_async_poller_with_async_handlers(fake: FakeWialon, mode: str) -> None:
    got: list[tuple[str, int]] = []
    async with aconnect(fake, mode) as w:
        cycles = 0

        async def sleep(seconds: float) -> None:
            nonlocal cycles
            cycles += 1
            if cycles == 1:
                fake.push_message(UNIT, x=1.0, y=1.0)
            elif cycles == 2:
                fake.expire_session()
            elif cycles == 3:
                fake.push_message(UNIT, x=2.0, y=2.0)
            else:
                await poller.stop()

        poller = AsyncAvlPoller(w, interval=1, sleep=sleep, clock=ManualClock(0.0))
        poller.subscribe(units(UNIT))

        @poller.on("m")
        async def moved(event: AvlMessageEvent) -> None:
            await asyncio.sleep(0)
            got.append(("m", event.i))

        @poller.on("u")
        def updated(event: AvlUpdateEvent) -> None:  # sync handlers work in the async poller too
            got.append(("u", event.i))

        await poller.run()
    assert got == [("m", UNIT), ("u", UNIT)] * 2
    assert fake.logins == 2
    assert next(svc for svc, n in fake.served if n == 2) == "core/update_data_flags"


async def test_async_start_and_stop(fake: FakeWialon, mode: str) -> None:
    arrived = asyncio.Event()
    async with aconnect(fake, mode) as w:
        poller = AsyncAvlPoller(w, interval=1)
        poller.subscribe(units(UNIT))

        @poller.on("m")
        async def moved(event: AvlMessageEvent) -> None:
            arrived.set()

        await poller.poll_once()  # registered
        fake.push_message(UNIT, x=1.0, y=1.0)
        task = poller.start()  # its first poll brings the message
        assert poller.running
        await asyncio.wait_for(arrived.wait(), 10)
        await poller.stop()
        assert task.done() and not poller.running


async def test_async_stop_right_after_start(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        poller = AsyncAvlPoller(w)
        task = poller.start()
        await poller.stop()
        assert task.done()


def test_handlers_may_use_the_client(fake: FakeWialon, mode: str) -> None:
    names: list[Any] = []
    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=no_sleep)
        poller.subscribe(units(UNIT))

        @poller.on("m")
        def look_up(event: AvlMessageEvent) -> None:
            names.append(w.core.search_item(id=event.i, flags=1).item.nm)

        poller.poll_once()
        fake.push_message(UNIT, x=1.0, y=1.0)
        poller.poll_once()
    assert names == ["Truck 01"]
