"""`iter_*` of Wialon: core/search_items by `from`/`to`, and messages/get_messages through a large message layer
loaded by messages/load_interval, sync and async, through FakeWialon over HTTP."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from apiforge.testing.wialon import DEFAULT_TOKEN, FakeWialon
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.search import ItemsType, SearchSpec

UNITS = 23
MESSAGES = 2500
TRUCK = 9000


@pytest.fixture
def fake() -> Iterator[FakeWialon]:
    units = [{"id": 9000 + n, "nm": f"Unit {n:02d}"} for n in range(UNITS)]
    with FakeWialon(units=units) as fake:
        for n in range(MESSAGES):
            fake.push_message(TRUCK, x=37.0 + n / 10_000, y=55.0, t=1_700_000_000 + n)
        yield fake


def every_unit() -> SearchSpec:
    return SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="*", sort_type="sys_name")


def sent(fake: FakeWialon, svc: str, *names: str) -> list[tuple[object, ...]]:
    return [tuple(call.params["params"].get(name) for name in names) for call in fake.calls_to(svc)]


@pytest.mark.parametrize("page_size", [10, 5, 23, 100])
def test_search_items_pages_by_index(fake: FakeWialon, page_size: int) -> None:
    with Wialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w:
        names = [unit.nm for unit in w.core.iter_search_items(spec=every_unit(), force=1, flags=1, page_size=page_size)]
    assert names == [f"Unit {n:02d}" for n in range(UNITS)]
    requests = math.ceil(UNITS / page_size)
    assert sent(fake, "core/search_items", "from", "to") == [
        (i * page_size, (i + 1) * page_size - 1) for i in range(requests)
    ]


def test_search_items_needs_a_page_size_of_two_or_more(fake: FakeWialon) -> None:
    with (
        Wialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w,
        pytest.raises(ValueError, match="core/search_items: page_size of at least 2 is required, got 1"),
    ):
        list(w.core.iter_search_items(spec=every_unit(), force=1, flags=1, page_size=1))
    assert fake.calls_to("core/search_items") == []


async def test_search_items_async(fake: FakeWialon) -> None:
    async with AsyncWialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w:
        ids = [unit.id async for unit in w.core.iter_search_items(spec=every_unit(), force=1, flags=1, page_size=10)]
    assert ids == [9000 + n for n in range(UNITS)]
    assert len(fake.calls_to("core/search_items")) == 3


def load(w: Wialon) -> int:
    """Load the truck's whole history into the session's message layer, none of it in the answer."""
    layer = w.messages.load_interval(
        item_id=TRUCK, time_from=0, time_to=2_000_000_000, flags=0, flags_mask=0, load_count=0
    )
    assert layer.messages == []
    return layer.count


def test_get_messages_pages_through_the_loaded_layer(fake: FakeWialon) -> None:
    with Wialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w:
        count = load(w)
        times = [message.t for message in w.messages.iter_get_messages(page_size=1000)]
    assert count == MESSAGES and times == [1_700_000_000 + n for n in range(MESSAGES)]
    assert sent(fake, "messages/get_messages", "indexFrom", "indexTo") == [(0, 999), (1000, 1999), (2000, 2999)]


async def test_get_messages_async(fake: FakeWialon) -> None:
    async with AsyncWialon(token=DEFAULT_TOKEN, base_url=fake.url, rate_limit=None) as w:
        layer = await w.messages.load_interval(
            item_id=TRUCK, time_from=0, time_to=2_000_000_000, flags=0, flags_mask=0, load_count=0
        )
        times = [message.t async for message in w.messages.iter_get_messages(page_size=700)]
    assert layer.count == MESSAGES and times == [1_700_000_000 + n for n in range(MESSAGES)]
    assert len(fake.calls_to("messages/get_messages")) == math.ceil(MESSAGES / 700)
