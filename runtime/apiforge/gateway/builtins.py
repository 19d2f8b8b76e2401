"""The commands every gateway serves: `subscribe` / `unsubscribe` to topics and `gateway send`.

    {"event": "subscribe", "payload": {"topic": "wialon.units"}}
        -> {"event": "subscribe ok", "payload": {"topic": "wialon.units"}}
    {"event": "gateway send", "token": "...",
     "payload": {"to_user": "alice", "event": "chat", "payload": {"text": "hi"}}}
        -> to alice: {"event": "chat", "payload": {"from_connection": "c7", "from_user": "bob", "data": {"text": "hi"}}}
        -> to the sender: {"event": "gateway send ok", "payload": {"delivered": 1}}

`gateway send` is protected: the sender is always a verified user, named in what is delivered.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from apiforge.core.types import JSON
from apiforge.gateway.commands import CommandGroup
from apiforge.gateway.protocol import ERROR_EVENT, REPLY_SUFFIX, GatewayError
from apiforge.gateway.sessions import Connection, Sessions

WELCOME_EVENT = "welcome"
"""Sent to every client first: `{"connection_id": ...}`."""


class Hub(Protocol):
    """What the built-in commands need of a gateway (`Gateway` is one; this module does not import it,
    so that `server` can import the commands without a cycle)."""

    sessions: Sessions
    topics: set[str]

    def check_topic(self, topic: str) -> None:
        """Raise GatewayError `unknown_topic` unless clients may subscribe to `topic`."""
        ...

    def check_subscriber(self, connection: Connection, topic: str) -> None:
        """Raise GatewayError unless `connection` may subscribe to `topic` (private topics need a user)."""
        ...

    def send_to_connection(self, connection_id: str, event: str, payload: JSON = None) -> bool:
        """Queue a message to one connection."""
        ...

    def send_to_user(self, user_id: str, event: str, payload: JSON = None) -> int:
        """Queue a message to every open connection of a user."""
        ...


@attrs.frozen
class TopicRequest:
    """The payload of `subscribe` and `unsubscribe`."""

    topic: str


@attrs.frozen
class SendRequest:
    """The payload of `gateway send`: exactly one of `to_user` and `to_connection`, and what to deliver."""

    event: str
    payload: JSON = None
    to_user: str | None = None
    to_connection: str | None = None


def topic_commands(gateway: Hub, *, protected: bool = False) -> CommandGroup:
    """`subscribe` and `unsubscribe` (protected when `protected`: every topic then needs a token;
    otherwise private topics do, and public ones do not)."""
    group = CommandGroup()

    @group.command("subscribe", protected=protected)
    def subscribe(connection: Connection, payload: TopicRequest) -> JSON:
        gateway.check_subscriber(connection, payload.topic)
        gateway.sessions.subscribe(connection, payload.topic)
        return {"topic": payload.topic}

    @group.command("unsubscribe", protected=protected)
    def unsubscribe(connection: Connection, payload: TopicRequest) -> JSON:
        gateway.check_topic(payload.topic)
        gateway.sessions.unsubscribe(connection, payload.topic)
        return {"topic": payload.topic}

    return group


def send_commands(gateway: Hub) -> CommandGroup:
    """`gateway send`: a verified client sends an event to a connection or to every connection of a user."""
    group = CommandGroup("gateway")

    @group.command("send", protected=True)
    def send(connection: Connection, payload: SendRequest) -> JSON:
        if (payload.to_user is None) == (payload.to_connection is None):
            raise GatewayError("invalid_payload", "$: give exactly one of 'to_user' and 'to_connection'")
        if (
            payload.event in (ERROR_EVENT, WELCOME_EVENT)
            or payload.event.endswith(REPLY_SUFFIX)
            or (payload.event in gateway.topics)
        ):
            raise GatewayError("invalid_payload", f"$.event: {payload.event!r} is reserved for the gateway")
        delivered: JSON = {"from_connection": connection.id, "from_user": connection.user_id, "data": payload.payload}
        if payload.to_connection is not None:
            if not gateway.send_to_connection(payload.to_connection, payload.event, delivered):
                raise GatewayError("not_found", f"no open connection {payload.to_connection!r}")
            return {"delivered": 1}
        assert payload.to_user is not None
        count = gateway.send_to_user(payload.to_user, payload.event, delivered)
        if count == 0:
            raise GatewayError("not_found", f"user {payload.to_user!r} has no open connection")
        return {"delivered": count}

    return group


__all__ = ["WELCOME_EVENT", "Hub", "SendRequest", "TopicRequest", "send_commands", "topic_commands"]
