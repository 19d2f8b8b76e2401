"""Server-side rate limits for the fakes: sliding windows of requests per key, on an injectable clock.

    windows = RateWindows()
    limits = (RateLimit(5, 1.0), RateLimit(200, 60.0))   # YCLIENTS: 5 a second and 200 a minute
    windows.admit("partner-token", limits, now=clock())   # True, or False when a window is full

A request is admitted when, for every limit, fewer than `requests` requests of the same key were
admitted in the `seconds` before `now`. Refused requests are not counted: a client that backs off
gets through as soon as the oldest admitted request leaves the window, as with the real services
(neither documents whether refusals count; counting them would lock out a client that retries).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs


@attrs.frozen
class RateLimit:
    """At most `requests` requests in any `seconds`-long stretch of time."""

    requests: int = attrs.field(validator=attrs.validators.gt(0))
    seconds: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))


class RateWindows:
    """The admitted requests of each key (a token) within the longest window, and the verdict on a new one."""

    def __init__(self) -> None:
        self._admitted: dict[str, deque[float]] = {}

    def admit(self, key: str, limits: Iterable[RateLimit], now: float) -> bool:
        """Admit one request of `key` at `now` (and remember it) unless a limit is reached: then False."""
        limits = tuple(limits)
        times = self._admitted.setdefault(key, deque())
        longest = max((limit.seconds for limit in limits), default=0.0)
        while times and now - times[0] >= longest:
            times.popleft()  # out of every window: never counted again
        for limit in limits:
            if sum(1 for t in times if now - t < limit.seconds) >= limit.requests:
                return False
        times.append(now)
        return True

    def clear(self) -> None:
        """Forget every admitted request: each key starts with empty windows."""
        self._admitted.clear()


class Arrivals:
    """When each request reached a fake, on the server's own clock: what a rate limit is judged on.

        arrivals = Arrivals.of(fake)          # from now on, every request the fake handles is stamped
        ...                                   # run the clients
        assert arrivals.busiest(1.0) <= 5     # no second at the server held more than 5

    It wraps the fake's `handle` (its one entry point, over HTTP and in-process alike), so the stamp
    is taken when the server starts on the request, after transit: client-side jitter shows.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.times: list[float] = []
        self._lock = threading.Lock()

    @classmethod
    def of(cls, fake: Any, clock: Callable[[], float] = time.monotonic) -> Arrivals:
        """Stamp every request `fake` (a FakeVK, FakeYclients, FakeWialon) handles from now on."""
        arrivals = cls(clock)
        handle = fake.handle

        def stamped(*args: Any, **kwargs: Any) -> Any:
            arrivals.stamp()
            return handle(*args, **kwargs)

        fake.handle = stamped
        return arrivals

    def stamp(self) -> None:
        """Note one arrival, now."""
        with self._lock:
            self.times.append(self.clock())

    def busiest(self, seconds: float) -> int:
        """The most arrivals in any `seconds`-long stretch [t, t + seconds)."""
        with self._lock:
            return busiest(self.times, seconds)


def busiest(times: Sequence[float], seconds: float) -> int:
    """The most of `times` in any half-open stretch [t, t + seconds): how a server's sliding window counts."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


__all__ = ["Arrivals", "RateLimit", "RateWindows", "busiest"]
