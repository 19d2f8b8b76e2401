"""Wialon AVL events through the same Router as VK updates: the AVL poller feeds it as a sink."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from apiforge.core.events import BotLongPoll, Router
from apiforge.core.events.wialon_avl import AsyncAvlPoller, AvlPoller
from apiforge.testing import FakeVK
from apiforge.testing.wialon import FakeWialon
from apiforge.vk import VK
from apiforge.vk.updates import GroupJoin
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.events import AvlDeleteEvent, AvlMessageEvent, AvlUpdateEvent
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType
from tests.events.eventkit import GROUP_ID, NO_WAIT

TRUCK, SPARE = 734455, 734456
TRACKED = UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION


def tracked(*units: int) -> UpdateDataFlagsSpec:
    return UpdateDataFlagsSpec(
        type=UpdateDataFlagsSpecType.COL, data=list(units), flags=TRACKED, mode=UpdateDataFlagsMode.ADD
    )


@pytest.fixture
def wialon_fake(mode: str) -> Iterator[FakeWialon]:
    fake = FakeWialon()
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def wialon(fake: FakeWialon, mode: str) -> Wialon:
    if mode == "http":
        return Wialon(token=fake.token, base_url=fake.url)
    return Wialon(token=fake.token, base_url="http://fake", http_client=httpx.Client(transport=fake.transport()))


def fleet_events(fake: FakeWialon) -> None:
    fake.push_message(TRUCK, x=37.6, y=55.7, speed=42)
    fake.push_message(SPARE, x=30.3, y=59.9, speed=0)
    fake.rename_item(SPARE, "Spare truck")
    fake.delete_item(SPARE)


def fleet_router(seen: list[str]) -> Router:
    router = Router()

    @router.on(AvlMessageEvent, filter=lambda e: e.d.pos is not None and (e.d.pos.s or 0) > 0)
    def moving(event: AvlMessageEvent) -> None:
        assert event.d.pos is not None
        seen.append(f"{event.i} moving at {event.d.pos.s} km/h")

    @router.on(AvlMessageEvent)
    def standing(event: AvlMessageEvent) -> None:
        seen.append(f"{event.i} standing")

    @router.on(AvlUpdateEvent, filter=lambda e: e.d is not None and "nm" in e.d)
    def renamed(event: AvlUpdateEvent) -> None:
        assert event.d is not None
        seen.append(f"{event.i} renamed {event.d['nm']}")

    @router.on(AvlDeleteEvent)
    def deleted(event: AvlDeleteEvent) -> None:
        seen.append(f"{event.i} deleted")

    return router


EXPECTED = [f"{TRUCK} moving at 42 km/h", f"{SPARE} standing", f"{SPARE} renamed Spare truck", f"{SPARE} deleted"]


def test_the_avl_poller_feeds_the_router(wialon_fake: FakeWialon, mode: str) -> None:
    seen: list[str] = []
    router = fleet_router(seen)
    with wialon(wialon_fake, mode) as w:
        poller = AvlPoller(w, sink=router, sleep=lambda seconds: None)
        poller.subscribe(tracked(TRUCK, SPARE))
        poller.poll_once()  # registers the units
        fleet_events(wialon_fake)
        poller.poll_once()
    assert seen == EXPECTED
    stats = router.stats
    # Position updates (`u` with pos/lmsg) reach no handler: counted as unmatched, not lost.
    assert (stats.handled, stats.failed) == (4, 0)
    assert stats.received == stats.handled + stats.unmatched


async def test_the_async_avl_poller_feeds_async_handlers(wialon_fake: FakeWialon, mode: str) -> None:
    seen: list[str] = []
    router = Router()

    @router.on(AvlMessageEvent)
    async def message(event: AvlMessageEvent) -> None:
        seen.append(f"{event.i} message")

    @router.on(AvlDeleteEvent)
    def deleted(event: AvlDeleteEvent) -> None:
        seen.append(f"{event.i} deleted")

    if mode == "http":
        client = AsyncWialon(token=wialon_fake.token, base_url=wialon_fake.url)
    else:
        transport = httpx.AsyncClient(transport=wialon_fake.async_transport())
        client = AsyncWialon(token=wialon_fake.token, base_url="http://fake", http_client=transport)
    async with client as w:
        poller = AsyncAvlPoller(w, sink=router)
        poller.subscribe(tracked(TRUCK, SPARE))
        await poller.poll_once()
        fleet_events(wialon_fake)
        await poller.poll_once()
    assert seen == [f"{TRUCK} message", f"{SPARE} message", f"{SPARE} deleted"]


def test_one_router_serves_vk_updates_and_wialon_events() -> None:
    seen: list[str] = []
    router = fleet_router(seen)

    @router.on(GroupJoin)
    def joined(update: GroupJoin) -> None:
        seen.append(f"vk user {update.object.user_id} joined")

    with FakeWialon() as fleet, FakeVK(tokens={"t"}) as social:
        social.longpoll.push("group_join", {"user_id": 5, "join_type": "join"})
        with (
            Wialon(token=fleet.token, base_url=fleet.url) as w,
            VK(token="t", token_kind="group", base_url=social.url, rate_limit=None) as vk,
        ):
            poller = AvlPoller(w, sink=router, sleep=lambda seconds: None)
            poller.subscribe(tracked(TRUCK, SPARE))
            poller.poll_once()
            fleet_events(fleet)
            poller.poll_once()
            router.run_sync(itertools.islice(BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1"), 1))
    assert seen == [*EXPECTED, "vk user 5 joined"]
