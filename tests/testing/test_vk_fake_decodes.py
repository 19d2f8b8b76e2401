"""Every answer of FakeVK decodes into the generated VK models.

Stateful methods are driven through real clients (real HTTP, the plugin's `fake_vk` / `vk` /
`async_vk`); every method the fake answers generically is called in-process with its required
arguments only, built from its signature.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from apiforge.core.auth import Token
from apiforge.core.events import BotLongPoll
from apiforge.testing import FakeVK
from apiforge.vk import METHODS, VK, AsyncVK
from apiforge.vk.updates import MessageNew, MessageReply

from .support import bound_method, call_checked, decoding_problems, expected_type, required_arguments

TOKENS = [Token("user-token", "user"), Token("group-token", "group"), Token("service-token", "service")]
TOKENS += [Token("open-token", "open")]
GENERIC = sorted(set(METHODS) - set(FakeVK().methods) - {"execute"})


def test_the_stateful_methods_decode_over_http(fake_vk: FakeVK, vk: VK) -> None:
    users = call_checked(vk, METHODS, "users.get", user_ids=[1, 5], fields=["photo_100", "screen_name"])
    assert [(u.id, u.photo_100) for u in users] == [
        (1, "https://fake.vk/u1_100.jpg"),
        (5, "https://fake.vk/u5_100.jpg"),
    ]
    groups = call_checked(vk, METHODS, "groups.getById", group_ids=["apiclub", "vk"])
    assert [g.id for g in groups.groups] == [1, 22822305]
    sent = call_checked(vk, METHODS, "messages.send", peer_id=5, message="hi")
    history = call_checked(vk, METHODS, "messages.getHistory", peer_id=5)
    assert [(m.id, m.text) for m in history.items] == [(sent, "hi")]
    server = call_checked(vk, METHODS, "groups.getLongPollServer", group_id=1)
    assert server.server.startswith(fake_vk.url)
    assert [c.method for c in fake_vk.calls] == [
        "users.get",
        "groups.getById",
        "messages.send",
        "messages.getHistory",
        "groups.getLongPollServer",
    ]


def test_execute_answers_decode(vk: VK) -> None:
    result = vk.execute(code='return [API.users.get({"user_ids": "5"})];')
    assert result == [
        [{"id": 5, "first_name": "Ilya", "last_name": "Perekopsky", "can_access_closed": True, "is_closed": False}]
    ]


def test_long_poll_events_decode_into_typed_updates(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.longpoll.message_from_user(5, "hello")
    fake_vk.longpoll.push("group_join", {"user_id": 5, "join_type": "join"})
    updates = list(itertools.islice(BotLongPoll(vk, group_id=1, ts="1"), 2))
    vk.messages.send(peer_id=5, message="welcome")
    reply = next(iter(BotLongPoll(vk, group_id=1, ts="3")))

    new, joined = updates
    assert isinstance(new, MessageNew) and new.object.message is not None and new.object.message.text == "hello"
    assert type(joined).__name__ == "GroupJoin"
    assert isinstance(reply, MessageReply) and reply.object.text == "welcome"


@pytest.mark.parametrize("wire", ["wall.getReposts", "photos.getAlbums", "friends.get", "groups.get", "stories.get"])
async def test_generic_answers_decode_through_the_async_client(wire: str, async_vk: AsyncVK) -> None:
    method = bound_method(async_vk, METHODS[wire])
    kwargs = required_arguments(method)
    result = await method(**kwargs)
    assert not decoding_problems(result, expected_type(METHODS[wire].spec, kwargs))


@pytest.fixture(scope="module")
def inprocess_vk() -> Iterator[VK]:
    fake = FakeVK(tokens=[t.value for t in TOKENS])
    with (
        httpx.Client(transport=fake.transport()) as http,
        VK(TOKENS, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http) as client,
    ):
        yield client


def test_the_generic_methods_are_the_schema_minus_the_stateful_ones() -> None:
    stateful = {"messages.send", "messages.getConversations", "wall.post", "wall.get", "groups.getLongPollServer"}
    assert "wall.getReposts" in GENERIC and not stateful & set(GENERIC)
    assert len(GENERIC) > 500


def test_the_token_kinds_of_the_stateful_methods_are_the_specs() -> None:
    fake = FakeVK()
    assert {"messages.getConversations", "wall.post", "wall.createComment"} <= set(fake.method_kinds)
    for name, kinds in fake.method_kinds.items():
        assert kinds == frozenset(METHODS[name].spec.token_kinds), name


@pytest.mark.parametrize("wire", GENERIC)
def test_every_generic_answer_decodes(wire: str, inprocess_vk: VK) -> None:
    call_checked(inprocess_vk, METHODS, wire)
