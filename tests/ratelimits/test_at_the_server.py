"""Rate limits judged where they count: at the server, over real HTTP on 127.0.0.1.

Each fake stamps every request it receives on its own clock (`Arrivals`); the busiest stretch of
those stamps must stay within the published limit. The fakes enforce the limits too, so a request
over the limit also comes back as an error (no retries: it would reach the caller).

The YCLIENTS limits are scaled down in time (5 per second and 12 per 3 s, not 200 per minute) so
that the minute-style window is crossed several times in a few seconds; the algorithm is the same.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from apiforge.core import RateLimiter, Window
from apiforge.testing.ratelimits import Arrivals, RateLimit
from apiforge.testing.vk import FakeVK
from apiforge.testing.yclients import FakeYclients
from apiforge.vk import VK, AsyncVK
from apiforge.yclients import AsyncYclients, Yclients

PARTNER = "partner-token-for-rates"
GROUP = "group-token-for-rates"
LIMITS = (RateLimit(5, 1.0), RateLimit(12, 3.0))


@pytest.fixture
def fake_yc() -> Iterator[FakeYclients]:
    with FakeYclients(partner_tokens=[PARTNER], enforce_limits=False, rate_limits=LIMITS) as fake:
        warm_up(fake)
        yield fake


@pytest.fixture
def fake_vk() -> Iterator[FakeVK]:
    with FakeVK(token_kinds={GROUP: "group"}, enforce_limits=False) as fake:
        warm_up(fake)
        yield fake


def warm_up(fake: FakeVK | FakeYclients) -> None:
    """One request before the test, then limits on: a fake answers its first request slowly (it loads
    its tables), and requests queued behind it would reach it at one instant, a burst of its own making."""
    if isinstance(fake, FakeVK):
        with VK(token=GROUP, token_kind="group", base_url=fake.url, rate_limit=None) as vk:
            vk.groups.get_token_permissions()
    else:
        with Yclients(partner_token=PARTNER, base_url=fake.url, rate_limit=None) as yc:
            yc.companies.list()
    fake.reset_calls()
    fake.enforce_limits = True  # the warm-up was not counted: the windows start empty


def limiter() -> RateLimiter:
    return RateLimiter([Window(5), Window(12, 3)])


async def test_twenty_async_callers_stay_within_yclients_limits_at_the_server(fake_yc: FakeYclients) -> None:
    arrivals = Arrivals.of(fake_yc)
    async with AsyncYclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=limiter(), max_retries=0) as yc:

        async def caller(calls: int) -> None:
            for _ in range(calls):
                await yc.companies.list()

        await asyncio.gather(*(caller(2) for _ in range(15)))  # 30 calls from 15 callers at once
    assert len(arrivals.times) == 30
    assert arrivals.busiest(1.0) <= 5
    assert arrivals.busiest(3.0) <= 12
    assert fake_yc.refused == 0


def test_eight_threads_stay_within_yclients_limits_at_the_server(fake_yc: FakeYclients) -> None:
    arrivals = Arrivals.of(fake_yc)
    errors: list[BaseException] = []
    with Yclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=limiter(), max_retries=0) as yc:

        def caller() -> None:
            try:
                for _ in range(3):
                    yc.companies.list()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=caller) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert len(arrivals.times) == 24
    assert arrivals.busiest(1.0) <= 5
    assert arrivals.busiest(3.0) <= 12
    assert fake_yc.refused == 0


async def test_a_vk_group_token_never_gets_more_than_twenty_a_second_at_the_server(fake_vk: FakeVK) -> None:
    arrivals = Arrivals.of(fake_vk)
    async with AsyncVK(token=GROUP, token_kind="group", base_url=fake_vk.url, max_retries=0) as vk:

        async def caller() -> None:
            for _ in range(3):
                await vk.groups.get_token_permissions()

        await asyncio.gather(*(caller() for _ in range(20)))  # 60 calls: three seconds' worth
    assert len(arrivals.times) == 60
    assert arrivals.busiest(1.0) <= 20
    assert fake_vk.refused == 0


def test_eight_threads_on_a_vk_group_token(fake_vk: FakeVK) -> None:
    arrivals = Arrivals.of(fake_vk)
    errors: list[BaseException] = []
    with VK(token=GROUP, token_kind="group", base_url=fake_vk.url, max_retries=0) as vk:

        def caller() -> None:
            try:
                for _ in range(6):
                    vk.groups.get_token_permissions()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=caller) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert len(arrivals.times) == 48
    assert arrivals.busiest(1.0) <= 20
    assert fake_vk.refused == 0
