"""Helpers of the gateway tests: a gateway on 127.0.0.1 and a JSON client on the `websockets` client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from apiforge.gateway import Gateway, TokenStore

TIMEOUT = 5.0
"""A bound on waits for messages that must come: a hang fails the test instead of blocking the suite."""


class Client:
    """A test client: sends `{"event", "payload", "token"}`, reads server messages as dicts."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.connection_id = ""

    async def send(self, event: str, payload: Any = None, *, token: str | None = None) -> None:
        message: dict[str, Any] = {"event": event}
        if payload is not None:
            message["payload"] = payload
        if token is not None:
            message["token"] = token
        await self.ws.send(json.dumps(message))

    async def recv(self) -> dict[str, Any]:
        import asyncio

        text = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        message: dict[str, Any] = json.loads(text)
        return message

    async def call(self, event: str, payload: Any = None, *, token: str | None = None) -> dict[str, Any]:
        """Send a command and return the next message (its reply or its error)."""
        await self.send(event, payload, token=token)
        return await self.recv()


@asynccontextmanager
async def client(gateway: Gateway, **options: Any) -> AsyncIterator[Client]:
    """A connected client that has read its welcome message."""
    async with connect(f"ws://127.0.0.1:{gateway.port}", **options) as ws:
        c = Client(ws)
        welcome = await c.recv()
        assert welcome["event"] == "welcome"
        c.connection_id = welcome["payload"]["connection_id"]
        yield c


def store_with(*users: str) -> tuple[TokenStore, dict[str, str]]:
    """A token store and one token per user."""
    store = TokenStore()
    return store, {user: store.issue(user) for user in users}


async def until(condition: Any, *, what: str) -> None:
    """Wait (yielding to the loop) until `condition()` holds; fail after TIMEOUT instead of hanging."""
    import asyncio

    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.005)

    try:
        await asyncio.wait_for(wait(), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None
