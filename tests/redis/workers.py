"""Worker processes for the several-process tests: `python -m tests.redis.workers <role> <args...>`.

Each prints one JSON line on stdout when it is done (what it did), so the test can check every worker.
"""

from __future__ import annotations

import json
import sys

from apiforge.core import RateLimiter, Window


def yclients(server: str, redis_url: str, calls: int, partner: str) -> dict[str, object]:
    """`calls` YCLIENTS calls under a shared Window(10)."""
    from apiforge.redis import RedisBackend
    from apiforge.yclients import Yclients

    limiter = RateLimiter([Window(10)], backend=RedisBackend.from_url(redis_url, on_unavailable="fail"))
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

    limiter = VKRateLimiter({"user": 3, "group": 20}, backend=RedisBackend.from_url(redis_url, on_unavailable="fail"))
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
