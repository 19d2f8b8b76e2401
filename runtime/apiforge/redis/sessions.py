"""One Wialon session shared by every process on an account, kept in Redis behind a lock.

    w = Wialon(token=...)
    share_session(w, redis="redis://host:6379/0")     # before the first call; AsyncWialon alike

The first process to need a session logs in and stores the login response (with the session id)
under `apiforge:wialon:session:<hash of base URL, token and operate_as>`; the others take it.
When the server says the session is gone, the first process to hold the lock logs in again and
stores the new one; the others find it and take it: one re-login for all. A process that closes
does not log out (the others still use the session); it expires on the server once unused.

The per-session limits (10 requests in flight, 3 heavy, one per exclusive group) hold across the
processes too: each is a semaphore in Redis, a sorted set of holders taken and given back by Lua
scripts (`TAKE`, on Redis' clock); a holder that died is dropped after `hold_timeout` seconds.

The lock is redis-py's (`Redis.lock`): it expires after `lock_timeout` seconds should its holder die.
The stored session lives `ttl` seconds (Wialon ends an idle session after 5 minutes; a session the
server ended is replaced on its first error anyway).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from apiforge.core.effects import Hold, Remote
from apiforge.core.types import JSON
from apiforge.redis.connection import Connection

# KEYS[1]: the semaphore (holder -> when taken); ARGV: size, holder, hold timeout (s). 1 when taken.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000))
  return 1
end
return 0
"""
POLL = 0.01
"""Seconds between two tries for a full semaphore's slot."""


class RedisSessionStore:
    """A `SessionStore` in Redis (see the module's docs)."""

    def __init__(
        self,
        connection: Connection,
        *,
        ttl: float = 24 * 3600,
        lock_timeout: float = 60.0,
        hold_timeout: float = 300.0,
        prefix: str = "apiforge:",
    ) -> None:
        self.connection = connection
        self.ttl = ttl
        self.lock_timeout = lock_timeout
        self.hold_timeout = hold_timeout
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisSessionStore:
        """A store on the Redis at `url`; `options` go to redis-py."""
        return cls(Connection(url, **options))

    def __repr__(self) -> str:
        return f"RedisSessionStore({self.connection!r})"

    def key(self, account: str) -> str:
        """The key of an account's session: a hash (the account string holds the token)."""
        return f"{self.prefix}wialon:session:{hashlib.sha256(account.encode()).hexdigest()[:24]}"

    def lock(self, account: str) -> Remote:
        """Take the account's lock; the outcome is the redis-py lock, held."""
        name = self.key(account) + ":lock"

        def take() -> object:
            lock = self.connection.sync.lock(name, timeout=self.lock_timeout, blocking_timeout=self.lock_timeout * 2)
            if not lock.acquire():
                raise TimeoutError(
                    f"the Wialon session lock in Redis was not free within {self.lock_timeout * 2:.0f} s"
                )
            return lock

        async def atake() -> object:
            lock = self.connection.aio.lock(name, timeout=self.lock_timeout, blocking_timeout=self.lock_timeout * 2)
            if not await lock.acquire():
                raise TimeoutError(
                    f"the Wialon session lock in Redis was not free within {self.lock_timeout * 2:.0f} s"
                )
            return lock

        return Remote(take, atake)

    def unlock(self, handle: object) -> Remote:
        """Give back the lock `lock` took."""
        lock: Any = handle

        def release() -> object:
            lock.release()
            return None

        async def arelease() -> object:
            await lock.release()
            return None

        return Remote(release, arelease)

    def load(self, account: str) -> Remote:
        """The stored login response, or None."""
        key = self.key(account)

        def get() -> object:
            return _parsed(self.connection.sync.get(key))

        async def aget() -> object:
            return _parsed(await self.connection.aio.get(key))

        return Remote(get, aget)

    def save(self, account: str, response: Mapping[str, JSON]) -> Remote:
        """Store a new session's login response."""
        key, text, ms = self.key(account), json.dumps(response), max(1, round(self.ttl * 1000))

        def put() -> object:
            return self.connection.sync.set(key, text, px=ms)

        async def aput() -> object:
            return await self.connection.aio.set(key, text, px=ms)

        return Remote(put, aput)

    def slot(self, session: str, group: str, size: int) -> Hold:
        """One of `size` slots of `group` of the session (a hash of its id names it), across processes."""
        key = f"{self.prefix}wialon:slots:{hashlib.sha256(session.encode()).hexdigest()[:24]}:{group}"
        arguments = (str(size), str(self.hold_timeout))

        def take() -> object:
            holder = uuid.uuid4().hex
            while not self.connection.sync.eval(TAKE, 1, key, arguments[0], holder, arguments[1]):
                time.sleep(POLL)
            return holder

        async def atake() -> object:
            holder = uuid.uuid4().hex
            while not await self.connection.aio.eval(TAKE, 1, key, arguments[0], holder, arguments[1]):
                await asyncio.sleep(POLL)
            return holder

        def give(handle: object) -> Remote:
            def release() -> object:
                return self.connection.sync.zrem(key, str(handle))

            async def arelease() -> object:
                return await self.connection.aio.zrem(key, str(handle))

            return Remote(release, arelease)

        return Hold(Remote(take, atake), give)


def share_session(client: Any, *, redis: str | Connection | RedisSessionStore) -> None:
    """Make a `Wialon` / `AsyncWialon` client share its session with every process on the same Redis."""
    protocol = getattr(client, "_protocol", None)
    if protocol is None or not hasattr(protocol, "sessions"):
        raise TypeError(f"share_session needs a Wialon or AsyncWialon client, got {type(client).__name__}")
    if isinstance(redis, RedisSessionStore):
        store = redis
    else:
        store = RedisSessionStore(Connection(redis) if isinstance(redis, str) else redis)
    protocol.sessions = store


def _parsed(value: object) -> object:
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    return json.loads(text)


__all__ = ["RedisSessionStore", "share_session"]
