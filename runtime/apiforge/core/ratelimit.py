"""Client-side rate limits: calls wait for their turn, never fail.

A limit is "at most N requests in any window of T seconds" (VK: 3 per second per user token;
YCLIENTS: 5 per second and 200 per minute). What counts is what the *server* sees, and a request
reaches the server a little later than the limiter let it go, by a delay that varies (a new
connection, a busy event loop, a thread that wakes late). So each reservation is booked:

- a **margin** after every window: the limiter keeps N per T + margin (0.1 s by default), so that
  two requests a window apart stay a window apart at the server despite that jitter;
- with **spacing**: consecutive requests of one key go at least (T + margin) / N apart (for the
  tightest window), never N at one instant. A burst booked for one instant reaches the server
  spread out by transit, and then overlaps the next burst;
- on a **sliding window**: the request N places back must be a whole window (plus margin) before,
  so no stretch of T seconds ever holds more than N (200 per minute holds in every minute).

Where the schedule lives is a backend: `LocalBackend` (this process) or a shared one such as
`apiforge.redis.RedisBackend` (several processes on one token). The pipeline asks for a
reservation through the `Reserve` effect, so an async client awaits a remote backend.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs

DEFAULT_MARGIN = 0.1
"""Seconds added to every window: covers the jitter between leaving the client and reaching the server."""


class RateLimiterBackend(Protocol):
    """Where the schedule lives. The default keeps it in this process; a shared backend
    (several processes on one token, e.g. `apiforge.redis.RedisBackend`) implements the same method.

    A backend that does I/O also defines `async def areserve(key, windows, now) -> float`, the same
    booking for the async clients (see `AsyncRateLimiterBackend`); without it they call `reserve`.
    """

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """Book one request under `key`, within every (limit, seconds) window; return the wait before it.

        `windows` already include the margin. The booking follows `next_slot`: spaced by the tightest
        window's interval and a whole window after the request `limit` places back.
        """
        ...


@runtime_checkable
class AsyncRateLimiterBackend(RateLimiterBackend, Protocol):
    """A backend the async clients await (Redis): `reserve` for the sync ones, `areserve` for these."""

    async def areserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """`reserve`, awaited: the event loop runs on while the booking travels."""
        ...


def spacing(windows: Sequence[tuple[int, float]]) -> float:
    """The least gap between two requests of one key: the interval of the tightest window."""
    return min(seconds / limit for limit, seconds in windows)


def next_slot(
    now: float, last: float | None, oldest: Sequence[float | None], windows: Sequence[tuple[int, float]]
) -> float:
    """When the next request may go: not before `now`, `spacing` after the `last` booking, and a whole
    window after each window's booking `limit` places back (`oldest[i]`, None while the window has room).

    The one rule of booking; `LocalBackend` applies it in Python, `RedisBackend` in its Lua script.
    """
    start = now
    if last is not None:
        start = max(start, last + spacing(windows))
    for (_, seconds), booked in zip(windows, oldest, strict=True):
        if booked is not None:
            start = max(start, booked + seconds)
    return start


class LocalBackend:
    """Sliding-window schedules in memory, safe across threads."""

    def __init__(self) -> None:
        self._schedules: dict[tuple[str, int, float], deque[float]] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """Book one request under `key`; the wait before it (see `next_slot`)."""
        with self._lock:
            logs: list[deque[float]] = []
            for limit, seconds in windows:
                booked = self._schedules.get((key, limit, seconds))
                if booked is None:
                    booked = self._schedules[(key, limit, seconds)] = deque(maxlen=limit)
                logs.append(booked)
            oldest = [log[0] if len(log) == log.maxlen else None for log in logs]
            start = next_slot(now, self._last.get(key), oldest, windows)
            for log in logs:
                log.append(start)
            self._last[key] = start
            return start - now

    async def areserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """The same booking: it never blocks for long (one lock, no I/O)."""
        return self.reserve(key, windows, now)


@attrs.frozen
class Window:
    """At most `requests` per `seconds`."""

    requests: float
    seconds: float = 1.0

    def normalized(self, requests: float | None = None) -> tuple[int, float]:
        """(whole requests, seconds): a fractional limit such as 0.5/s becomes 1 per 2 s."""
        count = self.requests if requests is None else requests
        if count <= 0:
            raise ValueError(f"a rate limit must be positive, got {count}")
        if count < 1:
            return 1, self.seconds / count
        whole = math.floor(count)
        return whole, self.seconds * whole / count


class RateLimiter:
    """Limits per key: a call waits for the latest of its windows.

    Args:
        windows: the limits, each held in every stretch of its length (`[Window(5), Window(200, 60)]`).
        backend: where the schedule lives (default: this process, `LocalBackend`).
        margin: seconds added to every window against transit jitter (`DEFAULT_MARGIN`, 0.1 s).
    """

    def __init__(
        self, windows: Sequence[Window], backend: RateLimiterBackend | None = None, *, margin: float = DEFAULT_MARGIN
    ) -> None:
        if not windows:
            raise ValueError("a RateLimiter needs at least one window")
        if margin < 0:
            raise ValueError(f"a rate limit's margin must be >= 0 seconds, got {margin}")
        self.windows = tuple(windows)
        self.backend: RateLimiterBackend = backend or LocalBackend()
        self.margin = margin

    @classmethod
    def per_second(
        cls, rate: float, backend: RateLimiterBackend | None = None, *, margin: float = DEFAULT_MARGIN
    ) -> RateLimiter:
        """At most `rate` requests in any second (plus the margin)."""
        return cls([Window(rate)], backend, margin=margin)

    def booking(self, key: str, rate: float | None = None) -> list[tuple[int, float]]:
        """The (limit, seconds + margin) windows a request of `key` is booked in (`rate` overrides the first)."""
        windows = [w.normalized(rate if i == 0 else None) for i, w in enumerate(self.windows)]
        return [(limit, seconds + self.margin) for limit, seconds in windows]

    def reserve(self, key: str, now: float, rate: float | None = None) -> float:
        """Seconds to wait before the call with `key` may go (`rate` overrides the first window's requests)."""
        return self.backend.reserve(key, self.booking(key, rate), now)

    async def areserve(self, key: str, now: float, rate: float | None = None) -> float:
        """`reserve` for the async driver: awaits the backend (Redis), never blocking the event loop."""
        if isinstance(self.backend, AsyncRateLimiterBackend):
            return await self.backend.areserve(key, self.booking(key, rate), now)
        return self.backend.reserve(key, self.booking(key, rate), now)


class VKRateLimiter(RateLimiter):
    """The VK clients' default limiter: each token at the published rate of its kind.

    `rates` are requests per second by kind (specs/vk/api.yaml: user 3, group 20, ...); a key of
    an unknown kind gets `default`. With the default margin a window is 1.1 s, not 1 s: requests
    timed exactly at the limit still get error 6. Pass a shared `backend` when several processes
    use one token.

    A client given a plain number (`rate_limit=5`, also through `with_options`) uses a plain
    RateLimiter instead: that number then holds for every token, whatever its kind.
    """

    def __init__(
        self,
        rates: Mapping[str, float],
        default: float = 3.0,
        backend: RateLimiterBackend | None = None,
        *,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        super().__init__([Window(default)], backend, margin=margin)
        self.rates = dict(rates)

    def booking(self, key: str, rate: float | None = None) -> list[tuple[int, float]]:
        """The window of the token of `key` (`vk:<kind>:<hash>`), at its kind's rate."""
        if rate is None:
            parts = key.split(":")
            rate = self.rates.get(parts[1]) if len(parts) == 3 else None
        return super().booking(key, rate)


__all__ = [
    "DEFAULT_MARGIN",
    "AsyncRateLimiterBackend",
    "LocalBackend",
    "RateLimiter",
    "RateLimiterBackend",
    "VKRateLimiter",
    "Window",
    "next_slot",
    "spacing",
]
