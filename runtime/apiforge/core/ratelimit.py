"""Client-side rate limits: calls wait for their turn, never fail.

A limit is "at most N requests in any window of T seconds" (VK: 3 per second per user token;
YCLIENTS: 5 per second and 200 per minute). Each reservation is scheduled at the earliest
moment that keeps every window within its limit — a sliding window, so that no second ever
holds more than N requests, which is what the servers count.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

import attrs


class RateLimiterBackend(Protocol):
    """Where the schedule lives. The default keeps it in this process; a shared backend
    (several processes on one token, e.g. in Redis) implements the same method."""

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        """Book one request under `key`, within every (limit, seconds) window; return the wait before it."""
        ...


class LocalBackend:
    """Sliding-window schedules in memory, safe across threads."""

    def __init__(self) -> None:
        self._schedules: dict[tuple[str, int, float], deque[float]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        with self._lock:
            logs: list[deque[float]] = []
            start = now
            for limit, seconds in windows:
                booked = self._schedules.get((key, limit, seconds))
                if booked is None:
                    booked = self._schedules[(key, limit, seconds)] = deque(maxlen=limit)
                logs.append(booked)
                # The request `limit` places back must be a whole window before this one.
                if len(booked) == limit:
                    start = max(start, booked[0] + seconds)
            for booked in logs:
                booked.append(start)
            return start - now


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
    """Limits per key: a call waits for the latest of its windows."""

    def __init__(self, windows: Sequence[Window], backend: RateLimiterBackend | None = None) -> None:
        if not windows:
            raise ValueError("a RateLimiter needs at least one window")
        self.windows = tuple(windows)
        self.backend: RateLimiterBackend = backend or LocalBackend()

    @classmethod
    def per_second(cls, rate: float, backend: RateLimiterBackend | None = None) -> RateLimiter:
        return cls([Window(rate)], backend)

    def reserve(self, key: str, now: float, rate: float | None = None) -> float:
        """Seconds to wait before the call with `key` may go (`rate` overrides the first window's requests)."""
        windows = [w.normalized(rate if i == 0 else None) for i, w in enumerate(self.windows)]
        return self.backend.reserve(key, windows, now)


__all__ = ["LocalBackend", "RateLimiter", "RateLimiterBackend", "Window"]
