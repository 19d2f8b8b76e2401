"""The parts of the shared long poll on a real redis-server: the lease, the fenced publish, pending entries."""

from __future__ import annotations

import asyncio

from apiforge.redis import Connection, Deduplicator, Lease
from apiforge.redis.streams import SharedStream


async def test_one_lease_holder_at_a_time_and_a_lapsed_lease_is_taken_over(redis_url: str) -> None:
    connection = Connection(redis_url)
    one = Lease(connection, "apiforge:lease:t", seconds=0.5, owner="one")
    two = Lease(connection, "apiforge:lease:t", seconds=0.5, owner="two")
    assert await one.acquire()
    assert not await two.acquire()
    assert await one.renew()
    await asyncio.sleep(1.0)  # one stops renewing: the lease lapses
    assert not await one.renew()
    assert await two.acquire()
    assert await two.holder() == "two"


async def test_a_leader_that_lost_its_lease_publishes_nothing(redis_url: str) -> None:
    connection = Connection(redis_url)
    stream = SharedStream(connection, "apiforge:events:t")
    old = Lease(connection, "apiforge:lease:t", seconds=5, owner="old")
    assert await old.acquire()
    assert await stream.publish(old.key, "old", [{"event_id": "a"}], "2")
    await old.release()
    new = Lease(connection, "apiforge:lease:t", seconds=5, owner="new")
    assert await new.acquire()
    # The old leader wakes up with a reply it polled before: fenced out, events and position alike.
    assert not await stream.publish(old.key, "old", [{"event_id": "b"}], "3")
    assert await stream.ts() == "2"
    assert [event for _, event in await connection.aio.xrange(stream.key)] == [{b"event": b'{"event_id":"a"}'}]


async def test_an_entry_a_dead_worker_left_pending_is_claimed_by_another(redis_url: str) -> None:
    connection = Connection(redis_url)
    stream = SharedStream(connection, "apiforge:events:t")
    await stream.create_group()
    lease = Lease(connection, "apiforge:lease:t", seconds=5, owner="leader")
    assert await lease.acquire()
    await stream.publish(lease.key, "leader", [{"event_id": "x"}, {"event_id": "y"}], "3")
    taken = await stream.read("dies", count=1, block=0.1, claim_after=0.2)
    assert [event for _, event in taken] == [{"event_id": "x"}]  # read, never acknowledged: the worker died
    rest = await stream.read("lives", block=0.1, claim_after=0.2)
    assert [event for _, event in rest] == [{"event_id": "y"}]  # not yet idle long enough to be claimed
    await stream.ack(rest[0][0])
    await asyncio.sleep(0.4)
    claimed = await stream.read("lives", block=0.1, claim_after=0.2)
    assert [event for _, event in claimed] == [{"event_id": "x"}]
    await stream.ack(claimed[0][0])
    assert await stream.read("lives", block=0.1, claim_after=0.2) == []  # each entry handled once


def test_a_claim_lapses_when_its_worker_dies_and_done_is_for_good(redis_url: str) -> None:
    seen = Deduplicator.from_url(redis_url, ttl=60, claim_ttl=0.3)
    assert seen.claim("yclients", "hook-1")
    assert not seen.claim("yclients", "hook-1")  # another worker, at the same time
    assert not seen.first("yclients", "hook-1")
    seen.release("yclients", "hook-1")  # the handler failed: the retry is handled
    assert seen.claim("yclients", "hook-1")
    seen.done("yclients", "hook-1")
    assert not seen.claim("yclients", "hook-1")


async def test_the_async_deduplicator_agrees_with_the_sync_one(redis_url: str) -> None:
    seen = Deduplicator.from_url(redis_url, claim_ttl=0.3)
    assert await seen.afirst("vk", "e1")
    assert not seen.first("vk", "e1")
    assert await seen.aclaim("vk", "e2")
    await asyncio.sleep(0.5)  # the worker that claimed it died: the claim lapses
    assert await seen.aclaim("vk", "e2")
    await seen.adone("vk", "e2")
    assert await seen.is_done("vk", "e2")
