"""The conversations of `FakeVK`: one per peer the account has messages with, read from `fake.messages`.

    with FakeVK() as fake:
        fake.longpoll.message_from_user(5, "hi")          # an incoming message: unread
        vk.messages.send(peer_id=7, message="hello")       # an outgoing one: a conversation with 7
        vk.messages.get_conversations()                   # 7 first (newest last message), then 5
        vk.messages.mark_as_read(peer_id=5)               # in_read moves up: 5 is read
        fake.conversations.read_by_peer(7)                # 7 reads what it was sent: out_read moves

Conversations are not stored: each answer is computed from the messages, so they can never
disagree with `messages.getHistory`. What is stored is who read what: `in_read` (the last incoming
message the account has read, per peer) and `out_read` (the last outgoing message the peer has
read). `unread_count` counts incoming messages above `in_read`; like VK, it is left out when 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from apiforge.testing._vk_base import csv, flag, is_int, param_error, whole

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK

CHAT_PEER_BASE = 2_000_000_000
"""Chat peer ids are this plus the chat's local id (VK's convention)."""
FILTERS = frozenset({"all", "unread", "unanswered", "important", "archive", "sorted_chats"})
DEFAULT_COUNT = 20
MAX_COUNT = 200


class FakeConversations:
    """`messages.getConversations`, `getConversationsById` and `markAsRead` of a FakeVK (its `conversations`)."""

    def __init__(self, fake: FakeVK) -> None:
        self.fake = fake
        self.in_read: dict[int, int] = {}
        """Peer id -> id of the last incoming message the account has read (0: none)."""
        self.out_read: dict[int, int] = {}
        """Peer id -> id of the last outgoing message the peer has read (0: none)."""
        fake.methods.update(
            {
                "messages.getConversations": self._get_conversations,
                "messages.getConversationsById": self._get_conversations_by_id,
                "messages.markAsRead": self._mark_as_read,
            }
        )

    # What tests use.

    def peers(self) -> list[int]:
        """The peers the account has messages with, the newest last message first."""
        last: dict[int, int] = {}
        for message in self.fake.messages:
            last[message["peer_id"]] = message["id"]
        return sorted(last, key=lambda peer: last[peer], reverse=True)

    def conversation(self, peer_id: int) -> dict[str, Any]:
        """The conversation object of one peer, as VK answers it (zeros when there are no messages yet)."""
        history = self._history(peer_id)
        in_read = self.in_read.get(peer_id, 0)
        last = history[-1] if history else None
        answer: dict[str, Any] = {
            "peer": peer(peer_id),
            "last_message_id": last["id"] if last else 0,
            "in_read": in_read,
            "out_read": self.out_read.get(peer_id, 0),
            "is_marked_unread": False,
            "important": False,
            "unanswered": bool(last and not last["out"]),
            "can_write": {"allowed": True},
        }
        if last is not None:
            answer["last_conversation_message_id"] = last["conversation_message_id"]
            answer["sort_id"] = {"major_id": 0, "minor_id": last["id"]}
        unread = sum(1 for m in history if not m["out"] and m["id"] > in_read)
        if unread:
            answer["unread_count"] = unread  # VK leaves it out of read conversations
        return answer

    def read_by_peer(self, peer_id: int) -> None:
        """The peer reads every message the account sent them: `out_read` moves up, `message_read` is sent."""
        with self.fake.lock:
            sent = [m for m in self._history(peer_id) if m["out"]]
            if not sent or self.out_read.get(peer_id, 0) >= sent[-1]["id"]:
                return
            self.out_read[peer_id] = sent[-1]["id"]
            read = {
                "from_id": peer_id,
                "peer_id": peer_id,
                "read_message_id": sent[-1]["id"],
                "conversation_message_id": sent[-1]["conversation_message_id"],
            }
            self.fake.longpoll.push("message_read", read)

    # The methods.

    def _get_conversations(self, params: dict[str, str]) -> object:
        kind = params.get("filter") or "all"
        if kind not in FILTERS:
            raise param_error(f"filter should be one of {', '.join(sorted(FILTERS))}")
        offset = whole(params, "offset", 0)
        count = whole(params, "count", DEFAULT_COUNT, most=MAX_COUNT)
        every = [(self.conversation(p), self._history(p)[-1]) for p in self.peers()]
        chosen = [(c, last) for c, last in every if _selected(kind, c)]
        page = chosen[offset : offset + count]
        answer: dict[str, Any] = {
            "count": len(chosen),
            "items": [{"conversation": c, "last_message": dict(last)} for c, last in page],
        }
        unread = sum(1 for c, _ in every if c.get("unread_count"))
        if unread:
            answer["unread_count"] = unread
        if flag(params, "extended"):
            seen = [c["peer"]["id"] for c, _ in page] + [last["from_id"] for _, last in page]
            answer.update(self.fake.profiles_and_groups(seen, csv(params.get("fields"))))
        return answer

    def _get_conversations_by_id(self, params: dict[str, str]) -> object:
        refs = csv(params.get("peer_ids"))
        if not refs or not all(is_int(ref) for ref in refs):
            raise param_error("peer_ids is undefined")
        ids = [int(ref) for ref in refs]
        answer: dict[str, Any] = {"count": len(ids), "items": [self.conversation(i) for i in ids]}
        if flag(params, "extended"):
            answer.update(self.fake.profiles_and_groups(ids, csv(params.get("fields"))))
        return answer

    def _mark_as_read(self, params: dict[str, str]) -> object:
        marks = self._read_marks(params)
        for peer_id, up_to in marks.items():
            self.in_read[peer_id] = max(self.in_read.get(peer_id, 0), up_to)
        return 1

    # Helpers.

    def _read_marks(self, params: Mapping[str, str]) -> dict[int, int]:
        """Peer -> the message id up to which markAsRead marks it read (by peer_id, or by message_ids)."""
        raw_peer = params.get("peer_id", "")
        if raw_peer.strip():
            if not is_int(raw_peer):
                raise param_error("peer_id not integer")
            peer_id = int(raw_peer)
            incoming = [m["id"] for m in self._history(peer_id) if not m["out"]]
            start = whole(params, "start_message_id", 0)
            return {peer_id: start or max(incoming, default=0)}
        ids = {int(ref) for ref in csv(params.get("message_ids")) if ref.isdigit()}
        if not ids:
            raise param_error("peer_id is undefined")
        marks: dict[int, int] = {}
        for message in self.fake.messages:
            if message["id"] in ids:
                marks[message["peer_id"]] = max(marks.get(message["peer_id"], 0), message["id"])
        return marks

    def _history(self, peer_id: int) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages if m["peer_id"] == peer_id]


def peer(peer_id: int) -> dict[str, Any]:
    """VK's peer object: a user, a community (negative id) or a chat (above CHAT_PEER_BASE)."""
    if peer_id > CHAT_PEER_BASE:
        return {"id": peer_id, "type": "chat", "local_id": peer_id - CHAT_PEER_BASE}
    if peer_id < 0:
        return {"id": peer_id, "type": "group", "local_id": -peer_id}
    return {"id": peer_id, "type": "user", "local_id": peer_id}


def _selected(kind: str, conversation: Mapping[str, Any]) -> bool:
    """Does a conversation pass `filter`? The fake marks none important or archived: those filters find none."""
    if kind == "unread":
        return bool(conversation.get("unread_count"))
    if kind == "unanswered":
        return bool(conversation["unanswered"])
    if kind == "sorted_chats":
        return bool(conversation["peer"]["type"] == "chat")
    return kind == "all"


def people_ids(ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """User ids and community ids (positive) among owner or peer ids, in order of first appearance."""
    users: dict[int, None] = {}
    groups: dict[int, None] = {}
    for value in ids:
        if 0 < value < CHAT_PEER_BASE:
            users[value] = None
        elif value < 0:
            groups[-value] = None
    return list(users), list(groups)


__all__ = ["CHAT_PEER_BASE", "FILTERS", "FakeConversations", "peer", "people_ids"]
