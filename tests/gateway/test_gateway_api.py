"""SDK methods through the gateway: allow-listed, protected, parameters checked against the signature."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from apiforge.gateway import Gateway, TokenStore
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from tests.gateway.gatewaykit import client

Tokens = tuple[TokenStore, dict[str, str]]


@pytest.fixture
async def vk_gateway(gateway: Gateway) -> AsyncIterator[tuple[Gateway, FakeVK]]:
    with FakeVK(tokens={"server-vk-token"}) as fake:
        async with AsyncVK(token="server-vk-token", token_kind="group", base_url=fake.url, rate_limit=None) as vk:
            gateway.expose(vk, allow=["messages.send", "users.get"], prefix="vk")
            yield gateway, fake


async def test_an_allowed_method_is_called_with_the_servers_credentials(
    vk_gateway: tuple[Gateway, FakeVK], tokens: Tokens
) -> None:
    gateway, fake = vk_gateway
    _, issued = tokens
    async with client(gateway) as c:
        reply = await c.call(
            "vk messages.send", {"peer_id": 5, "message": "from the panel", "random_id": 42}, token=issued["alice"]
        )
        assert reply["event"] == "vk messages.send ok"
        assert isinstance(reply["payload"], int)
        assert [m["text"] for m in fake.messages if m["peer_id"] == 5][-1] == "from the panel"
        users = await c.call("vk users.get", {"user_ids": [1]}, token=issued["alice"])
        assert users["event"] == "vk users.get ok"
        assert users["payload"][0]["id"] == 1
    assert "server-vk-token" not in str(users)


async def test_api_commands_are_protected_restricted_and_checked(
    vk_gateway: tuple[Gateway, FakeVK], tokens: Tokens
) -> None:
    gateway, fake = vk_gateway
    _, issued = tokens
    token = issued["bob"]
    async with client(gateway) as c:
        assert (await c.call("vk messages.send", {"peer_id": 5}))["payload"]["name"] == "unauthorized"
        error = await c.call("vk messages.delete", {"message_ids": [1]}, token=token)
        assert error["payload"]["name"] == "unknown_command"
        error = await c.call("vk users.get", {"user_idz": [1], "colour": 1}, token=token)
        assert error["payload"]["name"] == "invalid_payload"
        assert error["payload"]["detail"].startswith(
            "vk users.get: unknown parameters ['colour', 'user_idz'] (accepted: ["
        )
        error = await c.call("vk users.get", [1], token=token)
        assert error["payload"]["detail"] == "vk users.get: the payload must be an object of parameters"
        error = await c.call(
            "vk messages.send", {"peer_id": 5, "message": "x", "random_id": 1, "user_id": "abc"}, token=token
        )
        assert error["payload"]["detail"] == "$.user_id: expected an integer, got str"
    assert not [m for m in fake.messages if m.get("text") == "x"]


async def test_missing_required_parameters_are_named(vk_gateway: tuple[Gateway, FakeVK], tokens: Tokens) -> None:
    gateway, fake = vk_gateway
    with VK(token="t", token_kind="group", base_url=fake.url) as vk:
        group = gateway.expose(vk, allow=["users.report"], prefix="vk sync")  # a sync client works too
    assert [(command.name, command.protected) for command in group] == [("vk sync users.report", True)]
    async with client(gateway) as c:
        error = await c.call("vk sync users.report", {"comment": "spam"}, token=tokens[1]["alice"])
    assert error["payload"]["detail"] == "vk sync users.report: missing required parameters ['type', 'user_id']"


def test_expose_refuses_unknown_methods_and_empty_allow_lists() -> None:
    gateway = Gateway()
    with VK(token="t", token_kind="group") as vk:
        with pytest.raises(ValueError, match=r"'messages.sendd' is not a method of VK \(did you mean messages.send"):
            gateway.expose(vk, allow=["messages.sendd"], prefix="vk")
        with pytest.raises(ValueError, match="allow lists no method"):
            gateway.expose(vk, allow=[], prefix="vk")
    with pytest.raises(TypeError, match="expected an SDK client"):
        gateway.expose(object(), allow=["x"], prefix="x")  # type: ignore[arg-type]
