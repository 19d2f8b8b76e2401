"""Bots Long Poll against the fake VK: every event exactly once and in order, through every failure."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

import pytest

from apiforge.core.events import BotLongPoll, UnknownUpdate, VKEvents
from apiforge.core.events.vk_updates import BotUpdate
from apiforge.testing import FakeVK
from apiforge.testing.vk_longpoll import FakeLongPoll
from apiforge.vk import VK, AsyncVK
from apiforge.vk.updates import GroupJoin, MessageNew, MessageReply
from tests.events.eventkit import GROUP_ID, NO_WAIT, TOKEN

Step = tuple[str, int] | Callable[[], object]


def joins(fake: FakeVK, numbers: range) -> list[dict[str, Any]]:
    return [fake.longpoll.push("group_join", {"user_id": n, "join_type": "join"}) for n in numbers]


def script(fake: FakeVK) -> tuple[list[Step], list[dict[str, Any]], list[dict[str, Any]]]:
    """Ten events in batches of two, and between the takes: drops, key expiry, a resend, a reset.

    Returns the steps, the events pushed first and the list the events pushed after the reset go into.
    """
    lp = fake.longpoll
    lp.batch = 2
    lp.rewind = 2
    pushed = joins(fake, range(1, 11))
    later: list[dict[str, Any]] = []

    def push_after_reset(server: FakeLongPoll) -> None:
        later.extend(joins(fake, range(11, 13)))

    def drop_then_expire() -> None:
        fake.faults.fail_next(1, kind="reset_before")  # the next poll: the connection is dropped
        lp.fail_next("expire_key")  # the retried poll: failed=2

    steps: list[Step] = [
        ("take", 2),
        drop_then_expire,
        ("take", 2),
        lambda: fake.faults.fail_next(1, kind="reset_after"),  # answered by the server, then dropped
        ("take", 2),
        lambda: lp.fail_next("history"),  # failed=1 two events back: the server sends them again
        ("take", 2),
        lambda: lp.fail_next("reset_ts", push_after_reset),  # failed=3: the two pending are lost
        ("take", 2),
    ]
    return steps, pushed, later


def check(fake: FakeVK, received: list[BotUpdate[object]], expected: list[dict[str, Any]]) -> None:
    ids = [u.event_id for u in received]
    assert ids == [e["event_id"] for e in expected]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(u, GroupJoin) for u in received)
    delivered = [e["event_id"] for e in fake.longpoll.delivered()]
    assert list(dict.fromkeys(delivered)) == ids  # what the fake sent, first time each
    assert len(delivered) > len(ids)  # and it did send some twice
    assert [e["object"]["user_id"] for e in fake.longpoll.lost()] == [9, 10]
    assert {r.kind for r in fake.faults.log} == {"reset_before", "reset_after"}
    assert all(r.path.startswith("/longpoll/") for r in fake.faults.log)


def test_every_event_once_in_order_sync(fake: FakeVK, vk: VK, caplog: pytest.LogCaptureFixture) -> None:
    steps, pushed, later = script(fake)
    poller = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
    received: list[BotUpdate[object]] = []
    with caplog.at_level(logging.INFO, logger="apiforge.events"):
        for step in steps:
            if callable(step):
                step()
            else:
                received.extend(itertools.islice(poller, step[1]))
    check(fake, received, pushed[:8] + later)
    assert poller.reconnects == 2
    assert "may be lost" in caplog.text


async def test_every_event_once_in_order_async(fake: FakeVK, avk: AsyncVK, caplog: pytest.LogCaptureFixture) -> None:
    steps, pushed, later = script(fake)
    poller = BotLongPoll(avk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
    received: list[BotUpdate[object]] = []
    with caplog.at_level(logging.INFO, logger="apiforge.events"):
        for step in steps:
            if callable(step):
                step()
                continue
            wanted = len(received) + step[1]
            async for update in poller:
                received.append(update)
                if len(received) == wanted:
                    break
    check(fake, received, pushed[:8] + later)
    assert poller.reconnects == 2


def test_leaving_the_loop_mid_batch_loses_and_repeats_nothing(fake: FakeVK, vk: VK) -> None:
    pushed = joins(fake, range(1, 6))
    poller = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
    first = []
    for update in poller:  # one reply carries all five; leave after two
        first.append(update)
        if len(first) == 2:
            break
    rest = list(itertools.islice(poller, 3))
    assert [u.event_id for u in first + rest] == [e["event_id"] for e in pushed]
    assert len(fake.calls_to("longpoll.bots")) == 1


def test_a_new_poller_resumes_from_a_saved_ts(fake: FakeVK, vk: VK) -> None:
    pushed = joins(fake, range(1, 4))
    poller = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
    assert [u.event_id for u in itertools.islice(poller, 3)] == [e["event_id"] for e in pushed]
    saved = poller.ts
    more = joins(fake, range(4, 6))
    again = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts=saved)
    assert [u.event_id for u in itertools.islice(again, 2)] == [e["event_id"] for e in more]


def test_without_ts_a_poller_starts_with_the_events_from_now_on(fake: FakeVK, vk: VK) -> None:
    joins(fake, range(1, 3))
    poller = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT)
    fake.longpoll.fail_next(lambda server: joins(fake, range(3, 4)))
    (update,) = itertools.islice(poller, 1)
    assert isinstance(update, GroupJoin) and update.object.user_id == 3


def test_events_come_from_what_happens(fake: FakeVK, vk: VK) -> None:
    poller = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
    fake.longpoll.message_from_user(5, "hello")
    (incoming,) = itertools.islice(poller, 1)
    assert isinstance(incoming, MessageNew)
    message = incoming.object.message
    assert message is not None and (message.from_id, message.text) == (5, "hello")
    vk.messages.send(peer_id=5, message="hi back")
    (outgoing,) = itertools.islice(poller, 1)
    assert isinstance(outgoing, MessageReply)
    assert (outgoing.object.peer_id, outgoing.object.text) == (5, "hi back")


def test_an_unknown_type_does_not_break_the_loop(fake: FakeVK, vk: VK) -> None:
    fake.longpoll.push("brand_new_event", {"anything": [1, 2]})
    fake.longpoll.push("group_join", {"user_id": 9})  # join_type missing: does not fit its model
    fake.longpoll.push("group_leave", {"user_id": 9, "self": 1})
    unknown, undecoded, leave = itertools.islice(BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1"), 3)
    assert isinstance(unknown, UnknownUpdate) and unknown.type == "brand_new_event" and unknown.error is None
    assert unknown.object == {"anything": [1, 2]}
    assert isinstance(undecoded, UnknownUpdate) and undecoded.type == "group_join"
    assert undecoded.error is not None and "join_type" in str(undecoded.error)
    assert leave.type == "group_leave"


def test_a_sync_poller_refuses_async_for_and_the_other_way_round(fake: FakeVK, vk: VK) -> None:
    with pytest.raises(TypeError, match="use `for`"):
        aiter(BotLongPoll(vk, group_id=GROUP_ID))
    with pytest.raises(TypeError, match="expected a VK or AsyncVK client, got str"):
        BotLongPoll("vk", group_id=GROUP_ID)  # type: ignore[arg-type]


async def test_an_async_poller_refuses_for(avk: AsyncVK) -> None:
    with pytest.raises(TypeError, match="use `async for`"):
        iter(BotLongPoll(avk, group_id=GROUP_ID))


def test_an_unknown_community_is_the_apis_error(fake: FakeVK, vk: VK) -> None:
    from apiforge.vk.errors import VKAPIError

    with pytest.raises(VKAPIError, match="group_id"):
        next(iter(BotLongPoll(vk, group_id=999, retry=NO_WAIT)))


def test_the_client_has_a_bot_long_poll() -> None:
    assert issubclass(VK, VKEvents)
    with FakeVK(tokens={TOKEN}) as fake:
        pushed = joins(fake, range(1, 3))
        with VK(token=TOKEN, token_kind="group", base_url=fake.url, rate_limit=None) as client:
            got = list(itertools.islice(client.bot_long_poll(group_id=GROUP_ID, ts="1", retry=NO_WAIT), 2))
    assert [u.event_id for u in got] == [e["event_id"] for e in pushed]
