"""A community bot run as several processes on one group token, coordinated through Redis.

Start a plain Redis, then as many workers as you like (no docker-compose needed):

    redis-server --port 6379 --save '' --appendonly no &
    export APIFORGE_VK_TOKEN=<community token> APIFORGE_VK_GROUP_ID=<community id>
    export APIFORGE_REDIS_URL=redis://127.0.0.1:6379/0
    python -m examples.several_processes.worker &
    python -m examples.several_processes.worker &
    python -m examples.several_processes.worker &

Offline, against the fake VK: `apiforge fake vk --port 8080 &` and `export APIFORGE_VK_BASE_URL=http://127.0.0.1:8080`.

What the workers share (see docs/several-processes.md): the token's 20 requests per second (one
schedule in Redis), one Bots Long Poll (one worker polls, by lease; every worker handles events
from a Redis Stream), and each event handled once. Kill any worker, the leader included: the others
go on, from where it stopped.
"""

from __future__ import annotations

import asyncio
import os

from apiforge.core import VKRateLimiter
from apiforge.core.events import Router
from apiforge.redis import RedisBackend, SharedBotLongPoll
from apiforge.vk import AsyncVK
from apiforge.vk.updates import MessageNew


def make_router(vk: AsyncVK) -> Router:
    """The bot: answers every message with its length."""
    router = Router()

    @router.on(MessageNew)
    async def reply(update: MessageNew) -> None:
        message = update.object.message
        if message is not None and message.peer_id is not None:
            await vk.messages.send(
                peer_id=message.peer_id, message=f"{len(message.text or '')} characters, pid {os.getpid()}"
            )

    return router


async def run(*, base_url: str, redis_url: str, group_id: int, token: str) -> None:
    """One worker: until it is stopped (Ctrl-C, SIGTERM)."""
    # One schedule for the token in Redis: the 20 requests per second hold for all workers together.
    limiter = VKRateLimiter({"group": 20}, backend=RedisBackend.from_url(redis_url))
    async with AsyncVK(token=token, token_kind="group", base_url=base_url, rate_limit=limiter) as vk:
        poll = SharedBotLongPoll(vk, group_id=group_id, redis=redis_url)
        await poll.run(make_router(vk))


def main(
    base_url: str | None = None, redis_url: str | None = None, group_id: int | None = None, token: str | None = None
) -> None:
    """Run one worker, with settings from the arguments or the environment."""
    asyncio.run(
        run(
            base_url=base_url or os.environ.get("APIFORGE_VK_BASE_URL", "https://api.vk.com"),
            redis_url=redis_url or os.environ.get("APIFORGE_REDIS_URL", "redis://127.0.0.1:6379/0"),
            group_id=group_id or int(os.environ["APIFORGE_VK_GROUP_ID"]),
            token=token or os.environ["APIFORGE_VK_TOKEN"],
        )
    )


if __name__ == "__main__":
    main()
