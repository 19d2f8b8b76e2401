"""No secret in any log record (every logger at DEBUG, httpx and websockets included), repr, str or
public attribute: a login's password, a long-poll key, tokens echoed in errors, a gateway token."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apiforge.core.errors import APIError, APIForgeError, DecodeError, HTTPStatusError
from apiforge.core.events import BotLongPoll
from apiforge.core.retry import RetryPolicy
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.yclients import AsyncYclients, Yclients

PASSWORD = "correct horse battery"  # spaces: a keyed pattern alone would mask only its first word
VK_TOKEN = "vk-token-0123456789abcdef0123456789abcdef"
NO_RETRY = RetryPolicy(max_retries=0)


class Records(logging.Handler):
    """Every record that reaches the root logger, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    names = ("", "apiforge", "httpx", "httpcore", "websockets")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def shown(error: BaseException) -> str:
    """Everything a person or a log sees of an error: str, repr and every public attribute."""
    public = {name: value for name, value in vars(error).items() if not name.startswith("_")}
    return "\n".join([str(error), repr(error), repr(public), repr(error.args)])


def assert_hidden(secret: str, *texts: str) -> None:
    for text in texts:
        assert secret not in text
        # Nor a good part of it (a log that shortens a message must not leave half a token).
        assert secret[: len(secret) // 2] not in text and secret[len(secret) // 2 :] not in text


# A YCLIENTS login whose error echoes the request (servers do).


def echo(request: httpx.Request) -> httpx.Response:
    sent = request.content.decode()
    body = {"success": False, "data": None, "meta": {"message": f"cannot log in with {sent}", "sent": json.loads(sent)}}
    return httpx.Response(422, json=body)


def test_a_login_password_is_masked_sync(records: Records) -> None:
    with (
        Yclients(
            "partner-1", base_url="http://yc.test", http_client=httpx.Client(transport=httpx.MockTransport(echo))
        ) as yc,
        pytest.raises(APIError) as caught,
    ):
        yc.login("79161234567", PASSWORD)
    assert_hidden(PASSWORD, shown(caught.value), *records.lines)
    assert "***" in caught.value.message


def test_a_login_password_is_masked_async(records: Records) -> None:
    async def main() -> APIError:
        transport = httpx.MockTransport(echo)
        async with AsyncYclients(
            "partner-1", base_url="http://yc.test", http_client=httpx.AsyncClient(transport=transport)
        ) as yc:
            with pytest.raises(APIError) as caught:
                await yc.login("79161234567", PASSWORD)
            return caught.value

    error = asyncio.run(main())
    assert_hidden(PASSWORD, shown(error), *records.lines)


# Tokens echoed in API errors, HTTP error bodies and undecodable values.


def answer_with(body: bytes, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body))


VK_ERROR = json.dumps(
    {
        "error": {
            "error_code": 100,
            "error_msg": f"One of the parameters specified was missing or invalid: {VK_TOKEN}",
            "request_params": [{"key": "access_token", "value": VK_TOKEN}, {"key": "method", "value": "users.get"}],
        }
    }
).encode()
CASES: list[tuple[bytes, int, type[APIForgeError]]] = [
    (VK_ERROR, 200, APIError),
    (f"<html>bad gateway for {VK_TOKEN}</html>".encode(), 502, HTTPStatusError),
    (json.dumps({"response": {"echo": VK_TOKEN}}).encode(), 200, DecodeError),
]


@pytest.mark.parametrize(("body", "status", "kind"), CASES, ids=["api-error", "http-status", "decode"])
def test_errors_keep_no_token_in_their_attributes_sync(
    records: Records, body: bytes, status: int, kind: type[APIForgeError]
) -> None:
    http = httpx.Client(transport=answer_with(body, status))
    with VK(VK_TOKEN, base_url="http://vk.test", http_client=http, retry=NO_RETRY) as vk:
        with pytest.raises(kind) as caught:
            vk.users.get(user_ids=[1])
        assert_hidden(VK_TOKEN, shown(caught.value), *records.lines)
    if isinstance(caught.value, APIError):
        params = caught.value.details["request_params"]
        assert params[1] == {"key": "method", "value": "users.get"}  # the rest stays readable


@pytest.mark.parametrize(("body", "status", "kind"), CASES, ids=["api-error", "http-status", "decode"])
def test_errors_keep_no_token_in_their_attributes_async(
    records: Records, body: bytes, status: int, kind: type[APIForgeError]
) -> None:
    async def main() -> APIForgeError:
        http = httpx.AsyncClient(transport=answer_with(body, status))
        async with AsyncVK(VK_TOKEN, base_url="http://vk.test", http_client=http, retry=NO_RETRY) as vk:
            with pytest.raises(kind) as caught:
                await vk.users.get(user_ids=[1])
            assert_hidden(VK_TOKEN, shown(caught.value), *records.lines)
            return caught.value

    asyncio.run(main())


# The long-poll key: in the URL httpx logs at INFO, and in the server's repr.


def test_the_long_poll_key_is_in_no_log_line_sync(records: Records) -> None:
    with FakeVK(tokens={VK_TOKEN}) as fake:
        fake.longpoll.hold = 0.05
        with VK(VK_TOKEN, token_kind="group", base_url=fake.url, rate_limit=None) as vk:
            server = vk.groups.get_long_poll_server(group_id=1)
            poller = BotLongPoll(vk, group_id=1, ts="1")
            fake.longpoll.push("group_join", {"user_id": 5, "join_type": "join"})
            next(iter(poller))
    assert any("a_check" in line for line in records.lines)  # httpx did log the poll
    assert_hidden(server.key, repr(server), str(server))
    assert not [line for line in records.lines if "fake-lp-key-" in line]  # the poller's key neither


def test_the_long_poll_key_is_in_no_log_line_async(records: Records) -> None:
    async def main() -> Any:
        with FakeVK(tokens={VK_TOKEN}) as fake:
            fake.longpoll.hold = 0.05
            async with AsyncVK(VK_TOKEN, token_kind="group", base_url=fake.url, rate_limit=None) as vk:
                server = await vk.groups.get_long_poll_server(group_id=1)
                poller = BotLongPoll(vk, group_id=1, ts="1")
                fake.longpoll.push("group_join", {"user_id": 5, "join_type": "join"})
                async for _update in poller:
                    break
                return server

    server = asyncio.run(main())
    assert any("a_check" in line for line in records.lines)
    assert_hidden(server.key, repr(server), str(server))
    assert not [line for line in records.lines if "fake-lp-key-" in line]
