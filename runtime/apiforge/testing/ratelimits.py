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

from collections import deque
from collections.abc import Iterable

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


__all__ = ["RateLimit", "RateWindows"]
