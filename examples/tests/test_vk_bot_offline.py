"""An offline test of a VK community bot: a user writes, the bot (over Bots Long Poll) answers.

Copy it into your project: it needs apiforge and pytest (and pytest-asyncio for the async test).
The fixtures come with apiforge (its pytest plugin): `fake_vk` is a fake VK on 127.0.0.1 — users,
communities, messages and the long-poll server — and `vk` / `async_vk` are clients of it.
"""

from __future__ import annotations

import itertools

import pytest

from apiforge.core.events import BotLongPoll
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.vk.updates import MessageNew

GROUP_ID = 1  # a community the fake knows ("VK API")
USER_ID = 5  # a user the fake knows (Ilya)


# The code under test: in your project it lives in your bot, not in the test.


def reply_to(update: object) -> tuple[int, str] | None:
    """What the bot answers to an update, and to whom: it echoes text messages."""
    if isinstance(update, MessageNew) and update.object.message is not None and update.object.message.text:
        message = update.object.message
        return message.peer_id or message.from_id, f"You said: {message.text}"
    return None


def run_bot(vk: VK, *, updates: int, ts: str | None = None) -> None:
    """Handle the next `updates` updates of the community's long poll."""
    for update in itertools.islice(BotLongPoll(vk, group_id=GROUP_ID, ts=ts), updates):
        answer = reply_to(update)
        if answer is not None:
            peer_id, text = answer
            vk.messages.send(peer_id=peer_id, message=text)


# The tests.


def test_the_bot_answers_a_message(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.longpoll.message_from_user(USER_ID, "hello")  # the user writes to the community

    run_bot(vk, updates=1, ts="1")  # ts "1": from the first event of the fake's stream

    history = vk.messages.get_history(peer_id=USER_ID)  # newest first
    assert [m.text for m in history.items] == ["You said: hello", "hello"]
    sent = fake_vk.calls_to("messages.send")
    assert [call.params["message"] for call in sent] == ["You said: hello"]
    assert sent[0].params["access_token"] == "***"  # recorded calls never hold a secret


def test_no_conversation_is_left_unanswered(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.longpoll.message_from_user(USER_ID, "hello")
    fake_vk.longpoll.message_from_user(7, "anyone there?")  # any user id may write
    assert vk.messages.get_conversations(filter="unanswered").count == 2

    run_bot(vk, updates=2, ts="1")

    assert vk.messages.get_conversations(filter="unanswered").count == 0
    latest = vk.messages.get_conversations().items[0].last_message  # newest conversation first
    assert latest is not None and latest.text == "You said: anyone there?"


def test_a_send_repeated_with_its_random_id_is_delivered_once(fake_vk: FakeVK, vk: VK) -> None:
    first = vk.messages.send(peer_id=USER_ID, message="once", random_id=42)
    again = vk.messages.send(peer_id=USER_ID, message="once", random_id=42)  # e.g. a retry after a timeout

    assert first == again
    assert [m["text"] for m in fake_vk.messages] == ["once"]


def test_too_many_requests_is_retried(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.faults.fail_next(1, kind="vk_6")  # VK error 6: too many requests per second

    users = vk.users.get(user_ids=[USER_ID])

    assert [u.first_name for u in users] == ["Ilya"]
    assert len(fake_vk.calls_to("users.get")) == 1  # the refused request never reached the handler
    assert fake_vk.faults.counts() == {"vk_6": 1}


@pytest.mark.asyncio
async def test_the_async_bot_sees_its_own_reply(fake_vk: FakeVK, async_vk: AsyncVK) -> None:
    fake_vk.longpoll.message_from_user(USER_ID, "hi")
    seen: list[str] = []
    async for update in BotLongPoll(async_vk, group_id=GROUP_ID, ts="1"):
        seen.append(update.type)
        answer = reply_to(update)
        if answer is not None:
            await async_vk.messages.send(peer_id=answer[0], message=answer[1])
        if len(seen) == 2:
            break

    assert seen == ["message_new", "message_reply"]  # the community's answer is an event too
