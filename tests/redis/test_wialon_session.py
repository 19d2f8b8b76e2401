"""One Wialon session for every process on an account, on a real redis-server with real processes."""

from __future__ import annotations

import time

import redis

from apiforge.redis import share_session
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon
from tests.redis.support import reports, spawn
from tests.redis.test_shared_events import wait_for

UNIT = 734455


def test_three_processes_log_in_once_and_log_in_again_once_after_expiry(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with FakeWialon() as fake:
        workers = [spawn("tests.redis.workers", "wialon", fake.url, redis_url, 5, fake.token) for _ in range(3)]
        wait_for(lambda: client.llen("test:ready") == 3, 120, "every worker's first calls")
        first = fake.logins
        fake.expire_session()  # the session times out on the server
        client.set("test:go", "1")
        done = reports(workers)
        second = fake.logins
    print(f"3 processes on one Wialon account: {first} login, then {second - first} re-login after expiry")
    assert done == [{"calls": 10}] * 3
    assert first == 1  # one login for all three
    assert second == 2  # one re-login for all three
    keys = [key.decode() for key in client.keys("apiforge:wialon:*")]
    assert keys and all(fake.token not in key for key in keys)


def test_the_per_session_limit_of_ten_holds_across_processes(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with FakeWialon() as fake:
        workers = [spawn("tests.redis.workers", "wialon_load", fake.url, redis_url, 6, fake.token) for _ in range(3)]
        wait_for(lambda: client.llen("test:ready") == 3, 120, "the workers on the shared session")
        fake.hold()  # every request now waits at the server, counted as in flight
        client.set("test:go", "1")  # 3 x 6 = 18 calls at once on one session
        assert fake.wait_in_flight(10, timeout=120)
        time.sleep(2.0)  # room for more to arrive, were the limit per process
        in_flight = fake.peak_now()
        fake.release()
        done = reports(workers)
        peak = fake.peak()
    print(f"3 processes x 6 threads on one shared Wialon session: at most {peak} requests in flight at the server")
    assert done == [{"calls": 6, "errors": []}] * 3
    assert in_flight == 10
    assert peak == 10


def test_a_process_that_closes_leaves_the_shared_session_open(redis_url: str) -> None:
    with FakeWialon() as fake:
        with Wialon(token=fake.token, base_url=fake.url) as one:
            share_session(one, redis=redis_url)
            one.core.search_item(id=UNIT, flags=1)
        assert fake.calls_to("core/logout") == []  # the others may still use it
        with Wialon(token=fake.token, base_url=fake.url) as two:
            share_session(two, redis=redis_url)
            two.core.search_item(id=UNIT, flags=1)
        assert fake.logins == 1


async def test_the_async_client_takes_the_session_of_the_sync_one(redis_url: str) -> None:
    with FakeWialon() as fake:
        with Wialon(token=fake.token, base_url=fake.url) as sync_client:
            share_session(sync_client, redis=redis_url)
            sync_client.core.search_item(id=UNIT, flags=1)
            async with AsyncWialon(token=fake.token, base_url=fake.url) as async_client:
                share_session(async_client, redis=redis_url)
                await async_client.core.search_item(id=UNIT, flags=1)
                fake.expire_session()
                await async_client.core.search_item(id=UNIT, flags=1)  # logs in again, for both
                sync_client.core.search_item(id=UNIT, flags=1)  # takes the new session: no login
        assert fake.logins == 2


def test_share_session_needs_a_wialon_client() -> None:
    import pytest

    with pytest.raises(TypeError, match="share_session needs a Wialon or AsyncWialon client, got str"):
        share_session("not a client", redis="redis://127.0.0.1:1/0")
