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
from collections.abc import Mapping, Sequence
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


class VKRateLimiter(RateLimiter):
    """The VK clients' default limiter: each token at the published rate of its kind.

    `rates` are requests per window by kind (specs/vk/api.yaml: user 3, group 20, ...); a key of
    an unknown kind gets `default`. Windows are 1.1 s, not 1 s: requests timed exactly at the
    limit still get error 6. Pass a shared `backend` when several processes use one token.

    A client given a plain number (`rate_limit=5`, also through `with_options`) uses a plain
    RateLimiter instead: that number then holds for every token, whatever its kind.
    """

    def __init__(
        self, rates: Mapping[str, float], default: float = 3.0, backend: RateLimiterBackend | None = None
    ) -> None:
        super().__init__([Window(default, 1.1)], backend)
        self.rates = dict(rates)

    def reserve(self, key: str, now: float, rate: float | None = None) -> float:
        """Book a request for the token of `key` (`vk:<kind>:<hash>`), at its kind's rate."""
        if rate is None:
            parts = key.split(":")
            rate = self.rates.get(parts[1]) if len(parts) == 3 else None
        return super().reserve(key, now, rate)


__all__ = ["LocalBackend", "RateLimiter", "RateLimiterBackend", "VKRateLimiter", "Window"]
