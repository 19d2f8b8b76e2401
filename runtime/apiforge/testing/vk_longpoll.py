"""The long-poll servers of `FakeVK`: Bots Long Poll and User Long Poll, with their failures.

    with FakeVK() as fake:
        fake.longpoll.message_from_user(5, "hi")            # a user writes to the community: message_new
        fake.longpoll.push("group_join", {"user_id": 5, "join_type": "join"})
        fake.longpoll.fail_next("expire_key", "history")     # the next polls: failed=2, then failed=1
        with VK(token="t", token_kind="group", base_url=fake.url) as vk:
            for update in BotLongPoll(vk, group_id=1): ...

`groups.getLongPollServer` and `messages.getLongPollServer` point at this server (same host as
the fake, paths `/longpoll/bots/<group_id>` and `/longpoll/user`; like VK, the user server has
no scheme). Events come from what happens — a message written to the community is
`message_new` (and event 4 of the user stream), a message the community sends is
`message_reply`, a post on a community's wall `wall_post_new`, a comment there `wall_reply_new`,
a user reading what the community sent (`fake.conversations.read_by_peer`) `message_read` — or
from `push`. Polls answer like VK: `{"ts", "updates"}`, or `failed`:

- 2 when the key expired (`expire_key()`, or the scripted fault "expire_key");
- 3 when the server lost its history (`reset_ts()` / "reset_ts"): events not yet delivered are
  lost (kept in `lost`), numbering restarts, and only a new key and ts go on;
- 1 with an earlier ts (`"history"`): the server sends again the last `rewind` events it sent.

Dropped connections mid-poll come from the fake's generic faults:
`fake.faults.fail_next(1, kind="reset_before")`. Every update sent in a reply is recorded in
`delivered(...)` (a resent one twice), so a test can check the client got each exactly once.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from apiforge.testing._server import RecordedCall, Response, json_response, mask_fields
from apiforge.testing._vk_base import param_error

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK

LONGPOLL_PATH = "/longpoll/"
"""Requests under this path go to the long-poll servers."""
USER_STREAM = "user"
Fault = Literal["ok", "expire_key", "reset_ts", "history"]
FAULTS: tuple[Fault, ...] = ("ok", "expire_key", "reset_ts", "history")
Step = Fault | Callable[["FakeLongPoll"], object]
"""What `fail_next` scripts for one poll: a fault, or a function run as the poll arrives (e.g. to push events)."""
# How far numbering jumps when a server "restarts" (failed=3): old ts values are meaningless after it.
RESTART_GAP = 1000


@attrs.define
class Stream:
    """One event stream: a community's bots stream or the user stream.

    Events are numbered from `first`; a poll with ts N gets the events numbered N and above.
    """

    name: str
    key: str
    first: int = 1
    next_number: int = 1
    events: list[tuple[int, Any]] = attrs.field(factory=list[tuple[int, Any]])
    position: int = 1
    """The ts the client was last told to poll with."""
    delivered: list[Any] = attrs.field(factory=list[Any])
    lost: list[Any] = attrs.field(factory=list[Any])
    retired: dict[str, int] = attrs.field(factory=dict[str, int])
    """Old keys and the `failed` code a poll with them gets (2: expired, 3: history lost)."""
    faults: deque[Step] = attrs.field(factory=deque[Step])

    def append(self, payload: Any) -> None:
        self.events.append((self.next_number, payload))
        self.next_number += 1

    def since(self, ts: int, limit: int) -> list[tuple[int, Any]]:
        return [(number, payload) for number, payload in self.events if number >= ts][:limit]


class FakeLongPoll:
    """The long-poll servers of a FakeVK (its `longpoll` attribute); see the module docs.

    Attributes:
        group_id: the community whose stream `message_from_user` and sent messages feed.
        batch: the most updates one reply carries.
        hold: over real HTTP, the most seconds a poll with nothing to send waits for an event
            (a push wakes it up); in-process a poll always answers at once, as waiting would
            block the caller's thread or event loop.
        rewind: how many already-sent events a "history" fault sends again.
    """

    def __init__(self, fake: FakeVK, *, group_id: int | None = None) -> None:
        self.fake = fake
        self.group_id = group_id if group_id is not None else next(iter(fake.groups), 1)
        self.batch = 100
        self.hold = 1.0
        self.rewind = 1
        self.version = "5.199"
        self.polled = threading.Event()
        """Set when the first poll arrives: a client holds its server, key and ts (push after it)."""
        self._keys = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._streams: dict[str, Stream] = {}
        # The fake's own lock: handlers run under it, and a waiting poll releases it.
        self._changed = threading.Condition(fake._lock)
        fake.methods.update(
            {
                "groups.getLongPollServer": self._groups_get_long_poll_server,
                "messages.getLongPollServer": self._messages_get_long_poll_server,
            }
        )
        # Events from what the fake's methods do: each handler is wrapped to tell of what it stored.
        self._tell_after("messages.send", lambda: fake.messages, self._tell_sent)
        self._tell_after("wall.post", lambda: fake.wall.posts, self._tell_posted)
        self._tell_after("wall.createComment", lambda: fake.wall.comments, self._tell_commented)

    # What tests use.

    def push(self, type: str, object: Any, *, group_id: int | None = None) -> dict[str, Any]:
        """Add a community event; returns the update as the poll will send it."""
        group = self.group_id if group_id is None else group_id
        update = {
            "group_id": group,
            "type": type,
            "event_id": f"{next(self._event_ids):040x}",
            "v": self.version,
            "object": object,
        }
        with self._changed:
            self.stream(f"bots:{group}").append(update)
            self._changed.notify_all()
        return update

    def push_user(self, event: list[Any]) -> list[Any]:
        """Add a User Long Poll event (an array `[code, ...]`)."""
        with self._changed:
            self.stream(USER_STREAM).append(list(event))
            self._changed.notify_all()
        return event

    def message_from_user(self, user_id: int, text: str, *, group_id: int | None = None) -> dict[str, Any]:
        """A user writes to the community: the message is stored and `message_new` (and event 4) sent."""
        with self._changed:
            message = self.fake.store_message(peer_id=user_id, from_id=user_id, text=text, out=False, random_id=0)
            self.push("message_new", {"message": message, "client_info": _CLIENT_INFO}, group_id=group_id)
            self.push_user(_user_message_event(message, outbox=False))
        return message

    def fail_next(self, *faults: Step, stream: str | None = None) -> None:
        """Script the next polls of a stream (default: the community's), one step per poll that reaches the server.

        A step is a fault ("ok" for none), or a function called with this object as the poll
        arrives, before it is answered (to push events at that very moment).
        """
        for fault in faults:
            if not callable(fault) and fault not in FAULTS:
                raise ValueError(f"longpoll.fail_next: unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        with self._changed:
            self.stream(stream or f"bots:{self.group_id}").faults.extend(faults)

    def expire_key(self, stream: str | None = None) -> None:
        """The stream's key expires now: a poll with it gets failed=2."""
        with self._changed:
            self._expire(self.stream(stream or f"bots:{self.group_id}"))

    def reset_ts(self, stream: str | None = None) -> None:
        """The server loses its history now: failed=3; events not yet delivered are lost."""
        with self._changed:
            self._reset(self.stream(stream or f"bots:{self.group_id}"))

    def delivered(self, stream: str | None = None) -> list[Any]:
        """Every update sent in a reply, in order (an update sent again appears again)."""
        with self._changed:
            return list(self.stream(stream or f"bots:{self.group_id}").delivered)

    def lost(self, stream: str | None = None) -> list[Any]:
        """Updates lost when the history was reset before they were delivered."""
        with self._changed:
            return list(self.stream(stream or f"bots:{self.group_id}").lost)

    def stream(self, name: str) -> Stream:
        """A stream by name (`bots:<group_id>` or `user`), created on first use."""
        with self._changed:
            found = self._streams.get(name)
            if found is None:
                found = self._streams[name] = Stream(name=name, key=self._new_key())
            return found

    # The servers.

    def handle(self, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]) -> Response:
        """Answer one poll (`GET <server>?act=a_check&key=...&ts=...&wait=...`)."""
        name = _stream_name(path[len(LONGPOLL_PATH) :])
        self.fake.record(
            RecordedCall(
                method=f"longpoll.{name.split(':')[0]}",
                params={},
                headers=dict(headers),
                query=mask_fields(query, frozenset({"key"})),
                http_method=method,
                path=path,
            )
        )
        if not name or query.get("act") != "a_check":
            return 404, {"Content-Type": "text/plain"}, b"not found"
        self.polled.set()
        with self._changed:
            stream = self.stream(name)
            step: Step = stream.faults.popleft() if stream.faults else "ok"
            fault: Fault = "ok" if callable(step) else step
            if callable(step):
                step(self)
            elif fault == "expire_key":
                self._expire(stream)
            elif fault == "reset_ts":
                self._reset(stream)
            key = query.get("key", "")
            if key != stream.key:
                return json_response({"failed": stream.retired.get(key, 2)})
            if name == USER_STREAM and query.get("version", "0") not in _USER_VERSIONS:
                return json_response({"failed": 4, "min_version": 0, "max_version": 19})
            ts = _int(query.get("ts"))
            if ts is None or ts > stream.next_number or ts < stream.first:
                return json_response({"failed": 1, "ts": self._ts(stream, stream.position)})
            if fault == "history":
                rewind = 0 if name == USER_STREAM else self.rewind
                back = max(stream.first, ts - rewind)
                stream.position = back
                return json_response({"failed": 1, "ts": self._ts(stream, back)})
            found = stream.since(ts, self.batch)
            if not found and self.hold > 0 and self._serving():
                self._changed.wait_for(lambda: bool(stream.since(ts, 1)), timeout=self._hold(query))
                found = stream.since(ts, self.batch)
            after = found[-1][0] + 1 if found else ts
            stream.position = after
            updates = [payload for _, payload in found]
            stream.delivered.extend(updates)
            reply: dict[str, Any] = {"ts": self._ts(stream, after), "updates": updates}
            if name == USER_STREAM and _int(query.get("mode")) is not None and int(query["mode"]) & 32:
                reply["pts"] = after
            return json_response(reply)

    def _groups_get_long_poll_server(self, params: dict[str, str]) -> object:
        group = _int(params.get("group_id"))
        if group is None or group not in self.fake.groups:
            raise param_error("group_id is invalid")
        stream = self.stream(f"bots:{group}")
        return {"key": stream.key, "server": f"{self._base()}/longpoll/bots/{group}", "ts": str(stream.next_number)}

    def _messages_get_long_poll_server(self, params: dict[str, str]) -> object:
        stream = self.stream(USER_STREAM)
        host = self._base().split("://", 1)[-1]
        answer: dict[str, Any] = {"key": stream.key, "server": f"{host}/longpoll/user", "ts": stream.next_number}
        if params.get("need_pts") in ("1", "true"):
            answer["pts"] = stream.next_number
        return answer

    def _tell_after(
        self, method: str, stored: Callable[[], Sequence[dict[str, Any]]], tell: Callable[[dict[str, Any]], None]
    ) -> None:
        """Wrap the handler of `method`: after it runs, `tell` of each item it appended to `stored()`.

        Reading what was stored (not the parameters) means a call that failed, or a repeated
        `random_id` that stored nothing, tells of nothing.
        """
        handler = self.fake.methods.get(method)
        if handler is None:
            return

        def handle_and_tell(params: dict[str, str]) -> object:
            before = len(stored())
            result = handler(params)
            for item in list(stored()[before:]):
                tell(item)
            return result

        self.fake.methods[method] = handle_and_tell

    def _tell_sent(self, message: dict[str, Any]) -> None:
        """A message the account sent: `message_reply`, and event 4 with OUTBOX."""
        self.push("message_reply", dict(message))
        self.push_user(_user_message_event(message, outbox=True))

    def _tell_posted(self, post: dict[str, Any]) -> None:
        """A post on a community's wall: `wall_post_new` in that community's stream (a user's wall has none)."""
        community = -int(post["owner_id"])
        if community in self.fake.groups:
            self.push("wall_post_new", dict(post), group_id=community)

    def _tell_commented(self, comment: dict[str, Any]) -> None:
        """A comment on a community's post: `wall_reply_new`, which also names the post's owner."""
        community = -int(comment["owner_id"])
        if community in self.fake.groups:
            self.push("wall_reply_new", {**comment, "post_owner_id": comment["owner_id"]}, group_id=community)

    # Helpers.

    def _expire(self, stream: Stream) -> None:
        stream.retired[stream.key] = 2
        stream.key = self._new_key()

    def _reset(self, stream: Stream) -> None:
        stream.lost.extend(payload for number, payload in stream.events if number >= stream.position)
        stream.retired[stream.key] = 3
        stream.key = self._new_key()
        stream.first = stream.next_number = stream.position = stream.next_number + RESTART_GAP
        stream.events.clear()

    def _new_key(self) -> str:
        return f"fake-lp-key-{next(self._keys)}"

    def _base(self) -> str:
        return self.fake.url if self._serving() else "http://longpoll.fake-vk.invalid"  # in-process: any host will do

    def _serving(self) -> bool:
        return self.fake._server is not None

    def _ts(self, stream: Stream, value: int) -> str | int:
        return value if stream.name == USER_STREAM else str(value)

    def _hold(self, query: Mapping[str, str]) -> float:
        wait = _int(query.get("wait"))
        return min(self.hold, float(wait)) if wait is not None else self.hold


_USER_VERSIONS = frozenset(str(v) for v in range(20))
_CLIENT_INFO = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}


def _user_message_event(message: Mapping[str, Any], *, outbox: bool) -> list[Any]:
    flags = 2 if outbox else 1  # OUTBOX, or UNREAD for an incoming one
    return [
        4,
        message["id"],
        flags,
        message["peer_id"],
        message["date"],
        message["text"],
        {"title": " ... "},
        {},
        message["random_id"],
        message["conversation_message_id"],
        0,
    ]


def _stream_name(rest: str) -> str:
    parts = rest.strip("/").split("/")
    if parts == [USER_STREAM]:
        return USER_STREAM
    if len(parts) == 2 and parts[0] == "bots" and parts[1].isdigit():
        return f"bots:{parts[1]}"
    return ""


def _int(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


__all__ = ["FAULTS", "LONGPOLL_PATH", "USER_STREAM", "FakeLongPoll", "Fault", "Step", "Stream"]
