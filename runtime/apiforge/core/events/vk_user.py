"""VK User Long Poll: a user's (or community's) message events, as small typed classes.

    with VK(token=user_token) as vk:
        for event in UserLongPoll(vk):
            if isinstance(event, MessageAdded) and not event.flags & MessageFlag.OUTBOX:
                print(event.peer_id, event.text)

The server sends each event as an array `[code, ...]` (protocol version 3); each documented
code has a class whose fields follow the array positions. An unknown code, or an array that
does not fit its class, arrives as `UnknownUserEvent` with the raw array.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

import attrs

from apiforge.core.call import Call
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.converter import structure
from apiforge.core.errors import DecodeError
from apiforge.core.events.longpoll import LongPoll, LongPollError, Server
from apiforge.core.events.vk_bots import LongPollStream, vk_method
from apiforge.core.retry import RetryPolicy
from apiforge.core.types import JSON

logger = logging.getLogger("apiforge.events")

VERSION = 3
"""The protocol version these classes read."""


class Mode(enum.IntFlag):
    """What the server adds to events (`mode`): bits documented by VK."""

    ATTACHMENTS = 2
    EXTENDED = 8
    PTS = 32
    ONLINE_EXTRA = 64
    RANDOM_ID = 128


DEFAULT_MODE = Mode.ATTACHMENTS | Mode.EXTENDED | Mode.PTS | Mode.ONLINE_EXTRA | Mode.RANDOM_ID


class MessageFlag(enum.IntFlag):
    """Flags of a message (events 1-5)."""

    UNREAD = 1
    OUTBOX = 2
    REPLIED = 4
    IMPORTANT = 8
    CHAT = 16
    FRIENDS = 32
    SPAM = 64
    DELETED = 128
    FIXED = 256
    MEDIA = 512
    HIDDEN = 65536
    DELETED_FOR_ALL = 131072
    NOT_DELIVERED = 262144


class PeerFlag(enum.IntFlag):
    """Flags of a conversation (events 10-12)."""

    IMPORTANT = 1
    UNANSWERED = 2


def _user_id(value: int) -> int:
    # Online/offline events carry the user id negated.
    return abs(value)


@attrs.frozen(kw_only=True)
class UserEvent:
    """One User Long Poll event. Subclasses declare their fields in the order of the array.

    Attributes:
        raw: the event as the server sent it, `[code, ...]`.
    """

    CODE: ClassVar[int] = 0
    """The event code of this class."""

    raw: list[JSON] = attrs.field(factory=list[JSON], eq=False, repr=False)

    @property
    def code(self) -> int:
        """The event code (`[code, ...]`)."""
        return self.CODE


@attrs.frozen(kw_only=True)
class _MessageFlagsChange(UserEvent):
    message_id: int
    flags: MessageFlag
    peer_id: int | None = None


@attrs.frozen(kw_only=True)
class MessageFlagsReplaced(_MessageFlagsChange):
    """1: a message's flags were replaced by `flags`."""

    CODE: ClassVar[int] = 1


@attrs.frozen(kw_only=True)
class MessageFlagsSet(_MessageFlagsChange):
    """2: `flags` were set on a message (e.g. DELETED, SPAM)."""

    CODE: ClassVar[int] = 2


@attrs.frozen(kw_only=True)
class MessageFlagsReset(_MessageFlagsChange):
    """3: `flags` were cleared on a message (e.g. UNREAD: the message was read)."""

    CODE: ClassVar[int] = 3


@attrs.frozen(kw_only=True)
class _MessageEvent(UserEvent):
    message_id: int
    flags: MessageFlag
    peer_id: int
    timestamp: int | None = None
    text: str | None = None
    extra: dict[str, JSON] | None = None
    attachments: dict[str, JSON] | None = None
    random_id: int | None = None
    conversation_message_id: int | None = None
    edit_time: int | None = None


@attrs.frozen(kw_only=True)
class MessageAdded(_MessageEvent):
    """4: a new message (incoming, or OUTBOX in `flags` for one this user sent).

    `extra` holds `title`, `from` (the sender in a chat), `emoji`...; `attachments` the
    attachment keys (with mode ATTACHMENTS).
    """

    CODE: ClassVar[int] = 4


@attrs.frozen(kw_only=True)
class MessageEdited(_MessageEvent):
    """5: a message was edited; `flags` is the mask of changed flags."""

    CODE: ClassVar[int] = 5


@attrs.frozen(kw_only=True)
class _ReadUpTo(UserEvent):
    peer_id: int
    local_id: int


@attrs.frozen(kw_only=True)
class InboxRead(_ReadUpTo):
    """6: incoming messages of `peer_id` up to `local_id` were read."""

    CODE: ClassVar[int] = 6


@attrs.frozen(kw_only=True)
class OutboxRead(_ReadUpTo):
    """7: outgoing messages to `peer_id` up to `local_id` were read by the other side."""

    CODE: ClassVar[int] = 7


@attrs.frozen(kw_only=True)
class FriendOnline(UserEvent):
    """8: a friend came online; `platform` is the device (with mode ONLINE_EXTRA)."""

    CODE: ClassVar[int] = 8

    user_id: int = attrs.field(converter=_user_id)
    platform: int | None = None
    timestamp: int | None = None


@attrs.frozen(kw_only=True)
class FriendOffline(UserEvent):
    """9: a friend went offline; `away` is 1 when by timeout, 0 when they logged out."""

    CODE: ClassVar[int] = 9

    user_id: int = attrs.field(converter=_user_id)
    away: int | None = None
    timestamp: int | None = None


@attrs.frozen(kw_only=True)
class _PeerFlagsChange(UserEvent):
    peer_id: int
    flags: PeerFlag


@attrs.frozen(kw_only=True)
class PeerFlagsReset(_PeerFlagsChange):
    """10: `flags` were cleared on a conversation."""

    CODE: ClassVar[int] = 10


@attrs.frozen(kw_only=True)
class PeerFlagsReplaced(_PeerFlagsChange):
    """11: a conversation's flags were replaced by `flags`."""

    CODE: ClassVar[int] = 11


@attrs.frozen(kw_only=True)
class PeerFlagsSet(_PeerFlagsChange):
    """12: `flags` were set on a conversation."""

    CODE: ClassVar[int] = 12


@attrs.frozen(kw_only=True)
class MessagesDeleted(_ReadUpTo):
    """13: every message of `peer_id` up to `local_id` was deleted."""

    CODE: ClassVar[int] = 13


@attrs.frozen(kw_only=True)
class MessagesRestored(_ReadUpTo):
    """14: messages of `peer_id` up to `local_id` were restored."""

    CODE: ClassVar[int] = 14


@attrs.frozen(kw_only=True)
class ChatParamsChanged(UserEvent):
    """51: a chat's settings changed (`self` is 1 when this user made the change)."""

    CODE: ClassVar[int] = 51

    chat_id: int
    self_: int | None = None


@attrs.frozen(kw_only=True)
class ChatInfoChanged(UserEvent):
    """52: a chat's info changed: `type_id` says what (title, photo, admins...), `info` the new value."""

    CODE: ClassVar[int] = 52

    type_id: int
    peer_id: int
    info: JSON = None


@attrs.frozen(kw_only=True)
class UserTyping(UserEvent):
    """61: a user is typing in a dialog with this user."""

    CODE: ClassVar[int] = 61

    user_id: int
    flags: int | None = None


@attrs.frozen(kw_only=True)
class UserTypingInChat(UserEvent):
    """62: a user is typing in chat `chat_id`."""

    CODE: ClassVar[int] = 62

    user_id: int
    chat_id: int


@attrs.frozen(kw_only=True)
class _PeerActivity(UserEvent):
    peer_id: int
    user_ids: list[int] = attrs.field(factory=list[int])
    total_count: int | None = None
    ts: int | None = None


@attrs.frozen(kw_only=True)
class UsersTyping(_PeerActivity):
    """63: users are typing in conversation `peer_id`."""

    CODE: ClassVar[int] = 63


@attrs.frozen(kw_only=True)
class UsersRecordingAudio(_PeerActivity):
    """64: users are recording a voice message in conversation `peer_id`."""

    CODE: ClassVar[int] = 64


@attrs.frozen(kw_only=True)
class CallStarted(UserEvent):
    """70: a call from `user_id`."""

    CODE: ClassVar[int] = 70

    user_id: int
    call_id: int | str | None = None


@attrs.frozen(kw_only=True)
class CounterChanged(UserEvent):
    """80: the unread counter is now `count`."""

    CODE: ClassVar[int] = 80

    count: int
    count_with_notifications: int | None = None


@attrs.frozen(kw_only=True)
class NotificationSettingsChanged(UserEvent):
    """114: notification settings of a conversation changed: `{peer_id, sound, disabled_until}`."""

    CODE: ClassVar[int] = 114

    settings: dict[str, JSON]


@attrs.frozen(kw_only=True)
class UnknownUserEvent(UserEvent):
    """An event this SDK cannot type: an unknown code, or an array that does not fit its class.

    Attributes:
        raw_code: the event code (0 when the event was not even an array starting with a code).
        error: why a known code's array could not be read (None when the code is unknown).
    """

    raw_code: int
    error: DecodeError | None = attrs.field(default=None, eq=False)

    @property
    def code(self) -> int:
        """The event code."""
        return self.raw_code


USER_EVENTS: Mapping[int, type[UserEvent]] = {
    cls.CODE: cls
    for cls in (
        MessageFlagsReplaced,
        MessageFlagsSet,
        MessageFlagsReset,
        MessageAdded,
        MessageEdited,
        InboxRead,
        OutboxRead,
        FriendOnline,
        FriendOffline,
        PeerFlagsReset,
        PeerFlagsReplaced,
        PeerFlagsSet,
        MessagesDeleted,
        MessagesRestored,
        ChatParamsChanged,
        ChatInfoChanged,
        UserTyping,
        UserTypingInChat,
        UsersTyping,
        UsersRecordingAudio,
        CallStarted,
        CounterChanged,
        NotificationSettingsChanged,
    )
}
"""Every typed event class by its code."""


def decode_user_event(raw: object) -> UserEvent:
    """The typed event of one `[code, ...]` array; UnknownUserEvent when it cannot be typed."""
    # `raw` is parsed JSON: an array is a list of JSON values.
    items: list[JSON] = list(cast("list[JSON]", raw)) if isinstance(raw, list) else [cast(JSON, raw)]
    code = items[0] if items else None
    if isinstance(code, bool) or not isinstance(code, int):
        error = DecodeError("VK user long poll", "$[0]", code, "expected an event code")
        return UnknownUserEvent(raw=items, raw_code=0, error=error)
    cls = USER_EVENTS.get(code)
    if cls is None:
        return UnknownUserEvent(raw=items, raw_code=code)
    names = [field.name for field in attrs.fields(cls) if field.name != "raw"]
    values = dict(zip(names, items[1:], strict=False))
    try:
        event: UserEvent = structure(values, cls, method=f"VK user long poll event {code}")
    except DecodeError as error:
        logger.warning("%s", error)
        return UnknownUserEvent(raw=items, raw_code=code, error=error)
    return attrs.evolve(event, raw=items)


class UserLongPollMachine(LongPoll[UserEvent]):
    """The User Long Poll session of a user or community token (pure: see `longpoll.LongPoll`)."""

    kind = "VK user long poll"

    def __init__(
        self,
        *,
        scheme: str = "https",
        mode: int = DEFAULT_MODE,
        group_id: int | None = None,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> None:
        if isinstance(mode, bool) or not isinstance(mode, int) or mode < 0:
            raise ValueError(f"{self.kind}: mode must be a sum of Mode bits, got {mode!r}")
        if group_id is not None and (isinstance(group_id, bool) or not isinstance(group_id, int) or group_id <= 0):
            raise ValueError(f"{self.kind}: group_id must be None or a positive community id, got {group_id!r}")
        super().__init__(wait=wait, retry=retry or RetryPolicy(), max_reconnects=max_reconnects, ts=ts)
        self.scheme = scheme
        self.mode = int(mode)
        self.group_id = group_id
        self.pts: int | None = None
        """The last `pts` the server sent (with mode PTS): for messages.getLongPollHistory."""

    def server_call(self) -> Call[Any]:
        need_pts = True if self.mode & Mode.PTS else None
        return vk_method("messages.getLongPollServer").call(
            {"lp_version": VERSION, "need_pts": need_pts, "group_id": self.group_id}
        )

    def read_server(self, result: object) -> Server:
        server = getattr(result, "server", None)
        key = getattr(result, "key", None)
        ts = getattr(result, "ts", None)
        if not isinstance(server, str) or not isinstance(key, str) or not isinstance(ts, str | int):
            raise DecodeError("messages.getLongPollServer", "$", result, "expected server, key and ts")
        pts = getattr(result, "pts", None)
        if isinstance(pts, int) and self.pts is None:
            self.pts = pts
        # The server comes without a scheme ("im.vk.com/nim123"): it is the API's own.
        url = server if "://" in server else f"{self.scheme}://{server}"
        return Server(url=url, key=key, ts=str(ts))

    def poll_params(self) -> dict[str, str]:
        return {"mode": str(self.mode), "version": str(VERSION)}

    def decode(self, updates: list[object]) -> Iterable[UserEvent]:
        return [decode_user_event(raw) for raw in updates]

    def on_updates(self, reply: Mapping[str, Any]) -> None:
        pts = reply.get("pts")
        if isinstance(pts, int) and not isinstance(pts, bool):
            self.pts = pts

    def on_failed(self, code: object, reply: Mapping[str, Any]) -> None:
        if code == 4:
            raise LongPollError(f"{self.kind}: the server does not accept version={VERSION} (failed=4)")
        super().on_failed(code, reply)


class UserLongPoll(LongPollStream[UserEvent]):
    """A user's (or, with `group_id`, a community's) message events from VK User Long Poll.

    Args:
        client: a `VK` (iterate with `for`) or `AsyncVK` (`async for`).
        mode: what the server adds to events (`Mode` bits; default: everything the classes read).
        group_id: poll a community's messages with a community token.
        wait: seconds the server may hold a poll open (up to 90; VK recommends 25).
        retry: backoff between reconnects after network errors (default: the client's retry policy).
        max_reconnects: failures in a row before the error is raised (None: never give up).
        ts: resume from a saved `ts` (None: start with the events from now on).
    """

    def __init__(
        self,
        client: SyncClient | AsyncClient,
        *,
        mode: int = DEFAULT_MODE,
        group_id: int | None = None,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> None:
        if not isinstance(client, SyncClient | AsyncClient):
            raise TypeError(f"expected a VK or AsyncVK client, got {type(client).__name__}")
        scheme = client._protocol.base_url.split("://", 1)[0] if "://" in client._protocol.base_url else "https"
        machine = UserLongPollMachine(
            scheme=scheme,
            mode=mode,
            group_id=group_id,
            wait=wait,
            retry=retry or client._policy.retry,
            max_reconnects=max_reconnects,
            ts=ts,
        )
        super().__init__(client, machine)

    @property
    def pts(self) -> int | None:
        """The last `pts` the server sent (with mode PTS): for messages.getLongPollHistory."""
        machine = self.machine
        return machine.pts if isinstance(machine, UserLongPollMachine) else None


__all__ = [
    "DEFAULT_MODE",
    "USER_EVENTS",
    "VERSION",
    "CallStarted",
    "ChatInfoChanged",
    "ChatParamsChanged",
    "CounterChanged",
    "FriendOffline",
    "FriendOnline",
    "InboxRead",
    "MessageAdded",
    "MessageEdited",
    "MessageFlag",
    "MessageFlagsReplaced",
    "MessageFlagsReset",
    "MessageFlagsSet",
    "MessagesDeleted",
    "MessagesRestored",
    "Mode",
    "NotificationSettingsChanged",
    "OutboxRead",
    "PeerFlag",
    "PeerFlagsReplaced",
    "PeerFlagsReset",
    "PeerFlagsSet",
    "UnknownUserEvent",
    "UserEvent",
    "UserLongPoll",
    "UserLongPollMachine",
    "UserTyping",
    "UserTypingInChat",
    "UsersRecordingAudio",
    "UsersTyping",
    "decode_user_event",
]
