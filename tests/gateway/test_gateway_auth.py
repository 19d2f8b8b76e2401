"""Protected commands, verifiers, and sending to other connections and users."""

from __future__ import annotations

import asyncio
import logging

import pytest

from apiforge.gateway import CommandGroup, Connection, Gateway, TokenStore
from tests.gateway.gatewaykit import client

Tokens = tuple[TokenStore, dict[str, str]]


def whoami_group() -> CommandGroup:
    group = CommandGroup("me")

    @group.command("whoami", protected=True)
    def whoami(connection: Connection) -> dict[str, object]:
        return {"user": connection.user_id}

    return group


async def test_a_protected_command_needs_a_token_the_verifier_accepts(gateway: Gateway, tokens: Tokens) -> None:
    gateway.include(whoami_group())
    _, issued = tokens
    async with client(gateway) as c:
        error = await c.call("me whoami")
        assert error["payload"] == {
            "name": "unauthorized",
            "detail": "'me whoami' is protected: send a 'token'",
            "in_reply_to": "me whoami",
        }
        error = await c.call("me whoami", token="forged-token-123")
        assert error["payload"]["name"] == "unauthorized"
        assert error["payload"]["detail"] == "the token was not accepted"
        assert "forged" not in str(error)
        assert await c.call("me whoami", token=issued["alice"]) == {
            "event": "me whoami ok",
            "payload": {"user": "alice"},
        }
        # Verified once does not mean verified forever: each protected call brings its token.
        assert (await c.call("me whoami"))["payload"]["name"] == "unauthorized"


async def test_a_revoked_token_is_refused(gateway: Gateway, tokens: Tokens) -> None:
    gateway.include(whoami_group())
    store, issued = tokens
    async with client(gateway) as c:
        assert (await c.call("me whoami", token=issued["bob"]))["payload"] == {"user": "bob"}
        store.revoke(issued["bob"])
        assert (await c.call("me whoami", token=issued["bob"]))["payload"]["name"] == "unauthorized"


async def test_async_verifiers_and_failing_verifiers(caplog: pytest.LogCaptureFixture) -> None:
    async def verifier(token: str) -> str | None:
        await asyncio.sleep(0)
        if token == "explode-token":
            raise RuntimeError("verifier down")
        return "carol" if token == "carol-token" else None

    gateway = Gateway(verifier=verifier)
    gateway.include(whoami_group())
    async with gateway.serve(), client(gateway) as c:
        assert (await c.call("me whoami", token="carol-token"))["payload"] == {"user": "carol"}
        with caplog.at_level(logging.INFO):
            error = await c.call("me whoami", token="explode-token")
        assert error["payload"]["detail"] == "the token could not be verified"
        assert "verifier down" in caplog.text
        assert "explode-token" not in caplog.text  # tokens are never logged


async def test_without_a_verifier_protected_commands_are_refused() -> None:
    gateway = Gateway()
    gateway.include(whoami_group())
    async with gateway.serve(), client(gateway) as c:
        error = await c.call("me whoami", token="anything")
        assert error["payload"]["detail"] == "this gateway accepts no tokens (no verifier)"


async def test_clients_send_to_a_user_and_to_a_connection(gateway: Gateway, tokens: Tokens) -> None:
    _, issued = tokens
    async with client(gateway) as alice1, client(gateway) as alice2, client(gateway) as bob, client(gateway) as anon:
        # Alice becomes addressable once one of her connections shows her token.
        for c in (alice1, alice2):
            await c.call("unsubscribe", {"topic": "nope"}, token=issued["alice"])
        assert await bob.call(
            "gateway send", {"to_user": "alice", "event": "chat", "payload": {"text": "hi"}}, token=issued["bob"]
        ) == {"event": "gateway send ok", "payload": {"delivered": 2}}
        for c in (alice1, alice2):
            assert await c.recv() == {
                "event": "chat",
                "payload": {"from_connection": bob.connection_id, "from_user": "bob", "data": {"text": "hi"}},
            }
        reply = await alice1.call(
            "gateway send", {"to_connection": anon.connection_id, "event": "ping"}, token=issued["alice"]
        )
        assert reply["payload"] == {"delivered": 1}
        assert await anon.recv() == {
            "event": "ping",
            "payload": {"from_connection": alice1.connection_id, "from_user": "alice", "data": None},
        }
        # The anonymous connection cannot send, and nobody can address what does not exist.
        error = await anon.call("gateway send", {"to_user": "alice", "event": "x"})
        assert error["payload"]["name"] == "unauthorized"
        error = await bob.call("gateway send", {"to_user": "zed", "event": "x"}, token=issued["bob"])
        assert error["payload"] == {
            "name": "not_found",
            "detail": "user 'zed' has no open connection",
            "in_reply_to": "gateway send",
        }
        error = await bob.call("gateway send", {"to_connection": "c999", "event": "x"}, token=issued["bob"])
        assert error["payload"]["name"] == "not_found"
        error = await bob.call(
            "gateway send", {"to_user": "alice", "to_connection": "c1", "event": "x"}, token=issued["bob"]
        )
        assert error["payload"]["detail"] == "$: give exactly one of 'to_user' and 'to_connection'"
        error = await bob.call("gateway send", {"to_user": "alice", "event": "error"}, token=issued["bob"])
        assert error["payload"]["detail"] == "$.event: 'error' is reserved for the gateway"


async def test_the_server_sends_to_users_and_connections(gateway: Gateway, tokens: Tokens) -> None:
    _, issued = tokens
    async with client(gateway) as bob:
        await bob.call("unsubscribe", {"topic": "none"}, token=issued["bob"])
        assert gateway.send_to_user("bob", "notice", {"n": 1}) == 1
        assert await bob.recv() == {"event": "notice", "payload": {"n": 1}}
        assert gateway.send_to_connection(bob.connection_id, "notice", {"n": 2})
        assert await bob.recv() == {"event": "notice", "payload": {"n": 2}}
        assert gateway.send_to_user("nobody", "notice") == 0
        assert not gateway.send_to_connection("c0", "notice")
    # A closed connection is forgotten.
    await asyncio.sleep(0)
    assert gateway.send_to_user("bob", "notice") == 0
