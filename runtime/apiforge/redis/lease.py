"""A lease in Redis: one holder at a time, renewed while it lives, free for another once it lapses.

    lease = Lease(connection, "apiforge:lease:vk:bots:1", seconds=10)
    if await lease.acquire():      # SET key owner NX PX: only when nobody holds it
        await lease.renew()        # only while it is still ours (a Lua compare-and-expire)

The owner id names the host and the process (`host:pid:random`), so an operator can tell who leads.
A holder that dies stops renewing; the key expires after `seconds` and another process acquires it.
What the holder writes is fenced with the same check (see `SharedStream.publish`): a holder that
lost its lease (paused too long, then woke up) cannot write any more.
"""

from __future__ import annotations

import os
import socket
import uuid

from apiforge.redis.connection import Connection

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def owner_id() -> str:
    """`host:pid:random`: unique per holder, and telling an operator which process leads."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One named lease, held by `owner` for `seconds` at a time (async, on redis-py's asyncio client)."""

    def __init__(self, connection: Connection, key: str, *, seconds: float = 10.0, owner: str | None = None) -> None:
        if seconds <= 0:
            raise ValueError(f"a lease must last > 0 seconds, got {seconds}")
        self.connection = connection
        self.key = key
        self.seconds = seconds
        self.owner = owner or owner_id()

    @property
    def _ms(self) -> int:
        return max(1, round(self.seconds * 1000))

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it (or keep it, if it is ours); True when we hold it."""
        if await self.renew():
            return True
        return bool(await self.connection.aio.set(self.key, self.owner, nx=True, px=self._ms))

    async def renew(self) -> bool:
        """Extend the lease by `seconds` if it is still ours; False when it lapsed or another holds it."""
        return bool(await self.connection.aio.eval(RENEW, 1, self.key, self.owner, str(self._ms)))

    async def release(self) -> None:
        """Give the lease up now (if it is ours), so that another process takes over without waiting."""
        await self.connection.aio.eval(RELEASE, 1, self.key, self.owner)

    async def holder(self) -> str | None:
        """Who holds the lease now (None: nobody)."""
        value = await self.connection.aio.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


__all__ = ["Lease", "owner_id"]
