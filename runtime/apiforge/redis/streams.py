"""Events in a Redis Stream, read by workers through a consumer group: each event to one worker.

- `publish`: the leader appends the events of one poll reply and the new poll position in one Lua
  script, fenced by its lease: written together or not at all, and never by a process that lost it.
- `read`: a worker takes new entries (XREADGROUP `>`), and first any entry another worker took and
  left unacknowledged for `claim_after` seconds (XAUTOCLAIM: that worker died mid-event).
- `ack`: an entry handled is acknowledged (XACK) and never delivered again.

Entries hold the raw event as JSON (field `event`); the consumer decodes it, as the poller would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from apiforge.redis.connection import Connection
from redis.exceptions import ResponseError

PUBLISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
for i = 4, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', ARGV[i])
end
redis.call('SET', KEYS[3], ARGV[2])
return #ARGV - 3
"""

Entry = tuple[str, object]
"""A stream entry: its id and the event (parsed JSON)."""


class SharedStream:
    """The stream `key`, its consumer `group`, and the poll position `<key>:ts` (async)."""

    def __init__(self, connection: Connection, key: str, *, group: str = "workers", maxlen: int = 100_000) -> None:
        self.connection = connection
        self.key = key
        self.group = group
        self.maxlen = maxlen

    @property
    def ts_key(self) -> str:
        """Where the poll position lives: a new leader goes on from it."""
        return f"{self.key}:ts"

    async def ts(self) -> str | None:
        """The poll position the last leader published (None: none yet)."""
        value = await self.connection.aio.get(self.ts_key)
        return value.decode() if isinstance(value, bytes) else value

    async def publish(self, lease_key: str, owner: str, events: Sequence[object], ts: str) -> bool:
        """Append `events` and set the position to `ts`, if `owner` still holds the lease; False if not."""
        payload = [json.dumps(event, ensure_ascii=False, separators=(",", ":")) for event in events]
        written = await self.connection.aio.eval(
            PUBLISH, 3, lease_key, self.key, self.ts_key, owner, ts, str(self.maxlen), *payload
        )
        return int(written) >= 0

    async def create_group(self) -> None:
        """Create the consumer group (from the stream's start: nothing published before is missed)."""
        try:
            await self.connection.aio.xgroup_create(self.key, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def read(
        self, consumer: str, *, count: int = 10, block: float = 1.0, claim_after: float = 30.0
    ) -> list[Entry]:
        """Entries for `consumer`: first ones left pending by another for `claim_after` s, then new ones."""
        claimed: Any = await self.connection.aio.xautoclaim(
            self.key, self.group, consumer, min_idle_time=round(claim_after * 1000), start_id="0-0", count=count
        )
        entries = _entries(claimed[1])
        if entries:
            return entries
        answer: Any = await self.connection.aio.xreadgroup(
            self.group, consumer, {self.key: ">"}, count=count, block=max(1, round(block * 1000))
        )
        found: list[Entry] = []
        for stream in cast("list[tuple[object, object]]", answer or []):
            found.extend(_entries(stream[1]))
        return found

    async def ack(self, entry_id: str) -> None:
        """The entry is handled: never deliver it again."""
        await self.connection.aio.xack(self.key, self.group, entry_id)


def _entries(raw: object) -> list[Entry]:
    """redis-py's [(id, {field: value})] as (id, parsed event); entries trimmed while pending are skipped."""
    out: list[Entry] = []
    for entry_id, fields in cast("list[tuple[bytes | str, dict[bytes | str, bytes | str] | None]]", raw or []):
        if not fields:
            continue
        data = fields.get(b"event", fields.get("event", b"null"))
        text = data.decode() if isinstance(data, bytes) else data
        out.append((entry_id.decode() if isinstance(entry_id, bytes) else entry_id, json.loads(text)))
    return out


__all__ = ["PUBLISH", "Entry", "SharedStream"]
