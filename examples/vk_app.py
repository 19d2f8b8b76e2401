"""A community digest over the VK API: what apiforge.vk code looks like, typed end to end.

    APIFORGE_VK_TOKEN=... python examples/vk_app.py apiclub   # api.vk.com, a user token
    apiforge fake vk --port 8080 &                            # or offline, against the fake:
    python examples/vk_app.py apiclub --base-url http://127.0.0.1:8080 --token t

    from apiforge.testing import FakeVK                # offline, as tests/vk/test_vk_example_app.py does
    with FakeVK(tokens={"t"}) as fake:
        report = main(fake.url, token="t")

The blocking part reads a community (its page, wall, comments, likes, topics, members) and the
account around the token; the async part gathers the user's own feeds concurrently; then the
digest goes out as a message. Every result is an attrs model (or a list of them) that mypy
--strict checks field by field: optional fields are `X | None`, and the code says what it does
when one is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass, field

from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import VKAPIError
from apiforge.vk.models import GroupsGroupFull, UsersUserFull, WallWallpostFull


@dataclass
class Community:
    """What the blocking part learns about one community."""

    id: int
    name: str
    members: int = 0
    posts: list[str] = field(default_factory=list[str])
    comments_on_top_post: int = 0
    likes_on_top_post: int = 0
    topics: int = 0
    albums: int = 0


@dataclass
class Report:
    """Everything the app gathered, and the message it sent."""

    me: str
    community: Community
    friends_online: int
    feed_items: int
    stories: int
    unread_conversations: int
    server_time: int
    countries: int
    sent_message_id: int
    methods_used: set[str] = field(default_factory=set[str])


def full_name(user: UsersUserFull) -> str:
    """`First Last`, or `id<N>` for a profile without names."""
    names = [n for n in (user.first_name, user.last_name) if n]
    return " ".join(names) if names else f"id{user.id}"


def post_line(post: WallWallpostFull) -> str:
    """One line per post: its id and the start of its text."""
    text = (post.text or "").replace("\n", " ")
    return f"#{post.id}: {text[:60]}"


# The blocking part.


def read_community(vk: VK, screen_name: str, used: set[str]) -> Community:
    """Resolve a community by its short name and read its page, wall and discussions."""
    resolved = vk.utils.resolve_screen_name(screen_name=screen_name)
    used.add("utils.resolveScreenName")
    page = vk.groups.get_by_id(group_ids=[screen_name], fields=["members_count"])
    used.add("groups.getById")
    groups: list[GroupsGroupFull] = page.groups or []
    if not groups:
        raise LookupError(f"no community {screen_name!r}")
    group = groups[0]
    community = Community(id=group.id or resolved.object_id or 0, name=group.name or screen_name)
    community.members = vk.groups.get_members(group_id=community.id, count=1).count
    used.add("groups.getMembers")

    wall = vk.wall.get(owner_id=-community.id, count=5)
    used.add("wall.get")
    community.posts = [post_line(post) for post in wall.items]
    if wall.items and wall.items[0].id is not None:
        top = wall.items[0].id
        comments = vk.wall.get_comments(owner_id=-community.id, post_id=top, extended=True, count=10)
        used.add("wall.getComments")
        community.comments_on_top_post = comments.count
        likes = vk.likes.get_list(type="post", owner_id=-community.id, item_id=top)
        used.add("likes.getList")
        community.likes_on_top_post = likes.count

    community.topics = vk.board.get_topics(group_id=community.id, count=3).count
    used.add("board.getTopics")
    community.albums = vk.photos.get_albums(owner_id=-community.id).count
    used.add("photos.getAlbums")
    return community


def read_account(vk: VK, used: set[str]) -> tuple[str, int, int]:
    """Who the token belongs to, the server's clock, and how many countries VK knows."""
    me = vk.users.get(fields=["screen_name", "photo_100"])
    used.add("users.get")
    profile = vk.account.get_profile_info()
    used.add("account.getProfileInfo")
    status = vk.status.get()
    used.add("status.get")
    name = full_name(me[0]) if me else (profile.first_name or "me")
    if status.text:
        name += f" ({status.text})"
    server_time = vk.utils.get_server_time()
    used.add("utils.getServerTime")
    countries = vk.database.get_countries(need_all=True, count=1000).count
    used.add("database.getCountries")
    counters = vk.account.get_counters()
    used.add("account.getCounters")
    if counters.messages:
        name += f", {counters.messages} unread"
    # `fields` selects the result variant: a list of user objects instead of ids (see the overloads).
    friends = vk.friends.get(fields=["first_name", "last_name"], count=3)
    used.add("friends.get")
    if friends.items:
        name += f", friends with {', '.join(full_name(f) for f in friends.items)}"
    return name, server_time, countries


# The async part: independent reads, awaited together.


@dataclass
class Feeds:
    friends_online: int
    feed_items: int
    stories: int
    unread_conversations: int
    videos: int
    docs: int
    hints: int
    notifications: int


async def read_feeds(vk: AsyncVK, used: set[str]) -> Feeds:
    """The user's own feeds, fetched concurrently (each call still respects the rate limit)."""
    # asyncio.gather keeps each result's type for up to six awaitables: two rounds here.
    online, feed, stories, conversations = await asyncio.gather(
        vk.friends.get_online(online_mobile=True),
        vk.newsfeed.get(filters=["post", "photo"], count=20),
        vk.stories.get(),
        vk.messages.get_conversations(filter="unread", count=20),
    )
    videos, docs, hints, notifications = await asyncio.gather(
        vk.video.get(count=5),
        vk.docs.get(count=5),
        vk.search.get_hints(q="vk", limit=5),
        vk.notifications.get(count=10),
    )
    used.update(
        {
            "friends.getOnline",
            "newsfeed.get",
            "stories.get",
            "messages.getConversations",
            "video.get",
            "docs.get",
            "search.getHints",
            "notifications.get",
        }
    )
    return Feeds(
        friends_online=len(online.online) + len(online.online_mobile or []),
        feed_items=len(feed.items),
        stories=stories.count,
        unread_conversations=conversations.unread_count or 0,
        videos=videos.count,
        docs=docs.count,
        hints=hints.count,
        notifications=notifications.count,
    )


def digest_text(report: Report) -> str:
    c = report.community
    lines = [
        f"Digest for {report.me}",
        f"{c.name}: {c.members} members, {c.topics} topics, {c.albums} albums",
        *c.posts,
        f"top post: {c.comments_on_top_post} comments, {c.likes_on_top_post} likes",
        f"{report.friends_online} friends online, {report.feed_items} news, {report.stories} stories",
        f"{report.unread_conversations} unread conversations",
    ]
    return "\n".join(lines)


def main(base_url: str = "https://api.vk.com", token: str | None = None, screen_name: str = "apiclub") -> Report:
    """Run the app against `base_url` (the real API, or a FakeVK's url) and return what it did."""
    # The `apiforge` command's variable, or the shorter one.
    token = token or os.environ.get("APIFORGE_VK_TOKEN") or os.environ.get("VK_TOKEN")
    if not token:
        raise SystemExit("set APIFORGE_VK_TOKEN (or VK_TOKEN) to a user access token")
    used: set[str] = set()
    with VK(token, base_url=base_url) as vk:
        community = read_community(vk, screen_name, used)
        me, server_time, countries = read_account(vk, used)

    async def feeds() -> Feeds:
        async with AsyncVK(token, base_url=base_url) as avk:
            return await read_feeds(avk, used)

    gathered = asyncio.run(feeds())
    report = Report(
        me=me,
        community=community,
        friends_online=gathered.friends_online,
        feed_items=gathered.feed_items,
        stories=gathered.stories,
        unread_conversations=gathered.unread_conversations,
        server_time=server_time,
        countries=countries,
        sent_message_id=0,
        methods_used=used,
    )
    with VK(token, base_url=base_url) as vk:
        me_user = vk.users.get()[0]
        try:
            report.sent_message_id = vk.messages.send(peer_id=me_user.id, message=digest_text(report))
        except VKAPIError as error:  # e.g. 902: the user does not accept messages
            print(f"not sent: {error}", file=sys.stderr)
        used.add("messages.send")
        history = vk.messages.get_history(peer_id=me_user.id, count=1)
        used.add("messages.getHistory")
        if history.items and history.items[0].text != digest_text(report):
            print("the last message is not the digest", file=sys.stderr)
    return report


def cli(argv: list[str] | None = None) -> Report:
    """The command line: `vk_app.py [screen_name] [--base-url URL] [--token TOKEN]`."""
    parser = argparse.ArgumentParser(description="A community digest over the VK API.")
    parser.add_argument("screen_name", nargs="?", default="apiclub", help="the community (default: apiclub)")
    parser.add_argument(
        "--base-url", default="https://api.vk.com", help="the API: the real one, or `apiforge fake vk`'s url"
    )
    parser.add_argument("--token", help="an access token (default: $APIFORGE_VK_TOKEN or $VK_TOKEN)")
    args = parser.parse_args(argv)
    return main(args.base_url, token=args.token, screen_name=args.screen_name)


if __name__ == "__main__":
    result = cli()
    print(digest_text(result))
    print(f"{len(result.methods_used)} methods used", file=sys.stderr)
