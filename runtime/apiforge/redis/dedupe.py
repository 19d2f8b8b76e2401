"""Handled once across processes: an atomic set-if-absent with a TTL, keyed by the event's id.

    seen = Deduplicator.from_url("redis://...", ttl=24 * 3600)
    if seen.first("vk", update.event_id):      # True for the first process only, for `ttl` seconds
        router.handle(update)

VK resends a Callback API event it got no "ok" for, and YCLIENTS retries a webhook; with several
workers behind a load balancer, the retry may reach another worker. `first` is `SET key 1 NX EX ttl`:
one process wins, the others see the key. Keys are `apiforge:seen:<source>:<id>`.

`first` marks the event before it is handled, so a worker that dies while handling it leaves it
unhandled (VK's next retry is dropped as seen). `claim` + `done` + `release` close that gap: the
claim lasts `claim_ttl` seconds (a dead worker's claim lapses), `done` makes it permanent, and
`release` gives it up at once after a handler error so a retry is handled.

YCLIENTS webhooks carry no event id: `body_id(body)` hashes the body, which a retry repeats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from apiforge.redis.connection import Connection


def body_id(body: bytes | bytearray | str | Mapping[str, object]) -> str:
    """An id for an event that has none (a YCLIENTS webhook): a hash of its body, the same for every retry.

    A parsed body is hashed in a canonical form (sorted keys), so it does not matter where it was parsed.
    """
    if isinstance(body, Mapping):
        body = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    data = body.encode() if isinstance(body, str) else bytes(body)
    return hashlib.sha256(data).hexdigest()[:32]


class Deduplicator:
    """Event ids seen by any process, each remembered for `ttl` seconds (sync and async)."""

    def __init__(
        self, connection: Connection, *, ttl: float = 24 * 3600, claim_ttl: float = 60.0, prefix: str = "apiforge:"
    ) -> None:
        if ttl <= 0 or claim_ttl <= 0:
            raise ValueError(f"ttl and claim_ttl must be > 0 seconds, got {ttl} and {claim_ttl}")
        self.connection = connection
        self.ttl = ttl
        self.claim_ttl = claim_ttl
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, ttl: float = 24 * 3600, claim_ttl: float = 60.0, **options: Any) -> Deduplicator:
        """A deduplicator on the Redis at `url`; `options` go to redis-py."""
        return cls(Connection(url, **options), ttl=ttl, claim_ttl=claim_ttl)

    def key(self, source: str, event_id: str) -> str:
        """The Redis key of one event (`apiforge:seen:vk:<event_id>`)."""
        if not event_id:
            raise ValueError(f"an event of {source!r} without an id cannot be de-duplicated")
        return f"{self.prefix}seen:{source}:{event_id}"

    def first(self, source: str, event_id: str) -> bool:
        """True for the first process to see this event (within `ttl`); False for every later one."""
        return bool(self.connection.sync.set(self.key(source, event_id), "done", nx=True, px=_ms(self.ttl)))

    async def afirst(self, source: str, event_id: str) -> bool:
        """`first`, awaited."""
        return bool(await self.connection.aio.set(self.key(source, event_id), "done", nx=True, px=_ms(self.ttl)))

    def claim(self, source: str, event_id: str) -> bool:
        """Take the event for handling (for `claim_ttl` s); False if another has it or it is done."""
        return bool(self.connection.sync.set(self.key(source, event_id), "claimed", nx=True, px=_ms(self.claim_ttl)))

    async def aclaim(self, source: str, event_id: str) -> bool:
        """`claim`, awaited."""
        return bool(
            await self.connection.aio.set(self.key(source, event_id), "claimed", nx=True, px=_ms(self.claim_ttl))
        )

    def done(self, source: str, event_id: str) -> None:
        """The event was handled: remember it for `ttl`."""
        self.connection.sync.set(self.key(source, event_id), "done", px=_ms(self.ttl))

    async def adone(self, source: str, event_id: str) -> None:
        """`done`, awaited."""
        await self.connection.aio.set(self.key(source, event_id), "done", px=_ms(self.ttl))

    def release(self, source: str, event_id: str) -> None:
        """Give a claimed event up (its handler failed): the next delivery is handled."""
        self.connection.sync.delete(self.key(source, event_id))

    async def arelease(self, source: str, event_id: str) -> None:
        """`release`, awaited."""
        await self.connection.aio.delete(self.key(source, event_id))

    async def is_done(self, source: str, event_id: str) -> bool:
        """Whether a worker finished this event."""
        value = await self.connection.aio.get(self.key(source, event_id))
        return value in (b"done", "done")


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


__all__ = ["Deduplicator", "body_id"]
