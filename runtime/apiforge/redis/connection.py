"""One Redis, reached from sync code and from any event loop: the redis-py clients of a URL.

redis-py has a client for blocking code (`redis.Redis`) and one for asyncio (`redis.asyncio.Redis`);
an asyncio client belongs to the loop it first ran on, so there is one per loop.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import redis
import redis.asyncio

# A Redis that does not answer should fail a call in seconds, not hang it (see each module's failure mode).
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0

UNAVAILABLE: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError, OSError)
"""What a Redis that is down or unreachable raises."""


class Connection:
    """The sync client and the per-loop async clients of one Redis URL, made on first use."""

    def __init__(self, url: str, **options: Any) -> None:
        options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
        options.setdefault("socket_timeout", COMMAND_TIMEOUT)
        self._url = url
        self._options = options
        self._sync: redis.Redis | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        # The URL may hold a password: show the host only.
        host = self._url.rsplit("@", 1)[-1]
        return f"Connection({host!r})"

    @property
    def sync(self) -> redis.Redis:
        """The client for blocking code (thread-safe: it has a connection pool)."""
        with self._lock:
            if self._sync is None:
                self._sync = redis.Redis.from_url(self._url, **self._options)  # pyright: ignore[reportUnknownMemberType]
            return self._sync

    @property
    def aio(self) -> redis.asyncio.Redis:
        """The asyncio client of the running event loop."""
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = self._async[loop] = redis.asyncio.Redis.from_url(self._url, **self._options)  # pyright: ignore[reportUnknownMemberType]
        return client

    def close(self) -> None:
        """Close the sync client's connections (async ones close with their loop)."""
        with self._lock:
            if self._sync is not None:
                self._sync.close()
                self._sync = None


__all__ = ["UNAVAILABLE", "Connection"]
