"""Safe defaults: pages of other sites cannot connect, and private topics need a token (issue 16, item 12)."""

from __future__ import annotations

from typing import cast

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from apiforge.core.types import JSON
from apiforge.gateway import Gateway, QueueSource
from tests.gateway.gatewaykit import client, store_with


async def test_a_page_of_another_site_is_refused_by_default() -> None:
    gateway = Gateway()
    async with gateway.serve("127.0.0.1", 0):
        url = f"ws://127.0.0.1:{gateway.port}"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
        async with connect(url, origin=f"http://127.0.0.1:{gateway.port}"):  # type: ignore[arg-type] # same site
            pass
        async with connect(url):  # no Origin: not a browser page
            pass


async def test_allowed_origins_lets_in_exactly_those_pages() -> None:
    gateway = Gateway(allowed_origins=["https://app.example"])
    async with gateway.serve("127.0.0.1", 0):
        url = f"ws://127.0.0.1:{gateway.port}"
        async with client(gateway, origin="https://app.example"):
            pass
        for origin in ("https://evil.example", f"http://127.0.0.1:{gateway.port}", "https://app.example.evil"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, origin=origin):  # type: ignore[arg-type]
                    pass
            assert refused.value.response.status_code == 403, origin
    everyone = Gateway(allowed_origins=["*"])
    async with everyone.serve("127.0.0.1", 0), client(everyone, origin="https://anyone.example"):
        pass
    with pytest.raises(TypeError, match="a list of origins"):
        Gateway(allowed_origins="https://app.example")


def as_json(event: object) -> JSON:
    return cast("JSON", event)


async def test_a_private_topic_needs_a_token_and_a_public_one_does_not() -> None:
    store, tokens = store_with("alice")
    gateway = Gateway(verifier=store.verify)
    messages: QueueSource[dict[str, str]] = QueueSource()
    positions: QueueSource[dict[str, int]] = QueueSource()
    gateway.relay(messages, topic="vk.messages", serialize=as_json)  # private: the default
    gateway.relay(positions, topic="wialon.units", serialize=as_json, public=True)
    async with gateway.serve("127.0.0.1", 0), client(gateway) as anonymous, client(gateway) as alice:
        refused = await anonymous.call("subscribe", {"topic": "vk.messages"})
        assert refused["event"] == "error"
        assert refused["payload"]["name"] == "unauthorized"
        assert "private" in refused["payload"]["detail"]
        assert (await anonymous.call("subscribe", {"topic": "wialon.units"}))["event"] == "subscribe ok"
        assert (await alice.call("subscribe", {"topic": "vk.messages"}, token=tokens["alice"]))[
            "event"
        ] == "subscribe ok"
        messages.put({"text": "my order"})
        positions.put({"unit": 1})
        assert await alice.recv() == {"event": "vk.messages", "payload": {"text": "my order"}}
        assert await anonymous.recv() == {"event": "wialon.units", "payload": {"unit": 1}}
        # The anonymous client got no private message: its next message is the reply to this call.
        assert (await anonymous.call("unsubscribe", {"topic": "wialon.units"}))["event"] == "unsubscribe ok"
