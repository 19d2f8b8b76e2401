"""A rate-limit schedule in Redis, shared by every process on one token.

    limiter = RateLimiter([Window(5), Window(200, 60)], backend=RedisBackend.from_url("redis://host:6379/0"))
    vk = VK(token=..., rate_limit=VKRateLimiter(RATES, backend=RedisBackend.from_url(url)))

A booking is one Lua script, so it is atomic however many processes book at once, and it reads
Redis' clock (`TIME`): the hosts' clocks never have to agree. It applies the same rule as the
in-process `LocalBackend` (`apiforge.core.ratelimit.next_slot`): spaced at the tightest window's
pace, a whole window after the booking `limit` places back. Each window of a key is a list of its
last `limit` bookings, which expires once the window has passed.

Keys are `apiforge:rate:{<key>}:...`, where `<key>` is the limiter's key: a token's kind and a hash of
it (`vk:group:3f2a...`), never the token. The braces keep one key's lists in one Redis Cluster slot.

When Redis cannot be reached, `on_unavailable` decides:
- `"local"` (the default): the process books in its own `LocalBackend` and logs a WARNING once; it
  tries Redis again after `retry_after` seconds. Each process then keeps the limit alone, so the
  processes together may exceed it for the outage (the API answers "too many requests", which the
  clients retry with backoff).
- `"fail"`: the call fails with `RedisUnavailableError` before anything is sent.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, Literal

from apiforge.core.ratelimit import LocalBackend, spacing
from apiforge.redis.connection import UNAVAILABLE, Connection
from apiforge.redis.errors import RedisUnavailableError

logger = logging.getLogger("apiforge.redis")

# KEYS[1]: the key's last booking; KEYS[2..]: one list per window, its last `limit` bookings (oldest first).
# ARGV: limit and seconds of each window, then the spacing. Returns the wait, in seconds, as a string
# (a Lua number would come back as a truncated integer).
BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local windows = #KEYS - 1
local start = now
local last = redis.call('GET', KEYS[1])
if last then start = math.max(start, tonumber(last) + tonumber(ARGV[2 * windows + 1])) end
local longest = 0
for i = 1, windows do
  local limit, seconds = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  longest = math.max(longest, seconds)
  if redis.call('LLEN', KEYS[i + 1]) >= limit then
    start = math.max(start, tonumber(redis.call('LINDEX', KEYS[i + 1], -limit)) + seconds)
  end
end
local booked = string.format('%.6f', start)
for i = 1, windows do
  local limit, seconds = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('RPUSH', KEYS[i + 1], booked)
  redis.call('LTRIM', KEYS[i + 1], -limit, -1)
  redis.call('PEXPIRE', KEYS[i + 1], math.ceil((start - now + seconds) * 1000) + 1000)
end
redis.call('SET', KEYS[1], booked, 'PX', math.ceil((start - now + longest) * 1000) + 1000)
return string.format('%.6f', start - now)
"""

OnUnavailable = Literal["local", "fail"]


class RedisBackend:
    """A `RateLimiterBackend` in Redis: one schedule per key for every process that uses it.

    Args:
        connection: the Redis to use (`RedisBackend.from_url` makes one from a URL).
        prefix: the start of every key it writes.
        on_unavailable: `"local"` (book in this process, with a warning) or `"fail"` (raise
            `RedisUnavailableError`) when Redis cannot be reached.
        retry_after: seconds to stay on the local schedule before trying Redis again.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        prefix: str = "apiforge:",
        on_unavailable: OnUnavailable = "local",
        retry_after: float = 5.0,
    ) -> None:
        if on_unavailable not in ("local", "fail"):
            raise ValueError(f"on_unavailable must be 'local' or 'fail', got {on_unavailable!r}")
        self.connection = connection
        self.prefix = prefix
        self.on_unavailable: OnUnavailable = on_unavailable
        self.retry_after = retry_after
        self.local = LocalBackend()
        """The schedule used while Redis is unreachable (`on_unavailable="local"`)."""
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "apiforge:",
        on_unavailable: OnUnavailable = "local",
        retry_after: float = 5.0,
        **options: Any,
    ) -> RedisBackend:
        """A backend on the Redis at `url` (`redis://[:password@]host:port/db`); `options` go to redis-py."""
        return cls(Connection(url, **options), prefix=prefix, on_unavailable=on_unavailable, retry_after=retry_after)

    def __repr__(self) -> str:
        return f"RedisBackend({self.connection!r}, on_unavailable={self.on_unavailable!r})"

    def keys(self, key: str, windows: Sequence[tuple[int, float]]) -> list[str]:
        """The Redis keys of one limiter key: its last booking, then one list per window."""
        base = f"{self.prefix}rate:{{{key}}}"
        return [f"{base}:last", *(f"{base}:{limit}/{seconds!r}" for limit, seconds in windows)]

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """Book one request in Redis; the wait before it (on Redis' clock; `now` is used only when Redis is down)."""
        if not self._redis_down():
            try:
                answer = self.connection.sync.eval(BOOK, len(windows) + 1, *self._arguments(key, windows))
            except UNAVAILABLE as error:
                self._went_down(error)
            else:
                return _seconds(answer)
        return self.local.reserve(key, windows, now)

    async def areserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """`reserve` for the async clients: awaits Redis, the event loop runs on."""
        if not self._redis_down():
            try:
                answer = await self.connection.aio.eval(BOOK, len(windows) + 1, *self._arguments(key, windows))
            except UNAVAILABLE as error:
                self._went_down(error)
            else:
                return _seconds(answer)
        return self.local.reserve(key, windows, now)

    def _arguments(self, key: str, windows: Sequence[tuple[int, float]]) -> list[str]:
        limits = [str(value) for limit, seconds in windows for value in (limit, repr(float(seconds)))]
        return [*self.keys(key, windows), *limits, repr(spacing(windows))]

    def _redis_down(self) -> bool:
        with self._lock:
            return time.monotonic() < self._down_until

    def _went_down(self, error: BaseException) -> None:
        if self.on_unavailable == "fail":
            raise RedisUnavailableError(
                f"rate limiter: Redis at {self.connection!r} is unreachable ({type(error).__name__})"
            ) from None
        with self._lock:
            self._down_until = time.monotonic() + self.retry_after
        logger.warning(
            "rate limiter: Redis at %r is unreachable (%s); booking in this process for %.0f s: "
            "other processes on the same token are not counted meanwhile",
            self.connection,
            type(error).__name__,
            self.retry_after,
        )


def _seconds(answer: object) -> float:
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    wait = float(text)
    return wait if math.isfinite(wait) and wait > 0 else 0.0


__all__ = ["BOOK", "OnUnavailable", "RedisBackend"]
