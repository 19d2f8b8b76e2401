"""Effects: what the sans-IO call pipeline asks its driver to do.

The pipeline is a generator; it yields an effect and receives the outcome (or the exception
the effect raised). The sync driver carries effects out with blocking calls, the async
driver with awaits — the logic is written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs
import httpx

if TYPE_CHECKING:
    from apiforge.core.ratelimit import RateLimiter


@attrs.frozen(slots=True)
class Send:
    """Send a request; the outcome is the httpx.Response (or a TransportError is thrown in)."""

    request: httpx.Request
    stream: bool = False


@attrs.frozen(slots=True)
class Sleep:
    """Wait this many seconds."""

    seconds: float


@attrs.frozen(slots=True)
class Acquire:
    """Take one slot of the named semaphore (created with `size` slots on first use)."""

    name: str
    size: int = 1


@attrs.frozen(slots=True)
class Release:
    """Give back a slot taken with Acquire."""

    name: str


@attrs.frozen(slots=True)
class Reserve:
    """Book a request under `key` with `limiter`; the outcome is the seconds to wait before sending it.

    An effect, not a call inside the pipeline, because a shared limiter does I/O (Redis): the sync
    driver calls `limiter.reserve`, the async driver awaits `limiter.areserve`.
    """

    limiter: RateLimiter
    key: str
    rate: float | None
    now: float


@attrs.frozen(slots=True)
class Remote:
    """Work on a store several processes share (Redis): the sync driver calls `sync()`, the async
    driver awaits `aio()`; the outcome is what they return. Both do the same thing, each with its
    flavour of client, so the logic that yields this effect is written once."""

    sync: Callable[[], object]
    aio: Callable[[], Awaitable[object]]


@attrs.frozen(slots=True)
class Hold:
    """A slot of a semaphore several processes share (Wialon's per-session limits across processes).

    The pipeline carries out `take` (its outcome is a handle) before the request, and `give(handle)`
    after it, whatever happened; both are `Remote` effects.
    """

    take: Remote
    give: Callable[[object], Remote]


@attrs.frozen(slots=True)
class Callback:
    """Call a user hook (sync or async) with these arguments; the outcome is what it returns."""

    function: object
    args: tuple[object, ...] = ()


Effect = Send | Sleep | Acquire | Release | Reserve | Remote | Callback

__all__ = ["Acquire", "Callback", "Effect", "Hold", "Release", "Remote", "Reserve", "Send", "Sleep"]
