"""The gateway's wire protocol: one JSON object per WebSocket text message, both ways.

    client -> server   {"event": "chat send", "payload": {...}, "token": "..."}   (payload, token optional)
    server -> client   {"event": "chat send ok", "payload": ...}
    errors             {"event": "error", "payload": {"name": ..., "detail": ..., "in_reply_to": ...}}

`in_reply_to` is the `event` of the message that failed (None when it had none, e.g. bad JSON).
Nothing here does I/O: the server reads text with `parse_client_message` and writes `encode`.
"""

from __future__ import annotations

import json
from typing import cast

import attrs

from apiforge.core.converter import json_type
from apiforge.core.types import JSON

ERROR_EVENT = "error"
"""The event of every error message."""
REPLY_SUFFIX = " ok"
"""A command's return value comes back as `"<command> ok"` (see `reply_event`)."""


class GatewayError(Exception):
    """A failure sent to the client as an error message; handlers raise it to refuse a command.

    Args:
        name: a stable, machine-readable kind (`invalid_payload`, `unauthorized`, `not_found`, ...).
        detail: what is wrong, for people; never a token or other secret.
    """

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


@attrs.frozen
class ClientMessage:
    """One message from a client: what it asks for, its arguments and its credentials."""

    event: str
    payload: JSON = None
    token: str | None = attrs.field(default=None, repr=False)  # never shown: reprs end up in logs


def parse_client_message(data: str | bytes) -> ClientMessage:
    """A client's text (or binary) message as a `ClientMessage`.

    Raises:
        GatewayError: `malformed` when it is not a JSON object, has no string `event`, a
            `token` that is not a string, or unknown keys.
    """
    try:
        value: object = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise GatewayError("malformed", f"a message must be a JSON object: {error}") from None
    if not isinstance(value, dict):
        raise GatewayError("malformed", f"a message must be a JSON object, got {json_type(value)}")
    message = cast("dict[str, JSON]", value)
    unknown = sorted(set(message) - {"event", "payload", "token"})
    if unknown:
        raise GatewayError("malformed", f"unknown keys {unknown}: a message has 'event', 'payload' and 'token'")
    event = message.get("event")
    if not isinstance(event, str) or not event:
        raise GatewayError("malformed", "'event' must be a non-empty string naming a command")
    token = message.get("token")
    if token is not None and not isinstance(token, str):
        raise GatewayError("malformed", f"'token' must be a string, got {json_type(token)}")
    return ClientMessage(event=event, payload=message.get("payload"), token=token)


def peek_event(data: str | bytes) -> str | None:
    """The `event` of a message that failed to parse, if it can still be read (for `in_reply_to`)."""
    try:
        value: object = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(value, dict):
        event = cast("dict[str, object]", value).get("event")
        if isinstance(event, str):
            return event
    return None


def encode(event: str, payload: JSON = None) -> str:
    """A server message as text."""
    return json.dumps({"event": event, "payload": payload}, ensure_ascii=False, separators=(",", ":"))


def encode_error(name: str, detail: str, in_reply_to: str | None) -> str:
    """An error message as text."""
    return encode(ERROR_EVENT, {"name": name, "detail": detail, "in_reply_to": in_reply_to})


def reply_event(command: str) -> str:
    """The event a command's result comes back with: `"<command> ok"`."""
    return command + REPLY_SUFFIX


__all__ = [
    "ERROR_EVENT",
    "REPLY_SUFFIX",
    "ClientMessage",
    "GatewayError",
    "encode",
    "encode_error",
    "parse_client_message",
    "peek_event",
    "reply_event",
]
