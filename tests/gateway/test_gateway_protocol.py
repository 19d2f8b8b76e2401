"""The wire protocol: bad input gets an error message and the connection stays usable."""

from __future__ import annotations

import pytest

from apiforge.gateway import Gateway
from apiforge.gateway.protocol import GatewayError, parse_client_message
from tests.gateway.gatewaykit import client


@pytest.mark.parametrize(
    ("text", "in_reply_to", "detail"),
    [
        ("{not json", None, "must be a JSON object"),
        ("[1, 2]", None, "got an array"),
        ('{"payload": {}}', None, "'event' must be a non-empty string"),
        ('{"event": 5}', None, "'event' must be a non-empty string"),
        ('{"event": "subscribe", "token": 7}', "subscribe", "'token' must be a string"),
        ('{"event": "subscribe", "extra": 1}', "subscribe", "unknown keys ['extra']"),
    ],
)
async def test_malformed_messages_get_an_error_and_the_connection_stays_open(
    gateway: Gateway, text: str, in_reply_to: str | None, detail: str
) -> None:
    async with client(gateway) as c:
        await c.ws.send(text)
        error = await c.recv()
        assert error["event"] == "error"
        assert error["payload"]["name"] == "malformed"
        assert detail in error["payload"]["detail"]
        assert error["payload"]["in_reply_to"] == in_reply_to
        # Still connected, still served.
        reply = await c.call("subscribe", {"topic": "news"})
        assert reply["payload"]["name"] == "unknown_topic"


async def test_an_unknown_command_is_named_with_close_matches(gateway: Gateway) -> None:
    async with client(gateway) as c:
        error = await c.call("subscrib", {"topic": "x"})
        assert error == {
            "event": "error",
            "payload": {
                "name": "unknown_command",
                "detail": "no command 'subscrib' (did you mean 'subscribe', 'unsubscribe'?)",
                "in_reply_to": "subscrib",
            },
        }


async def test_binary_frames_are_read_as_json_too(gateway: Gateway) -> None:
    async with client(gateway) as c:
        await c.ws.send(b'{"event": "nope"}')
        error = await c.recv()
        assert error["payload"]["name"] == "unknown_command"


def test_a_client_message_never_shows_its_token() -> None:
    message = parse_client_message('{"event": "x", "token": "s3cret-token"}')
    assert message.token == "s3cret-token"
    assert "s3cret" not in repr(message)


def test_parse_errors_are_gateway_errors() -> None:
    with pytest.raises(GatewayError, match="malformed: a message must be a JSON object"):
        parse_client_message(b"\xff\xfe")
