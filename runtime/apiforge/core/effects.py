"""Effects: what the sans-IO call pipeline asks its driver to do.

The pipeline is a generator; it yields an effect and receives the outcome (or the exception
the effect raised). The sync driver carries effects out with blocking calls, the async
driver with awaits — the logic is written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from apiforge.core.ratelimit import RateLimiter


class _Frozen:
    """An immutable value: equal to (and hashed as) another of its class with equal fields.

    Written out instead of `attrs.frozen`: attrs compiles each class's methods when the module is
    imported, and these eight classes are imported by every process that makes a call (about 3 ms of
    a fresh process's first result). The fields are the class's `__match_args__`, in order.
    """

    __slots__ = ()
    __match_args__: tuple[str, ...] = ()

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, _Frozen)
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.__class__, self._fields()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")


_set = object.__setattr__  # what the constructors use: `__setattr__` refuses


class Send(_Frozen):
    """Send a request; the outcome is the httpx.Response (or a TransportError is thrown in)."""

    __slots__ = ("request", "stream")
    __match_args__ = ("request", "stream")

    request: httpx.Request
    stream: bool

    def __init__(self, request: httpx.Request, stream: bool = False) -> None:
        _set(self, "request", request)
        _set(self, "stream", stream)


class Sleep(_Frozen):
    """Wait this many seconds."""

    __slots__ = ("seconds",)
    __match_args__ = ("seconds",)

    seconds: float

    def __init__(self, seconds: float) -> None:
        _set(self, "seconds", seconds)


class Acquire(_Frozen):
    """Take one slot of the named semaphore (created with `size` slots on first use)."""

    __slots__ = ("name", "size")
    __match_args__ = ("name", "size")

    name: str
    size: int

    def __init__(self, name: str, size: int = 1) -> None:
        _set(self, "name", name)
        _set(self, "size", size)


class Release(_Frozen):
    """Give back a slot taken with Acquire."""

    __slots__ = ("name",)
    __match_args__ = ("name",)

    name: str

    def __init__(self, name: str) -> None:
        _set(self, "name", name)


class Reserve(_Frozen):
    """Book a request under `key` with `limiter`; the outcome is the seconds to wait before sending it.

    An effect, not a call inside the pipeline, because a shared limiter does I/O (Redis): the sync
    driver calls `limiter.reserve`, the async driver awaits `limiter.areserve`.
    """

    __slots__ = ("key", "limiter", "now", "rate")
    __match_args__ = ("limiter", "key", "rate", "now")

    limiter: RateLimiter
    key: str
    rate: float | None
    now: float

    def __init__(self, limiter: RateLimiter, key: str, rate: float | None, now: float) -> None:
        _set(self, "limiter", limiter)
        _set(self, "key", key)
        _set(self, "rate", rate)
        _set(self, "now", now)


class Remote(_Frozen):
    """Work on a store several processes share (Redis): the sync driver calls `sync()`, the async
    driver awaits `aio()`; the outcome is what they return. Both do the same thing, each with its
    flavour of client, so the logic that yields this effect is written once."""

    __slots__ = ("aio", "sync")
    __match_args__ = ("sync", "aio")

    sync: Callable[[], object]
    aio: Callable[[], Awaitable[object]]

    def __init__(self, sync: Callable[[], object], aio: Callable[[], Awaitable[object]]) -> None:
        _set(self, "sync", sync)
        _set(self, "aio", aio)


class Hold(_Frozen):
    """A slot of a semaphore several processes share (Wialon's per-session limits across processes).

    The pipeline carries out `take` (its outcome is a handle) before the request, and `give(handle)`
    after it, whatever happened; both are `Remote` effects.
    """

    __slots__ = ("give", "take")
    __match_args__ = ("take", "give")

    take: Remote
    give: Callable[[object], Remote]

    def __init__(self, take: Remote, give: Callable[[object], Remote]) -> None:
        _set(self, "take", take)
        _set(self, "give", give)


class Callback(_Frozen):
    """Call a user hook (sync or async) with these arguments; the outcome is what it returns."""

    __slots__ = ("args", "function")
    __match_args__ = ("function", "args")

    function: object
    args: tuple[object, ...]

    def __init__(self, function: object, args: tuple[object, ...] = ()) -> None:
        _set(self, "function", function)
        _set(self, "args", args)


Effect = Send | Sleep | Acquire | Release | Reserve | Remote | Callback

__all__ = ["Acquire", "Callback", "Effect", "Hold", "Release", "Remote", "Reserve", "Send", "Sleep"]
