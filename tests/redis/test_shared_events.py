"""One long poll for many workers, and each event handled once, on a real redis-server with real processes."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from apiforge.testing.vk import FakeVK
from tests.redis.support import reports, spawn

GROUP_TOKEN = "group-token-of-the-shared-poll"
LEASE = 3.0
WAIT = 2.0  # the poll timeout the workers use


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
    for process in started:
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def join(fake: FakeVK, user_id: int) -> str:
    """A user joins community 1: a group_join event; its event_id."""
    return str(fake.longpoll.push("group_join", {"user_id": user_id, "join_type": "join"})["event_id"])


def handled(client: redis.Redis) -> list[tuple[str, int]]:
    notes = [item.decode().split() for item in client.lrange("test:handled", 0, -1)]
    return [(event_id, int(pid)) for event_id, pid in notes]


def test_three_workers_one_long_poll_the_leader_killed_mid_stream(
    redis_url: str, workers: list[subprocess.Popen[str]]
) -> None:
    client = redis.Redis.from_url(redis_url)
    lease_key = "apiforge:lease:vk:bots:1"
    with FakeVK(token_kinds={GROUP_TOKEN: "group"}) as fake:
        workers.extend(
            spawn("tests.redis.workers", "longpoll", fake.url, redis_url, LEASE, GROUP_TOKEN) for _ in range(3)
        )
        # A poll starts from the events after it first asked for a server: wait for a published position.
        wait_for(lambda: client.get("apiforge:events:vk:bots:1:ts"), 120, "a leader's first poll")
        first = [join(fake, 100 + n) for n in range(15)]
        wait_for(lambda: len(handled(client)) >= 15, 120, "the first 15 events")
        polls_before = len([c for c in fake.calls if c.method == "groups.getLongPollServer"])

        leader = client.get(lease_key).decode()
        leader_pid = int(leader.split(":")[1])
        victim = next(p for p in workers if p.pid == leader_pid)
        # Mid-stream: events keep coming while the leader dies and after.
        second = [join(fake, 200 + n) for n in range(5)]
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        second += [join(fake, 300 + n) for n in range(10)]

        def new_leader() -> bool:
            holder = client.get(lease_key)
            return holder is not None and holder.decode() != leader

        wait_for(new_leader, 120, "a new leader")
        took_over = time.monotonic() - killed
        everything = first + second
        wait_for(lambda: {e for e, _ in handled(client)} >= set(everything), 120, "every event")
        delivered = time.monotonic() - killed
        time.sleep(WAIT + 1)  # a duplicate would show up by now
        notes = handled(client)

    counts = collections.Counter(event_id for event_id, _ in notes)
    duplicates = sum(count - 1 for count in counts.values())
    print(
        f"leader killed: take-over in {took_over:.2f} s (lease {LEASE} s + poll timeout {WAIT} s), "
        f"every event handled {delivered:.2f} s after the kill; {len(notes)} handled, {duplicates} duplicates; "
        f"handled by {len({pid for _, pid in notes})} workers"
    )
    assert sorted(counts) == sorted(everything)
    assert duplicates == 0
    assert took_over <= LEASE + WAIT + LEASE / 3 + 1.0  # the lease lapses, a worker's next try takes it
    assert polls_before >= 1
    assert len({pid for _, pid in notes if pid != leader_pid}) >= 1


def test_the_same_callback_posted_to_three_workers_is_handled_once(redis_url: str) -> None:
    body = json.dumps(
        {
            "type": "message_new",
            "event_id": "3f6a1b0c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a",
            "v": "5.199",
            "group_id": 1,
            "secret": "s3cret",
            "object": {"message": {"id": 7, "date": 1700000000, "peer_id": 5, "from_id": 5, "text": "hi",
                                   "out": 0, "conversation_message_id": 7, "fwd_messages": [], "important": False,
                                   "is_hidden": False, "attachments": [], "random_id": 0},
                       "client_info": {"button_actions": ["text"], "keyboard": True, "inline_keyboard": True,
                                       "carousel": True, "lang_id": 0}},
        }
    )  # fmt: skip
    # Three workers behind a load balancer get VK's first delivery and two retries, at once.
    done = reports([spawn("tests.redis.workers", "callback", body, redis_url, 0, "-") for _ in range(3)])
    client = redis.Redis.from_url(redis_url)
    notes = handled(client)
    print(f"one callback event posted to 3 workers: handled {len(notes)} time(s), {len(notes) - 1} duplicates")
    assert sorted(d["handled"] for d in done) == [False, False, True]
    assert len(notes) == 1
    assert client.ttl("apiforge:seen:vk:3f6a1b0c9d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a") > 3600


def test_three_workers_one_avl_poll_on_a_shared_session_the_leader_killed(
    redis_url: str, workers: list[subprocess.Popen[str]]
) -> None:
    from apiforge.testing.wialon import FakeWialon

    client = redis.Redis.from_url(redis_url)
    with FakeWialon() as fake:
        workers.extend(spawn("tests.redis.workers", "avl", fake.url, redis_url, LEASE, fake.token) for _ in range(3))
        ts_keys = lambda: client.keys("apiforge:events:wialon:avl:*:ts")  # noqa: E731
        wait_for(ts_keys, 120, "a leader's first poll")
        lease_key = ts_keys()[0].decode().replace("events:", "lease:").removesuffix(":ts")
        times = [2_000_000 + n for n in range(16)]
        for t in times[:8]:
            fake.push_message(734455, x=30.0, y=50.0, t=t)
        wait_for(lambda: len(handled(client)) >= 8, 120, "the first 8 events")
        leader = client.get(lease_key).decode()
        victim = next(p for p in workers if p.pid == int(leader.split(":")[1]))
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        for t in times[8:]:
            fake.push_message(734455, x=30.0, y=50.0, t=t)
        wait_for(lambda: len({e for e, _ in handled(client)}) >= 16, 120, "every event")
        delivered = time.monotonic() - killed
        time.sleep(3.0)
        notes = handled(client)
        logins = fake.logins
    counts = collections.Counter(int(t) for t, _ in notes)
    duplicates = sum(count - 1 for count in counts.values())
    print(f"AVL, leader killed: every event handled {delivered:.2f} s after the kill, {duplicates} duplicates")
    assert sorted(counts) == times
    assert duplicates == 0
    assert logins == 1  # one session for the three workers, the new leader included


def test_a_yclients_webhook_retried_to_three_workers_is_handled_once(redis_url: str) -> None:
    body = json.dumps(
        {
            "company_id": 4564,
            "resource": "client",
            "resource_id": 77,
            "status": "update",
            "data": {"id": 77, "name": "A"},
        }
    )
    done = reports([spawn("tests.redis.workers", "webhook", body, redis_url, 0, "-") for _ in range(3)])
    notes = handled(redis.Redis.from_url(redis_url))
    print(f"one YCLIENTS webhook posted to 3 workers: handled {len(notes)} time(s), {len(notes) - 1} duplicates")
    assert sorted(d["handled"] for d in done) == [False, False, True]
    assert [event for event, _ in notes] == ["client:77"]
