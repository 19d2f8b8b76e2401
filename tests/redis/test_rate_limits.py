"""The shared rate-limit backend on a real redis-server: one schedule for every process on a token."""

from __future__ import annotations

import itertools
import logging
import socket
import time
from collections.abc import Iterator

import pytest
import redis

from apiforge.core import RateLimiter, VKRateLimiter, Window
from apiforge.redis import RedisBackend, RedisUnavailableError
from apiforge.testing.ratelimits import Arrivals, RateLimit
from apiforge.testing.vk import FakeVK
from apiforge.testing.yclients import FakeYclients
from apiforge.vk import VK
from apiforge.yclients import AsyncYclients, Yclients
from tests.redis.support import reports, spawn

PARTNER = "partner-token-shared-by-processes"
GROUP = "group-token-shared-by-processes-0123456789"


@pytest.fixture
def fake_yc() -> Iterator[FakeYclients]:
    with FakeYclients(partner_tokens=[PARTNER], enforce_limits=True, rate_limits=[RateLimit(10)]) as fake:
        yield fake


def test_bookings_are_spaced_in_one_schedule_for_every_connection(redis_url: str) -> None:
    one, two = RedisBackend.from_url(redis_url), RedisBackend.from_url(redis_url)
    windows = [(5, 1.1)]
    waits = [backend.reserve("k", windows, 0.0) for backend in (one, two, one, two, one, two)]
    # Each booking is 0.22 s after the one before (less the little time the round trips took);
    # the sixth a whole window after the first: the two connections book in one schedule.
    gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert all(0.15 < gap <= 0.22 + 1e-6 for gap in gaps), waits
    assert 1.0 < waits[5] <= 1.1 + 1e-6


async def test_the_async_booking_shares_the_sync_schedule(redis_url: str) -> None:
    backend = RedisBackend.from_url(redis_url)
    first = backend.reserve("k", [(2, 1.0)], 0.0)
    second = await backend.areserve("k", [(2, 1.0)], 0.0)
    third = await backend.areserve("k", [(2, 1.0)], 0.0)
    assert first == 0.0
    assert 0.3 < second <= 0.5
    assert 0.8 < third <= 1.0


def test_keys_hold_hashes_and_expire_never_the_token(redis_url: str) -> None:
    with FakeVK(token_kinds={GROUP: "group"}) as fake:
        limiter = VKRateLimiter({"group": 20}, backend=RedisBackend.from_url(redis_url))
        with VK(token=GROUP, token_kind="group", base_url=fake.url, rate_limit=limiter) as vk:
            vk.groups.get_token_permissions()
    client = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in client.keys("*")]
    assert keys and all(key.startswith("apiforge:rate:{vk:group:") for key in keys)
    for key in keys:
        assert GROUP not in key
        assert 0 < client.pttl(key) <= 3000  # gone once the window has passed
        values = client.lrange(key, 0, -1) if client.type(key) == b"list" else [client.get(key)]
        assert all(GROUP.encode() not in (value or b"") for value in values)


async def test_async_clients_book_in_redis(redis_url: str, fake_yc: FakeYclients) -> None:
    arrivals = Arrivals.of(fake_yc)
    backend = RedisBackend.from_url(redis_url, on_unavailable="fail")
    limiter = RateLimiter([Window(10)], backend=backend)
    async with AsyncYclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=limiter, max_retries=0) as yc:
        for _ in range(12):
            await yc.companies.list()
    assert len(arrivals.times) == 12
    assert arrivals.busiest(1.0) <= 10
    assert redis.Redis.from_url(redis_url).keys("apiforge:rate:{yclients:partner:*")


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_redis_unreachable_fails_the_call_when_told_to(fake_yc: FakeYclients) -> None:
    limiter = RateLimiter([Window(10)], backend=RedisBackend.from_url(_closed_port(), on_unavailable="fail"))
    with (
        Yclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=limiter) as yc,
        pytest.raises(RedisUnavailableError, match=r"rate limiter: Redis at .*127\.0\.0\.1.* is unreachable"),
    ):
        yc.companies.list()
    assert fake_yc.calls == []  # nothing was sent


def test_redis_unreachable_falls_back_to_the_local_limit_with_a_warning(
    fake_yc: FakeYclients, caplog: pytest.LogCaptureFixture
) -> None:
    arrivals = Arrivals.of(fake_yc)
    backend = RedisBackend.from_url(_closed_port())  # on_unavailable="local" is the default
    limiter = RateLimiter([Window(10)], backend)
    with (
        Yclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=limiter) as yc,
        caplog.at_level(logging.WARNING, logger="apiforge.redis"),
    ):
        for _ in range(12):
            yc.companies.list()
    warnings = [r.getMessage() for r in caplog.records if r.name == "apiforge.redis"]
    assert len(warnings) == 1  # once per outage, not per call
    assert "unreachable" in warnings[0] and "booking in this process" in warnings[0]
    assert len(arrivals.times) == 12
    assert arrivals.busiest(1.0) <= 10  # the local schedule still holds the limit
    assert len(backend.local._last) == 1


def test_an_unknown_failure_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="on_unavailable must be 'local' or 'fail', got 'ignore'"):
        RedisBackend.from_url("redis://127.0.0.1:1/0", on_unavailable="ignore")  # type: ignore[arg-type]


def warm_up(fake: FakeVK | FakeYclients) -> None:
    """One request before the test: a fake answers its first one slowly (it loads its tables), and the
    requests queued behind it would then reach it at one instant: a burst of the fake's own making."""
    if isinstance(fake, FakeVK):
        with VK(token=GROUP, token_kind="group", base_url=fake.url, rate_limit=None) as vk:
            vk.groups.get_token_permissions()
    else:
        with Yclients(partner_token=PARTNER, base_url=fake.url, rate_limit=None) as yc:
            yc.companies.list()
    fake.reset_calls()


def test_four_processes_share_one_yclients_limit_at_the_server(redis_url: str, fake_yc: FakeYclients) -> None:
    warm_up(fake_yc)
    time.sleep(1.0)  # the warm-up request leaves the fake's window
    arrivals = Arrivals.of(fake_yc)
    workers = [spawn("tests.redis.workers", "yclients", fake_yc.url, redis_url, 25, PARTNER) for _ in range(4)]
    assert reports(workers) == [{"calls": 25}] * 4
    assert len(arrivals.times) == 100
    busiest = arrivals.busiest(1.0)
    print(f"4 processes x 25 YCLIENTS calls under Window(10): busiest second at the server = {busiest}")
    assert busiest <= 10
    assert fake_yc.refused == 0


def test_six_workers_on_one_vk_group_token_get_no_error_6(redis_url: str) -> None:
    with FakeVK(token_kinds={GROUP: "group"}, enforce_limits=True) as fake:
        warm_up(fake)
        time.sleep(1.0)  # the warm-up request leaves the fake's window
        arrivals = Arrivals.of(fake)
        workers = [spawn("tests.redis.workers", "vk", fake.url, redis_url, 20, GROUP) for _ in range(6)]
        done = reports(workers)
    assert done == [{"calls": 20, "errors": []}] * 6
    assert fake.refused == 0
    busiest = arrivals.busiest(1.0)
    print(f"6 processes x 20 VK calls on one group token: busiest second at the server = {busiest}")
    assert busiest <= 20
