"""FakeVK keeps conversations and walls as VK does, and tells of them in the Bots Long Poll.

Each test runs over real HTTP and in-process (the `mode` fixture); the clients are the plugin's
`vk` / `async_vk`, which follow the `fake_vk` defined here. The fake's clock is a `Clock` that
only moves when a test says so, so dates are known.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from apiforge.core.events import BotLongPoll
from apiforge.core.events.vk_updates import BotUpdate
from apiforge.testing import FakeVK
from apiforge.vk import METHODS, VK, AsyncVK, decode_response
from apiforge.vk.errors import ParamError, WallAccessPostError, WallAccessRepliesError
from apiforge.vk.updates import MessageRead, WallPostNew, WallReplyNew

from .support import Clock, call_checked, decoding_problems, served, wire

START = 1_700_000_000
COMMUNITY = 1  # FakeVK's default "VK API" (apiclub), whose Bots Long Poll stream the fake feeds


@pytest.fixture
def clock() -> Clock:
    return Clock(float(START))


@pytest.fixture
def fake_vk(mode: str, clock: Clock) -> Iterator[FakeVK]:
    with served(FakeVK(clock=clock), mode) as fake:
        yield fake


def conversation_of(fake: FakeVK, peer_id: int) -> dict[str, Any]:
    return fake.conversations.conversation(peer_id)


def queued(fake: FakeVK) -> list[str]:
    """The types of the community's events so far (checked before polling: a poll for a missing one would wait)."""
    return [update["type"] for _, update in fake.longpoll.stream(f"bots:{COMMUNITY}").events]


def polled(vk: VK, count: int) -> list[BotUpdate[object]]:
    """The community's first `count` events, as BotLongPoll decodes them."""
    return list(itertools.islice(BotLongPoll(vk, group_id=COMMUNITY, ts="1"), count))


# Conversations.


def test_conversations_are_one_per_peer_newest_first(fake_vk: FakeVK, vk: VK, clock: Clock) -> None:
    fake_vk.longpoll.message_from_user(5, "hi")
    clock.advance(10)
    sent = vk.messages.send(peer_id=7, message="hello seven")
    clock.advance(10)
    fake_vk.longpoll.message_from_user(5, "are you there?")

    page = call_checked(vk, METHODS, "messages.getConversations")

    assert page.count == 2 and page.unread_count == 1  # one conversation has unread messages
    five, seven = page.items
    assert five.conversation is not None and five.last_message is not None
    assert (five.conversation.peer.id, five.conversation.peer.type) == (5, "user")
    assert (five.last_message.text, five.last_message.date, five.last_message.out) == ("are you there?", START + 20, 0)
    assert five.conversation.last_message_id == five.last_message.id == 3
    assert (five.conversation.unread_count, five.conversation.in_read, five.conversation.unanswered) == (2, 0, True)
    assert seven.conversation is not None and seven.last_message is not None
    assert (seven.last_message.id, seven.last_message.text, seven.last_message.out) == (sent, "hello seven", 1)
    assert seven.conversation.unread_count is None  # VK leaves it out of a read conversation
    assert seven.conversation.last_conversation_message_id == 1 and seven.conversation.unanswered is False


def test_mark_as_read_and_a_peer_reading_move_in_read_and_out_read(fake_vk: FakeVK, vk: VK) -> None:
    first = fake_vk.longpoll.message_from_user(5, "one")
    second = fake_vk.longpoll.message_from_user(5, "two")
    vk.messages.mark_as_read(peer_id=5, start_message_id=first["id"])
    assert (conversation_of(fake_vk, 5)["in_read"], conversation_of(fake_vk, 5)["unread_count"]) == (first["id"], 1)

    vk.messages.mark_as_read(peer_id=5)  # up to the last incoming message
    reply = vk.messages.send(peer_id=5, message="three")
    fake_vk.conversations.read_by_peer(5)

    (item,) = vk.messages.get_conversations().items
    assert item.conversation is not None
    assert (item.conversation.in_read, item.conversation.out_read) == (second["id"], reply)
    assert item.conversation.unread_count is None and vk.messages.get_conversations().unread_count is None
    assert queued(fake_vk) == ["message_new", "message_new", "message_reply", "message_read"]
    *_, read = polled(vk, 4)
    assert isinstance(read, MessageRead)
    assert (read.object.from_id, read.object.peer_id, read.object.read_message_id) == (5, 5, reply)


def test_offset_count_and_filter_page_the_conversations(fake_vk: FakeVK, vk: VK) -> None:
    for peer in (11, 12, 13, 14, 15):
        vk.messages.send(peer_id=peer, message=f"to {peer}")
    fake_vk.longpoll.message_from_user(12, "from 12")

    page = vk.messages.get_conversations(offset=1, count=2)
    unread = vk.messages.get_conversations(filter="unread")
    unanswered = vk.messages.get_conversations(filter="unanswered")
    important = vk.messages.get_conversations(filter="important")

    assert page.count == 5
    assert [i.conversation.peer.id for i in page.items if i.conversation] == [15, 14]  # 12 is first: newest message
    assert [i.conversation.peer.id for i in unread.items if i.conversation] == [12] and unread.count == 1
    assert [i.conversation.peer.id for i in unanswered.items if i.conversation] == [12]
    assert (important.count, important.items) == (0, [])  # the fake marks nothing important


def test_extended_conversations_list_the_people_in_them(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.longpoll.message_from_user(5, "hi")
    vk.messages.send(peer_id=-22822305, message="to a community")
    vk.messages.send(peer_id=2_000_000_001, message="to a chat")

    page = call_checked(vk, METHODS, "messages.getConversations", extended=True, fields=["photo_100"])

    types = [(i.conversation.peer.type, i.conversation.peer.local_id) for i in page.items if i.conversation]
    assert types == [("chat", 1), ("group", 22822305), ("user", 5)]
    assert {(p.id, p.photo_100) for p in page.profiles or []} == {
        (1, "https://fake.vk/u1_100.jpg"),
        (5, "https://fake.vk/u5_100.jpg"),
    }
    assert [g.id for g in page.groups or []] == [22822305]
    assert vk.messages.get_conversations().profiles is None  # only an extended answer lists them


def test_conversations_by_id_include_peers_without_messages(fake_vk: FakeVK, vk: VK) -> None:
    vk.messages.send(peer_id=5, message="hi")
    found = call_checked(vk, METHODS, "messages.getConversationsById", peer_ids=[5, 9], extended=True)
    assert [(c.peer.id, c.last_message_id) for c in found.items] == [(5, 1), (9, 0)]
    assert [p.id for p in found.profiles or []] == [5]


async def test_the_async_client_reads_the_same_conversations(fake_vk: FakeVK, async_vk: AsyncVK) -> None:
    await async_vk.messages.send(peer_id=5, message="async hello")
    fake_vk.longpoll.message_from_user(5, "async reply")
    page = await async_vk.messages.get_conversations(extended=True)
    (item,) = page.items
    assert item.last_message is not None and item.last_message.text == "async reply"
    assert item.conversation is not None and item.conversation.unread_count == 1
    await async_vk.messages.mark_as_read(peer_id=5)
    again = await async_vk.messages.get_conversations()
    assert again.items[0].conversation is not None and again.items[0].conversation.unread_count is None


# Walls.


def test_posts_are_read_back_edited_and_deleted(fake_vk: FakeVK, vk: VK, clock: Clock) -> None:
    first = call_checked(vk, METHODS, "wall.post", message="first")
    clock.advance(60)
    second = call_checked(vk, METHODS, "wall.post", owner_id=-COMMUNITY, from_group=True, message="news")
    mine = call_checked(vk, METHODS, "wall.post", message="second")

    wall = call_checked(vk, METHODS, "wall.get")
    assert [(p.id, p.owner_id, p.from_id, p.date, p.text) for p in wall.items] == [
        (mine.post_id, 1, 1, START + 60, "second"),
        (first.post_id, 1, 1, START, "first"),
    ]
    assert wall.count == 2 and first.post_id < mine.post_id
    community = call_checked(vk, METHODS, "wall.getById", posts=[f"-{COMMUNITY}_{second.post_id}", "1_999"])
    assert [(p.owner_id, p.from_id, p.created_by, p.text) for p in community.items or []] == [(-1, -1, 1, "news")]

    clock.advance(5)
    call_checked(vk, METHODS, "wall.edit", post_id=first.post_id, message="first, edited")
    (edited,) = vk.wall.get_by_id(posts=[f"1_{first.post_id}"]).items or []
    assert (edited.text, edited.date, edited.edited) == ("first, edited", START, START + 65)

    assert vk.wall.delete(post_id=first.post_id) == 1
    assert [p.id for p in vk.wall.get().items] == [mine.post_id]
    assert vk.wall.get_by_id(posts=[f"1_{first.post_id}"]).items == []
    assert vk.wall.post(message="third").post_id == mine.post_id + 1  # a deleted post's id is not given again
    with pytest.raises(WallAccessPostError):
        vk.wall.edit(post_id=first.post_id, message="gone")
    with pytest.raises(ParamError):
        vk.wall.post(message="")


def test_wall_get_filters_by_author_and_finds_walls_by_domain(fake_vk: FakeVK, vk: VK) -> None:
    fake_vk.wall.add_post(-COMMUNITY, "by the community", from_id=-COMMUNITY)
    fake_vk.wall.add_post(-COMMUNITY, "by a member", from_id=5)

    owner = vk.wall.get(domain="apiclub", filter="owner")
    others = call_checked(vk, METHODS, "wall.get", owner_id=-COMMUNITY, filter="others", extended=True, fields=["sex"])

    assert [p.text for p in owner.items] == ["by the community"]
    assert [p.text for p in others.items] == ["by a member"]
    assert [(p.id, p.sex) for p in others.profiles] == [(5, 2)] and [g.id for g in others.groups] == [COMMUNITY]
    assert vk.wall.get(owner_id=-COMMUNITY, count=1, offset=1).items[0].text == "by the community"


def test_comments_have_threads_and_count_on_the_post(fake_vk: FakeVK, vk: VK) -> None:
    post = vk.wall.post(owner_id=-COMMUNITY, from_group=True, message="discuss").post_id
    top = call_checked(vk, METHODS, "wall.createComment", owner_id=-COMMUNITY, post_id=post, message="first!")
    reply = vk.wall.create_comment(owner_id=-COMMUNITY, post_id=post, message="re", reply_to_comment=top.comment_id)
    as_group = vk.wall.create_comment(owner_id=-COMMUNITY, post_id=post, message="admin", from_group=COMMUNITY)

    assert post < top.comment_id < reply.comment_id < as_group.comment_id  # one sequence of ids per wall
    assert reply.parents_stack == [top.comment_id]
    level = call_checked(vk, METHODS, "wall.getComments", owner_id=-COMMUNITY, post_id=post, extended=True)
    assert [(c.id, c.from_id, c.text) for c in level.items] == [
        (top.comment_id, 1, "first!"),
        (as_group.comment_id, -1, "admin"),
    ]
    assert (level.count, level.current_level_count) == (3, 2)
    assert level.items[0].thread is not None and level.items[0].thread.count == 1
    replies = vk.wall.get_comments(owner_id=-COMMUNITY, post_id=post, comment_id=top.comment_id)
    assert [(c.text, c.reply_to_comment) for c in replies.items] == [("re", top.comment_id)]
    (stored,) = vk.wall.get_by_id(posts=[f"-{COMMUNITY}_{post}"]).items or []
    assert stored.comments is not None and stored.comments.count == 3
    with pytest.raises(WallAccessRepliesError):
        vk.wall.create_comment(owner_id=-COMMUNITY, post_id=post + 100, message="nowhere")


def test_community_posts_and_comments_are_long_poll_events(fake_vk: FakeVK, vk: VK, clock: Clock) -> None:
    vk.wall.post(message="on my own wall: no community event")
    post = vk.wall.post(owner_id=-COMMUNITY, from_group=True, message="hello, members").post_id
    clock.advance(1)
    comment = vk.wall.create_comment(owner_id=-COMMUNITY, post_id=post, message="hello, admin").comment_id

    assert queued(fake_vk) == ["wall_post_new", "wall_reply_new"]  # none for the post on a user's wall
    new_post, new_reply = polled(vk, 2)

    assert isinstance(new_post, WallPostNew) and new_post.group_id == COMMUNITY
    assert (new_post.object.id, new_post.object.owner_id, new_post.object.text) == (post, -1, "hello, members")
    assert (new_post.object.from_id, new_post.object.date) == (-1, START)
    assert isinstance(new_reply, WallReplyNew)
    assert (new_reply.object.id, new_reply.object.post_id, new_reply.object.text) == (comment, post, "hello, admin")
    assert new_reply.object.date == START + 1
    assert [u["type"] for u in fake_vk.longpoll.delivered()] == ["wall_post_new", "wall_reply_new"]  # each once


async def test_the_async_client_posts_and_hears_of_it(fake_vk: FakeVK, async_vk: AsyncVK) -> None:
    post = (await async_vk.wall.post(owner_id=-COMMUNITY, from_group=True, message="async news")).post_id
    wall = await async_vk.wall.get(owner_id=-COMMUNITY)
    assert [(p.id, p.text) for p in wall.items] == [(post, "async news")]
    assert queued(fake_vk) == ["wall_post_new"]
    update = await anext(aiter(BotLongPoll(async_vk, group_id=COMMUNITY, ts="1")))
    assert isinstance(update, WallPostNew) and update.object.id == post
    assert await async_vk.wall.delete(owner_id=-COMMUNITY, post_id=post) == 1
    assert (await async_vk.wall.get(owner_id=-COMMUNITY)).count == 0


def test_only_what_was_stored_is_told(fake_vk: FakeVK, vk: VK) -> None:
    with pytest.raises(ParamError):
        vk.wall.post(owner_id=-COMMUNITY, message="")
    with pytest.raises(WallAccessRepliesError):
        vk.wall.create_comment(owner_id=-COMMUNITY, post_id=1, message="no post yet")
    vk.wall.post(owner_id=-COMMUNITY, message="a post")
    assert queued(fake_vk) == ["wall_post_new"]


# Raw answers decode through apiforge.vk.decode_response.

STATEFUL_CALLS: list[tuple[str, dict[str, str]]] = [
    ("messages.getConversations", {}),
    ("messages.getConversations", {"extended": "1", "fields": "photo_50"}),
    ("messages.getConversationsById", {"peer_ids": "5,-1,2000000001"}),
    ("messages.getConversationsById", {"peer_ids": "5", "extended": "1"}),
    ("messages.markAsRead", {"peer_id": "5"}),
    ("wall.post", {"owner_id": "-1", "from_group": "1", "message": "raw"}),
    ("wall.get", {"owner_id": "-1"}),
    ("wall.get", {"owner_id": "-1", "extended": "1"}),
    ("wall.getById", {"posts": "-1_1"}),
    ("wall.getById", {"posts": "-1_1", "extended": "1"}),
    ("wall.createComment", {"owner_id": "-1", "post_id": "1", "message": "raw comment"}),
    ("wall.getComments", {"owner_id": "-1", "post_id": "1"}),
    ("wall.getComments", {"owner_id": "-1", "post_id": "1", "extended": "1"}),
    ("wall.edit", {"owner_id": "-1", "post_id": "1", "message": "raw, edited"}),
    ("wall.delete", {"owner_id": "-1", "post_id": "1"}),
]


def test_every_stateful_answer_decodes_through_decode_response(fake_vk: FakeVK) -> None:
    fake_vk.longpoll.message_from_user(5, "hi")
    fake_vk.store_message(peer_id=2_000_000_001, from_id=5, text="in a chat", out=False, random_id=0)
    with wire(fake_vk) as http:
        for wire_name, params in STATEFUL_CALLS:
            body = http.post(f"/method/{wire_name}", data={**params, "access_token": "t", "v": "5.199"}).json()
            assert "response" in body, (wire_name, body)
            variant = {"extended": True} if params.get("extended") == "1" else {}
            result = decode_response(wire_name, body, variant)
            declared = METHODS[wire_name].spec.result_type(variant)
            assert not decoding_problems(result, declared), (wire_name, decoding_problems(result, declared)[:3])


def test_wall_methods_check_the_token_kind(mode: str) -> None:
    with served(FakeVK(tokens=(), token_kinds={"g": "group"}), mode) as fake, wire(fake) as http:
        post = http.post("/method/wall.post", data={"message": "hi", "access_token": "g", "v": "5.199"}).json()
    assert post["error"]["error_code"] == 27 and fake.wall.posts == []
