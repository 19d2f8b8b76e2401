"""An offline test of a Wialon tracker: find units by name, follow their positions with AVL events.

Copy it into your project: it needs apiforge and pytest (and pytest-asyncio for the async test).
The fixtures come with apiforge (its pytest plugin): `fake_wialon` is a fake Wialon on 127.0.0.1
with three units ("Truck 01", "Truck 02", "Van 01"), sessions and AVL events; `wialon` /
`async_wialon` are clients of it (they log in with the fake's token on first use).
"""

from __future__ import annotations

import pytest

from apiforge.core.events.wialon_avl import AvlPoller
from apiforge.testing import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.events import AvlMessageEvent
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import ItemsType, SearchSpec, UpdateDataFlagsSpec, UpdateDataFlagsSpecType

TRUCK = 734455  # the fake's "Truck 01", in Moscow
FLAGS = UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION


# The code under test: in your project it lives in your app, not in the test.


def positions(w: Wialon, mask: str = "*") -> dict[str, tuple[float, float]]:
    """(lat, lon) of every unit whose name matches the Wialon mask, by name."""
    spec = SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask=mask, sort_type="sys_name")
    found = w.core.search_items(spec=spec, force=1, flags=FLAGS, from_=0, to=0)
    return {item.nm or str(item.id): (item.pos.y, item.pos.x) for item in found.items if item.pos is not None}


class Tracker:
    """Follows units: registers them for AVL events and keeps each one's last (lat, lon, speed)."""

    def __init__(self, w: Wialon, *unit_ids: int) -> None:
        self.last: dict[int, tuple[float, float, int]] = {}
        # sleep: the test polls by hand (poll_once), so nothing ever waits.
        self.poller = AvlPoller(w, sleep=lambda seconds: None)
        self.poller.subscribe(
            UpdateDataFlagsSpec(
                type=UpdateDataFlagsSpecType.COL, data=list(unit_ids), flags=FLAGS, mode=UpdateDataFlagsMode.ADD
            )
        )
        self.poller.on("m")(self.moved)

    def moved(self, event: AvlMessageEvent) -> None:
        pos = event.d.pos
        if pos is not None:
            self.last[event.i] = (pos.y, pos.x, pos.s or 0)

    def poll(self) -> int:
        return self.poller.poll_once()


# The tests.


def test_units_are_found_by_mask(wialon: Wialon) -> None:
    assert positions(wialon, "Truck*") == {"Truck 01": (55.7558, 37.6173), "Truck 02": (59.9343, 30.3351)}
    assert positions(wialon, "Van*") == {"Van 01": (55.7887, 49.1221)}


def test_the_tracker_follows_a_moving_unit(fake_wialon: FakeWialon, wialon: Wialon) -> None:
    tracker = Tracker(wialon, TRUCK)
    assert tracker.poll() == 0  # registers the unit; nothing has moved yet

    fake_wialon.push_message(TRUCK, x=37.62, y=55.76, speed=42)  # what the truck's tracker sends
    fake_wialon.push_message(TRUCK, x=37.63, y=55.77, speed=0)
    tracker.poll()

    assert tracker.last == {TRUCK: (55.77, 37.63, 0)}
    assert [c.method for c in fake_wialon.calls].count("core/update_data_flags") == 1


def test_an_expired_session_is_opened_again(fake_wialon: FakeWialon, wialon: Wialon) -> None:
    tracker = Tracker(wialon, TRUCK)
    tracker.poll()
    fake_wialon.expire_session()  # as if it had been idle for 5 minutes

    fake_wialon.push_message(TRUCK, x=37.7, y=55.8)  # lost with the old session: nobody registered it
    tracker.poll()  # logs in again and registers the unit again
    fake_wialon.push_message(TRUCK, x=37.9, y=55.9)
    tracker.poll()

    assert tracker.last[TRUCK][:2] == (55.9, 37.9)
    assert fake_wialon.logins == 2
    assert [c.method for c in fake_wialon.calls].count("core/update_data_flags") == 2


@pytest.mark.asyncio
async def test_the_async_client_reads_a_unit(fake_wialon: FakeWialon, async_wialon: AsyncWialon) -> None:
    fake_wialon.push_message(TRUCK, x=37.5, y=55.5, speed=60)

    found = await async_wialon.core.search_item(id=TRUCK, flags=FLAGS)

    assert found.item.nm == "Truck 01"
    assert found.item.pos is not None and (found.item.pos.y, found.item.pos.s) == (55.5, 60)
