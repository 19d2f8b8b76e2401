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


ROLES = {"yclients": yclients, "vk": vk}

if __name__ == "__main__":
    role, server, redis_url, calls, secret = sys.argv[1:6]
    print(json.dumps(ROLES[role](server, redis_url, int(calls), secret)), flush=True)
