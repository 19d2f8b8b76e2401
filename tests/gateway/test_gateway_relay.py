"""Event relays: events of a source reach the connections subscribed to its topic, and only those."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from apiforge.core.events import BotLongPoll
from apiforge.core.events.yclients_webhooks import WebhookError
from apiforge.gateway import AvlSource, Gateway, QueueSource, TokenStore, WebhookSource
from apiforge.testing import FakeVK, FakeWialon
from apiforge.vk import AsyncVK
from apiforge.wialon import AsyncWialon
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType
from tests.gateway.gatewaykit import client, until


async def test_events_reach_subscribers_only_until_they_unsubscribe(gateway: Gateway) -> None:
    source: QueueSource[dict[str, int]] = QueueSource()
    gateway.relay(source, topic="numbers", serialize=lambda event: event, public=True)
    async with client(gateway) as listener, client(gateway) as bystander:
        assert await listener.call("subscribe", {"topic": "numbers"}) == {
            "event": "subscribe ok",
            "payload": {"topic": "numbers"},
        }
        source.put({"n": 1})
        assert await listener.recv() == {"event": "numbers", "payload": {"n": 1}}
        assert await listener.call("unsubscribe", {"topic": "numbers"}) == {
            "event": "unsubscribe ok",
            "payload": {"topic": "numbers"},
        }
        source.put({"n": 2})
        # The bystander never subscribed: the next thing it reads is its own reply, not an event.
        assert (await bystander.call("subscribe", {"topic": "numbers"}))["event"] == "subscribe ok"
        source.put({"n": 3})
        assert await bystander.recv() == {"event": "numbers", "payload": {"n": 3}}
        # Nor did the unsubscribed listener get event 2 or 3.
        assert (await listener.call("subscribe", {"topic": "nope"}))["payload"] == {
            "name": "unknown_topic",
            "detail": "no topic 'nope' (topics: ['numbers'])",
            "in_reply_to": "subscribe",
        }


async def test_vk_long_poll_messages_are_relayed_as_typed_json(
    gateway: Gateway, tokens: tuple[TokenStore, dict[str, str]]
) -> None:
    with FakeVK(tokens={"t"}) as fake:
        async with AsyncVK(token="t", token_kind="group", base_url=fake.url, rate_limit=None) as vk:
            gateway.relay(BotLongPoll(vk, group_id=fake.longpoll.group_id, wait=1), topic="vk.messages")
            async with client(gateway) as c:
                # Users' messages: a private topic, for verified users only.
                assert (await c.call("subscribe", {"topic": "vk.messages"}, token=tokens[1]["alice"]))["event"] == (
                    "subscribe ok"
                )
                assert await asyncio.to_thread(fake.longpoll.polled.wait, 5)
                fake.longpoll.message_from_user(5, "hello gateway")
                event = await c.recv()
    assert event["event"] == "vk.messages"
    assert event["payload"]["type"] == "MessageNew"
    message = event["payload"]["data"]["object"]["message"]
    assert (message["from_id"], message["text"]) == (5, "hello gateway")


async def test_wialon_avl_events_are_relayed(gateway: Gateway) -> None:
    truck = 734455
    spec = UpdateDataFlagsSpec(
        type=UpdateDataFlagsSpecType.COL,
        data=[truck],
        flags=UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION,
        mode=UpdateDataFlagsMode.ADD,
    )

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    with FakeWialon() as fake:
        async with AsyncWialon(token=fake.token, base_url=fake.url) as w:
            gateway.relay(AvlSource(w, spec, interval=1, sleep=no_wait), topic="wialon.units", public=True)
            async with client(gateway) as c:
                await c.call("subscribe", {"topic": "wialon.units"})
                await until(lambda: any(truck in s.flags for s in fake.sessions.values()), what="registration")
                fake.push_message(truck, x=37.7, y=55.8, speed=50)
                kinds: dict[str, Any] = {}
                while len(kinds) < 2:
                    event = await c.recv()
                    kinds[event["payload"]["type"]] = event["payload"]["data"]
    assert kinds["AvlMessageEvent"]["i"] == truck
    assert (kinds["AvlMessageEvent"]["d"]["pos"]["x"], kinds["AvlMessageEvent"]["d"]["pos"]["y"]) == (37.7, 55.8)
    assert kinds["AvlUpdateEvent"]["d"]["pos"]["x"] == 37.7


async def test_yclients_webhooks_pushed_to_a_source_are_relayed(
    gateway: Gateway, tokens: tuple[TokenStore, dict[str, str]]
) -> None:
    webhooks = WebhookSource()
    gateway.relay(webhooks, topic="yclients.records")
    async with client(gateway) as c:
        await c.call("subscribe", {"topic": "yclients.records"}, token=tokens[1]["alice"])
        event = webhooks.push(
            b'{"company_id": 4564, "resource": "record", "resource_id": 77, "status": "create", "data": {"id": 77}}'
        )
        with pytest.raises(WebhookError):
            webhooks.push(b"[]")
        message = await c.recv()
    assert message["event"] == "yclients.records"
    assert message["payload"]["type"] == type(event).__name__ == "RecordEvent"
    assert message["payload"]["data"]["resource_id"] == 77


async def test_a_failing_serializer_skips_the_event_and_the_relay_goes_on(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    source: QueueSource[int] = QueueSource()

    def serialize(event: object) -> Any:
        if event == 1:
            raise ValueError("cannot")
        return event

    gateway.relay(source, topic="n", serialize=serialize, public=True)
    async with client(gateway) as c:
        await c.call("subscribe", {"topic": "n"})
        source.put(1)
        source.put(2)
        assert await c.recv() == {"event": "n", "payload": 2}
    assert "could not serialize" in caplog.text
