"""Worker processes for the several-process tests: `python -m tests.redis.workers <role> <args...>`.

The limiters keep a margin of 0.25 s, not the default 0.1 s: several processes on a test machine
whose 2 cores are shared by many more (load 7 and up) wake up to ~0.2 s late, and the margin must
cover the jitter of where it runs (see docs/several-processes.md).

Each prints one JSON line on stdout when it is done (what it did), so the test can check every worker.
"""

from __future__ import annotations

import json
import sys

from apiforge.core import RateLimiter, Window

MARGIN = 0.25


def yclients(server: str, redis_url: str, calls: int, partner: str) -> dict[str, object]:
    """`calls` YCLIENTS calls under a shared Window(10)."""
    from apiforge.redis import RedisBackend
    from apiforge.yclients import Yclients

    backend = RedisBackend.from_url(redis_url, on_unavailable="fail")
    limiter = RateLimiter([Window(10)], backend=backend, margin=MARGIN)
    with Yclients(partner_token=partner, base_url=server, rate_limit=limiter, max_retries=0) as yc:
        for _ in range(calls):
            yc.companies.list()
    return {"calls": calls}


def vk(server: str, redis_url: str, calls: int, token: str) -> dict[str, object]:
    """`calls` VK calls on a group token under the default per-kind limiter, shared in Redis."""
    from apiforge.core import VKRateLimiter
    from apiforge.redis import RedisBackend
    from apiforge.vk import VK
    from apiforge.vk.errors import VKAPIError

    backend = RedisBackend.from_url(redis_url, on_unavailable="fail")
    limiter = VKRateLimiter({"user": 3, "group": 20}, backend=backend, margin=MARGIN)
    errors: list[int] = []
    with VK(token=token, token_kind="group", base_url=server, rate_limit=limiter, max_retries=0) as client:
        for _ in range(calls):
            try:
                client.groups.get_token_permissions()
            except VKAPIError as error:
                errors.append(error.code)
    return {"calls": calls, "errors": errors}


def longpoll(server: str, redis_url: str, lease: str, token: str) -> None:
    """A worker of one shared Bots Long Poll (community 1) until it is terminated: each GroupJoin it
    handles is noted in the Redis list `test:handled` as `<event_id> <pid>`."""
    import asyncio
    import os

    import redis.asyncio

    from apiforge.core.events import Router
    from apiforge.redis import SharedBotLongPoll
    from apiforge.vk import AsyncVK
    from apiforge.vk.updates import GroupJoin

    async def main() -> None:
        notes = redis.asyncio.Redis.from_url(redis_url)
        router = Router()

        @router.on(GroupJoin)
        async def note(update: GroupJoin) -> None:
            await notes.rpush("test:handled", f"{update.event_id} {os.getpid()}")

        async with AsyncVK(token=token, token_kind="group", base_url=server, rate_limit=None) as vk:
            poll = SharedBotLongPoll(vk, group_id=1, redis=redis_url, wait=2, lease=float(lease), claim_after=3.0)
            await poll.run(router)

    asyncio.run(main())


def callback(body: str, redis_url: str, _calls: int, _secret: str) -> dict[str, object]:
    """Receive one Callback API body (as a worker behind a load balancer would) and handle it once."""
    import os

    import redis as sync_redis

    from apiforge.core.events import Router, parse_callback
    from apiforge.redis import Deduplicator
    from apiforge.vk.updates import MessageNew

    notes = sync_redis.Redis.from_url(redis_url)
    router = Router()

    @router.on(MessageNew)
    def note(update: MessageNew) -> None:
        notes.rpush("test:handled", f"{update.event_id} {os.getpid()}")

    seen = Deduplicator.from_url(redis_url)
    update = parse_callback(body, secret="s3cret", confirmation="c0de")
    assert not isinstance(update, str)
    handled = seen.first("vk", update.event_id)
    if handled:
        router.handle(update)
    return {"handled": handled}


def wialon(server: str, redis_url: str, calls: int, token: str) -> dict[str, object]:
    """`calls` Wialon calls on a session shared in Redis; then, once the test sets `test:go`, as many again."""
    import time

    import redis as sync_redis

    from apiforge.redis import share_session
    from apiforge.wialon import Wialon

    notes = sync_redis.Redis.from_url(redis_url)
    with Wialon(token=token, base_url=server, rate_limit=None) as w:
        share_session(w, redis=redis_url)
        for _ in range(calls):
            w.core.search_item(id=UNIT, flags=1)
        notes.rpush("test:ready", "1")
        deadline = time.monotonic() + 120
        while not notes.get("test:go") and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(calls):  # the session expired meanwhile: one of the workers logs in again
            w.core.search_item(id=UNIT, flags=1)
    return {"calls": 2 * calls}


def wialon_load(server: str, redis_url: str, threads: int, token: str) -> dict[str, object]:
    """On a session shared in Redis: once the test sets `test:go`, `threads` calls at once, from threads."""
    import threading
    import time

    import redis as sync_redis

    from apiforge.redis import share_session
    from apiforge.wialon import Wialon

    notes = sync_redis.Redis.from_url(redis_url)
    errors: list[str] = []
    with Wialon(token=token, base_url=server, rate_limit=None, max_retries=0) as w:
        share_session(w, redis=redis_url)
        w.core.search_item(id=UNIT, flags=1)  # the shared session is open
        notes.rpush("test:ready", "1")
        deadline = time.monotonic() + 120
        while not notes.get("test:go") and time.monotonic() < deadline:
            time.sleep(0.05)

        def one() -> None:
            try:
                w.core.search_item(id=UNIT, flags=1)
            except Exception as error:
                errors.append(type(error).__name__)

        running = [threading.Thread(target=one) for _ in range(threads)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
    return {"calls": threads, "errors": errors}


def avl(server: str, redis_url: str, lease: str, token: str) -> None:
    """A worker of one shared AVL poll (unit 734455) until terminated: each `m` event it handles is noted
    in `test:handled` as `<message time> <pid>`."""
    import asyncio
    import os

    import redis.asyncio

    from apiforge.core.events import Router
    from apiforge.redis import SharedAvlPoll, share_session
    from apiforge.wialon import AsyncWialon
    from apiforge.wialon.models.events import AvlMessageEvent
    from apiforge.wialon.models.flags import UpdateDataFlagsMode
    from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType

    async def main() -> None:
        notes = redis.asyncio.Redis.from_url(redis_url)
        router = Router()

        @router.on(AvlMessageEvent)
        async def note(event: AvlMessageEvent) -> None:
            await notes.rpush("test:handled", f"{event.d.t} {os.getpid()}")

        spec = UpdateDataFlagsSpec(
            type=UpdateDataFlagsSpecType.COL, data=[UNIT], flags=0x1 | 0x400, mode=UpdateDataFlagsMode.ADD
        )
        async with AsyncWialon(token=token, base_url=server, rate_limit=None) as w:
            share_session(w, redis=redis_url)
            poll = SharedAvlPoll(w, subscriptions=[spec], redis=redis_url, interval=1.0, lease=float(lease))
            poll.claim_after = 3.0
            await poll.run(router)

    asyncio.run(main())


UNIT = 734455


def webhook(body: str, redis_url: str, _calls: int, _secret: str) -> dict[str, object]:
    """Receive one YCLIENTS webhook body and handle it once (claim, handle, done), as a web worker would."""
    import os

    import redis as sync_redis

    from apiforge.core.events import parse_webhook
    from apiforge.redis import Deduplicator, body_id

    notes = sync_redis.Redis.from_url(redis_url)
    seen = Deduplicator.from_url(redis_url)
    event = parse_webhook(body)
    key = body_id(body)
    if not seen.claim("yclients", key):
        return {"handled": False}
    try:
        notes.rpush("test:handled", f"{event.resource}:{event.resource_id} {os.getpid()}")
    except BaseException:
        seen.release("yclients", key)
        raise
    seen.done("yclients", key)
    return {"handled": True}


ROLES = {
    "webhook": webhook,
    "yclients": yclients,
    "vk": vk,
    "callback": callback,
    "wialon": wialon,
    "wialon_load": wialon_load,
}

if __name__ == "__main__":
    role = sys.argv[1]
    if role == "longpoll":
        longpoll(*sys.argv[2:6])
    elif role == "avl":
        avl(*sys.argv[2:6])
    else:
        server, redis_url, calls, secret = sys.argv[2:6]
        print(json.dumps(ROLES[role](server, redis_url, int(calls) if calls.isdigit() else 0, secret)), flush=True)
