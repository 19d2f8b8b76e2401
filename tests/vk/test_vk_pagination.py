"""`iter_*` of VK: offset/count methods (wall.get) and cursor methods (messages.getHistoryAttachments), sync
and async, through FakeVK over HTTP holding more items than one page."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from apiforge.testing.vk import FakeVK
from apiforge.vk import VK, AsyncVK

POSTS = 250
ATTACHED = 45


@pytest.fixture
def fake() -> Iterator[FakeVK]:
    with FakeVK() as fake:
        for number in range(POSTS):
            fake.wall.add_post(fake.me, f"post {number}")
        yield fake


def newest_first(fake: FakeVK) -> list[int]:
    return [post["id"] for post in reversed(fake.wall.posts) if post["owner_id"] == fake.me]


def sent(fake: FakeVK, method: str, *names: str) -> list[tuple[str | None, ...]]:
    return [tuple(call.params.get(name) for name in names) for call in fake.calls_to(method)]


@pytest.mark.parametrize("page_size", [100, 50, 7])
def test_offset_pages_every_item_once_in_order(fake: FakeVK, page_size: int) -> None:
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        posts = [post.id for post in vk.wall.iter_get(owner_id=fake.me, page_size=page_size)]
    assert posts == newest_first(fake) and len(set(posts)) == POSTS
    requests = math.ceil(POSTS / page_size)
    assert sent(fake, "wall.get", "offset", "count") == [(str(i * page_size), str(page_size)) for i in range(requests)]


def test_offset_default_page_is_the_methods_largest(fake: FakeVK) -> None:
    for number in range(450):
        fake.store_message(peer_id=5, from_id=5, text=f"m{number}", out=False, random_id=0)
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        texts = [m.text for m in vk.messages.iter_get_history(peer_id=5, rev=1)]
    assert texts == [f"m{number}" for number in range(450)]
    # messages.getHistory takes count up to 200 (its spec): three requests.
    assert sent(fake, "messages.getHistory", "offset", "count") == [("0", "200"), ("200", "200"), ("400", "200")]


def test_offset_without_a_largest_page_follows_the_servers_default(fake: FakeVK) -> None:
    # wall.get's spec gives count no maximum: no count is sent, and each answer's length moves the offset.
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        assert [post.id for post in vk.wall.iter_get(owner_id=fake.me)] == newest_first(fake)
    offsets = [offset for offset, count in sent(fake, "wall.get", "offset", "count") if count is None]
    assert offsets == [str(i * 20) for i in range(math.ceil(POSTS / 20))]  # FakeVK's default page: 20 posts


def test_offset_stops_on_an_empty_list_with_one_request() -> None:
    with FakeVK() as fake, VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        assert list(vk.wall.iter_get(owner_id=fake.me)) == []
        assert len(fake.calls_to("wall.get")) == 1


async def test_offset_async(fake: FakeVK) -> None:
    async with AsyncVK(token="t", base_url=fake.url, rate_limit=None) as vk:
        posts = [post.id async for post in vk.wall.iter_get(owner_id=fake.me, page_size=100)]
    assert posts == newest_first(fake)
    assert [offset for (offset,) in sent(fake, "wall.get", "offset")] == ["0", "100", "200"]


def with_photos(fake: FakeVK, vk: VK) -> list[int]:
    """ATTACHED messages to peer 5, each with one photo; their ids, newest first."""
    photo = vk.uploads.photo_for_messages(peer_id=5, file=b"\x89PNG")
    ids = [vk.messages.send(peer_id=5, attachment=photo.attachment) for _ in range(ATTACHED)]
    vk.messages.send(peer_id=5, message="no attachment")  # not an item
    return list(reversed(ids))


def test_cursor_pages_every_item_once_in_order(fake: FakeVK) -> None:
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        expected = with_photos(fake, vk)
        items = list(vk.messages.iter_get_history_attachments(peer_id=5, media_type="photo", page_size=20))
    assert [item.message_id for item in items] == expected
    assert all(item.attachment.photo is not None for item in items)
    # The first request has no cursor; each next one sends the `next_from` of the answer before.
    assert sent(fake, "messages.getHistoryAttachments", "start_from", "count") == [
        (None, "20"),
        ("20", "20"),
        ("40", "20"),
    ]


async def test_cursor_async(fake: FakeVK) -> None:
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        expected = with_photos(fake, vk)
    async with AsyncVK(token="t", base_url=fake.url, rate_limit=None) as avk:
        items = [i.message_id async for i in avk.messages.iter_get_history_attachments(peer_id=5, page_size=20)]
    assert items == expected
    assert len(fake.calls_to("messages.getHistoryAttachments")) == math.ceil(ATTACHED / 20)


def test_a_cursor_that_does_not_move_ends_the_walk(fake: FakeVK) -> None:
    # A server that keeps answering the same next_from would otherwise be asked for the same page forever.
    fake.methods["messages.getHistoryAttachments"] = lambda params: {
        "items": [
            {
                "message_id": 1,
                "cmid": 1,
                "date": 0,
                "from_id": 1,
                "attachment": {"type": "photo", "photo": {"id": 1, "owner_id": 1, "album_id": -3, "date": 0}},
            }
        ],
        "next_from": "same",
    }
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        assert len(list(vk.messages.iter_get_history_attachments(peer_id=5))) == 2
    assert sent(fake, "messages.getHistoryAttachments", "start_from") == [(None,), ("same",)]


def test_newsfeed_get_pages_by_its_next_from(fake: FakeVK) -> None:
    # The schema's newsfeed.get answer has no next_from; real answers do (samples newsfeed.get__1..3):
    # the overlay adds it, which gives newsfeed.get its iterator.
    posts = [{"type": "post", "source_id": -1, "date": n, "post_id": n} for n in range(25)]

    def feed(params: dict[str, str]) -> object:
        first, count = int(params.get("start_from") or 0), int(params["count"])
        answer: dict[str, object] = {"items": posts[first : first + count], "profiles": [], "groups": []}
        if first + count < len(posts):
            answer["next_from"] = str(first + count)
        return answer

    fake.methods["newsfeed.get"] = feed
    with VK(token="t", base_url=fake.url, rate_limit=None) as vk:
        dates = [item.date for item in vk.newsfeed.iter_get(page_size=10)]  # type: ignore[union-attr]
    assert dates == list(range(25))
    assert sent(fake, "newsfeed.get", "start_from", "count") == [(None, "10"), ("10", "10"), ("20", "10")]
