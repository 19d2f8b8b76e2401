"""VK User Long Poll: the documented event codes typed, and the poll against the fake through its failures."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from apiforge.core.events import UserLongPoll
from apiforge.core.events.vk_user import (
    USER_EVENTS,
    ChatInfoChanged,
    CounterChanged,
    FriendOffline,
    FriendOnline,
    InboxRead,
    MessageAdded,
    MessageFlag,
    MessageFlagsSet,
    NotificationSettingsChanged,
    PeerFlag,
    PeerFlagsSet,
    UnknownUserEvent,
    UsersTyping,
    decode_user_event,
)
from apiforge.testing import FakeVK
from apiforge.testing.vk_longpoll import USER_STREAM
from apiforge.vk import VK, AsyncVK
from tests.events.eventkit import NO_WAIT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            [4, 101, 1, 2000000001, 1700000000, "hi all", {"from": "5", "title": ""}, {}, 77, 12, 0],
            MessageAdded(
                message_id=101,
                flags=MessageFlag.UNREAD,
                peer_id=2000000001,
                timestamp=1700000000,
                text="hi all",
                extra={"from": "5", "title": ""},
                attachments={},
                random_id=77,
                conversation_message_id=12,
                edit_time=0,
            ),
        ),
        ([4, 102, 3, 5], MessageAdded(message_id=102, flags=MessageFlag.UNREAD | MessageFlag.OUTBOX, peer_id=5)),
        ([2, 101, 128, 5], MessageFlagsSet(message_id=101, flags=MessageFlag.DELETED, peer_id=5)),
        ([6, 5, 101], InboxRead(peer_id=5, local_id=101)),
        ([8, -42, 7, 1700000000], FriendOnline(user_id=42, platform=7, timestamp=1700000000)),
        ([9, -42, 1, 1700000001], FriendOffline(user_id=42, away=1, timestamp=1700000001)),
        ([12, 5, 1], PeerFlagsSet(peer_id=5, flags=PeerFlag.IMPORTANT)),
        ([52, 2, 2000000001, "New title"], ChatInfoChanged(type_id=2, peer_id=2000000001, info="New title")),
        (
            [63, 2000000001, [5, 6], 2, 1700000000],
            UsersTyping(peer_id=2000000001, user_ids=[5, 6], total_count=2, ts=1700000000),
        ),
        ([80, 3, 0], CounterChanged(count=3, count_with_notifications=0)),
        (
            [114, {"peer_id": 5, "sound": 0, "disabled_until": -1}],
            NotificationSettingsChanged(settings={"peer_id": 5, "sound": 0, "disabled_until": -1}),
        ),
    ],
)
def test_documented_codes_are_typed(raw: list[Any], expected: object) -> None:
    event = decode_user_event(raw)
    assert event == expected
    assert event.raw == raw
    assert event.code == raw[0]


def test_every_typed_code_has_its_own_class() -> None:
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 51, 52, 61, 62, 63, 64, 70, 80, 114} == set(USER_EVENTS)
    assert all(code == cls.CODE for code, cls in USER_EVENTS.items())


def test_an_unknown_code_or_a_bad_array_is_an_unknown_event() -> None:
    unknown = decode_user_event([999, "x"])
    assert isinstance(unknown, UnknownUserEvent) and unknown.code == 999 and unknown.error is None
    short = decode_user_event([6, 5])  # local_id missing
    assert isinstance(short, UnknownUserEvent) and short.code == 6
    assert short.error is not None and "local_id" in str(short.error)
    wrong = decode_user_event([4, "not a number", 1, 5])
    assert isinstance(wrong, UnknownUserEvent) and wrong.error is not None
    not_an_array = decode_user_event({"code": 4})
    assert isinstance(not_an_array, UnknownUserEvent) and not_an_array.code == 0


def test_the_user_stream_follows_the_messages_through_failures(fake: FakeVK, vk: VK) -> None:
    poller = UserLongPoll(vk, retry=NO_WAIT, ts="1")
    fake.longpoll.message_from_user(5, "one")
    fake.longpoll.fail_next("expire_key", stream=USER_STREAM)
    fake.longpoll.push_user([80, 1, 0])
    first = list(itertools.islice(poller, 2))  # failed=2 first: same ts with a new key
    vk.messages.send(peer_id=5, message="two")
    fake.faults.fail_next(1, kind="reset_before")  # the next poll is dropped
    (sent,) = itertools.islice(poller, 1)
    assert [type(e) for e in first] == [MessageAdded, CounterChanged]
    assert isinstance(first[0], MessageAdded) and (first[0].peer_id, first[0].text) == (5, "one")
    assert isinstance(sent, MessageAdded) and sent.text == "two" and sent.flags & MessageFlag.OUTBOX
    assert poller.reconnects == 1
    assert poller.pts is not None
    (server_call,) = fake.calls_to("messages.getLongPollServer")[:1]
    assert server_call.params["lp_version"] == "3"
    polls = fake.calls_to("longpoll.user")
    assert {call.query["version"] for call in polls} == {"3"}
    assert {call.query["key"] for call in polls} == {"***"}  # the fake masks the key in its records
    assert [r.path for r in fake.faults.log] == ["/longpoll/user"]


async def test_the_user_stream_async(fake: FakeVK, avk: AsyncVK) -> None:
    fake.longpoll.message_from_user(7, "hello")
    async for event in UserLongPoll(avk, retry=NO_WAIT, ts="1"):
        assert isinstance(event, MessageAdded) and event.text == "hello"
        break
    else:
        pytest.fail("no event")
