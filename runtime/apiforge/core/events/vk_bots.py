"""VK Bots Long Poll: a community's events as typed updates, with the sync or the async client.

    with VK(token=community_token, token_kind="group") as vk:
        for update in BotLongPoll(vk, group_id=1):
            ...

    async with AsyncVK(token=community_token, token_kind="group") as vk:
        async for update in BotLongPoll(vk, group_id=1):
            ...

The poller keeps its place: leave the loop and iterate again, and it goes on after the last
update it handed out (updates already fetched are kept, not fetched twice). `ts` can be saved
and given back to a new poller to resume after a restart.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Generic, TypeVar, cast

from apiforge.core.call import Call, MethodSpec
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.errors import DecodeError
from apiforge.core.events.longpoll import LongPoll, Server, run
from apiforge.core.events.stream import aiterate, iterate
from apiforge.core.events.vk_updates import BotUpdate, UnknownUpdate, UpdateFormatError, decode_envelope, read_envelope
from apiforge.core.protocols.base import json_object
from apiforge.core.retry import RetryPolicy
from apiforge.core.types import JSON

T = TypeVar("T")
logger = logging.getLogger("apiforge.events")
# Event ids remembered to drop an update the server sends again (after failed: 1 or 2).
SEEN_EVENT_IDS = 4096


def vk_method(name: str) -> MethodSpec[Any]:
    """The generated MethodSpec of a VK method, by wire name."""
    from apiforge.vk import METHODS

    return METHODS[name].spec


class BotLongPollMachine(LongPoll[BotUpdate[object]]):
    """The Bots Long Poll session of one community (pure: see `longpoll.LongPoll`)."""

    kind = "VK bots long poll"

    def __init__(
        self,
        *,
        group_id: int,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> None:
        if isinstance(group_id, bool) or not isinstance(group_id, int) or group_id <= 0:
            raise ValueError(f"{self.kind}: group_id must be a positive community id, got {group_id!r}")
        super().__init__(wait=wait, retry=retry or RetryPolicy(), max_reconnects=max_reconnects, ts=ts)
        self.group_id = group_id
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()

    def server_call(self) -> Call[Any]:
        return vk_method("groups.getLongPollServer").call({"group_id": self.group_id})

    def read_server(self, result: object) -> Server:
        server = getattr(result, "server", None)
        key = getattr(result, "key", None)
        ts = getattr(result, "ts", None)
        if not isinstance(server, str) or not isinstance(key, str) or not isinstance(ts, str | int):
            raise DecodeError("groups.getLongPollServer", "$", result, "expected server, key and ts")
        return Server(url=server, key=key, ts=str(ts))

    def decode(self, updates: list[object]) -> Iterable[BotUpdate[object]]:
        out: list[BotUpdate[object]] = []
        for index, raw in enumerate(updates):
            try:
                envelope = read_envelope(raw, source=f"{self.kind}: updates[{index}]")
            except UpdateFormatError as error:
                # One malformed update must not stop the community's stream: hand it out raw.
                logger.warning("%s", error)
                out.append(_malformed(raw, self.group_id))
                continue
            if envelope.event_id and not self._first_time(envelope.event_id):
                logger.info("%s: %s %s delivered again; dropped", self.kind, envelope.type, envelope.event_id)
                continue
            out.append(decode_envelope(envelope))
        return out

    def _first_time(self, event_id: str) -> bool:
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_EVENT_IDS:
            self._seen.discard(self._seen_order.popleft())
        return True


class LongPollStream(Generic[T]):
    """A long poll as an iterator with the sync client, or an async iterator with the async client."""

    def __init__(self, client: SyncClient | AsyncClient, machine: LongPoll[T]) -> None:
        self.client = _checked(client)
        self.machine = machine

    @property
    def ts(self) -> str | None:
        """Where the poll goes on from (save it to resume later); updates still buffered come first."""
        return self.machine.ts

    @property
    def reconnects(self) -> int:
        """Network errors and bad replies recovered from so far."""
        return self.machine.reconnects

    def __iter__(self) -> Iterator[T]:
        client = self.client
        if not isinstance(client, SyncClient):
            raise TypeError(f"{self.machine.kind}: {type(client).__name__} is async: use `async for`")
        return iterate(client._driver, run(self.machine, client._pipeline))

    def __aiter__(self) -> AsyncIterator[T]:
        client = self.client
        if not isinstance(client, AsyncClient):
            raise TypeError(f"{self.machine.kind}: {type(client).__name__} is sync: use `for`")
        return aiterate(client._driver, run(self.machine, client._pipeline))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ts={self.machine.ts!r} pending={len(self.machine.pending)}>"


class BotLongPoll(LongPollStream[BotUpdate[object]]):
    """A community's events as typed updates (`apiforge.vk.updates`), from VK Bots Long Poll.

    Args:
        client: a `VK` (iterate with `for`) or `AsyncVK` (`async for`) with a community token.
        group_id: the community.
        wait: seconds the server may hold a poll open (up to 90; VK recommends 25).
        retry: backoff between reconnects after network errors (default: the client's retry policy).
        max_reconnects: failures in a row before the error is raised (None: never give up).
        ts: resume from a saved `ts` (None: start with the events from now on).
    """

    def __init__(
        self,
        client: SyncClient | AsyncClient,
        *,
        group_id: int,
        wait: int = 25,
        retry: RetryPolicy | None = None,
        max_reconnects: int | None = None,
        ts: str | None = None,
    ) -> None:
        machine = BotLongPollMachine(
            group_id=group_id,
            wait=wait,
            retry=retry or _checked(client)._policy.retry,
            max_reconnects=max_reconnects,
            ts=ts,
        )
        super().__init__(client, machine)


def _malformed(raw: object, group_id: int) -> UnknownUpdate:
    """A malformed update as an UnknownUpdate: what can be read of it, the rest raw."""
    update = json_object(raw)
    if update is None:
        return UnknownUpdate(group_id=group_id, event_id="", object=cast(JSON, raw), raw_type="")
    kind = update.get("type")
    return UnknownUpdate(
        group_id=group_id,
        event_id=str(update.get("event_id") or ""),
        object=update.get("object"),
        raw_type=kind if isinstance(kind, str) else "",
    )


def _checked(client: object) -> SyncClient | AsyncClient:
    if not isinstance(client, SyncClient | AsyncClient):
        raise TypeError(f"expected a VK or AsyncVK client, got {type(client).__name__}")
    return client


__all__ = ["BotLongPoll", "BotLongPollMachine", "LongPollStream", "vk_method"]
