"""One long poll for many workers: a leader polls, a Redis Stream carries the events, every worker handles.

    poll = SharedBotLongPoll(vk, group_id=1, redis="redis://host:6379/0")    # in every worker process
    await poll.run(router)                                                  # until poll.stop()

In each process `run` does two things at once:

- **lead, when it holds the lease**: one process at a time holds `apiforge:lease:<name>` (a `Lease`,
  renewed every third of `lease` seconds). The holder polls from the position kept in Redis and
  publishes each reply's events together with the new position (`SharedStream.publish`, fenced by
  the lease). When it dies, its lease lapses after `lease` seconds; another process takes it and goes
  on from the last published position: events of a reply that was never published are polled again.
- **work**: read the stream through the consumer group (each entry goes to one worker), decode the
  event and hand it to the `Router`, then acknowledge it. An entry a dead worker left pending is
  claimed by another after `claim_after` seconds; a `Deduplicator` keyed by the event's id skips one
  that a worker finished but could not acknowledge.

`claim_after` must be longer than the slowest handler: an entry pending that long is taken to be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from apiforge.core.call import Call
from apiforge.core.client import AsyncClient
from apiforge.core.effects import Sleep
from apiforge.core.errors import HTTPStatusError, TransportError
from apiforge.core.events.longpoll import FetchServer, LongPoll, Server
from apiforge.core.events.router import Router
from apiforge.core.events.stream import Emit
from apiforge.core.events.vk_bots import BotLongPollMachine
from apiforge.core.events.vk_updates import decode_update
from apiforge.core.pipeline import run_call
from apiforge.core.protocols.base import json_object
from apiforge.core.protocols.wialon import AVL_EVENTS, AVL_EVENTS_SPEC, WialonProtocol
from apiforge.core.retry import RetryPolicy
from apiforge.core.types import JSON
from apiforge.redis.connection import UNAVAILABLE, Connection
from apiforge.redis.dedupe import Deduplicator
from apiforge.redis.lease import Lease, owner_id
from apiforge.redis.streams import SharedStream

logger = logging.getLogger("apiforge.redis")


class PollSource(Protocol):
    """What the leader polls: one reply's raw events and the position after them."""

    async def poll(self, ts: str | None) -> tuple[list[object], str]:
        """Poll once from `ts` (None: from now); the raw events of the reply and the next position."""
        ...


class _RawBots(LongPoll[object]):
    """The Bots Long Poll machine, handing out raw updates: the workers decode them."""

    kind = "VK bots long poll (shared)"

    def __init__(self, group_id: int, wait: int, retry: RetryPolicy) -> None:
        super().__init__(wait=wait, retry=retry, max_reconnects=None, ts=None)
        self._bots = BotLongPollMachine(group_id=group_id, wait=wait, retry=retry)

    def server_call(self) -> Any:
        return self._bots.server_call()

    def read_server(self, result: object) -> Server:
        return self._bots.read_server(result)

    def decode(self, updates: list[object]) -> list[object]:
        return list(updates)


class VKBotsSource:
    """A community's Bots Long Poll, polled one reply at a time with an async VK client."""

    def __init__(self, client: AsyncClient, *, group_id: int, wait: int = 25) -> None:
        if not isinstance(client, AsyncClient):
            raise TypeError(f"a shared long poll needs an AsyncVK client, got {type(client).__name__}")
        self.client = client
        self.machine = _RawBots(group_id, wait, client._policy.retry)

    async def poll(self, ts: str | None) -> tuple[list[object], str]:
        """One good reply from `ts` on (reconnecting after failures as `BotLongPoll` does)."""
        machine, driver = self.machine, self.client._driver
        machine.ts = ts
        while True:
            action = machine.next_action()
            if isinstance(action, Emit):
                continue  # nothing is buffered between polls: every reply is drained below
            if isinstance(action, FetchServer):
                try:
                    result = await driver.run(self.client._pipeline(action.call))
                except (TransportError, HTTPStatusError) as error:
                    machine.on_failure(error)
                    continue
                machine.on_server(result)
                continue
            if isinstance(action, Sleep):
                await asyncio.sleep(action.seconds)
                continue
            try:
                response = await driver.perform(action)
            except TransportError as error:
                machine.on_failure(error)
                continue
            machine.on_reply(response)
            events = list(machine.pending)
            machine.pending.clear()
            if machine.ts is not None:
                return events, machine.ts


class SharedLongPoll:
    """A long poll shared by every worker process on one Redis (see the module's docs).

    Args:
        connection: the Redis.
        name: what is polled (`vk:bots:<group_id>`): names the lease, the stream and the position.
        source: the poll itself (`VKBotsSource`).
        decode: a raw event as the typed event the router gets.
        event_id: the id of a raw event, for de-duplication (None: the event has none).
        lease: seconds a leader holds the lease without renewing it (a take-over waits this long).
        claim_after: seconds after which an entry left pending by a worker is handled by another.
        consumer: this worker's name in the consumer group (default: host, pid and a random part).
    """

    def __init__(
        self,
        connection: Connection,
        name: str,
        source: PollSource,
        *,
        decode: Callable[[object], object],
        event_id: Callable[[object], str | None],
        lease: float = 10.0,
        claim_after: float = 30.0,
        consumer: str | None = None,
        prefix: str = "apiforge:",
    ) -> None:
        self.connection = connection
        self.name = name
        self.source = source
        self.decode = decode
        self.event_id = event_id
        self.claim_after = claim_after
        self.consumer = consumer or owner_id()
        self.lease = Lease(connection, f"{prefix}lease:{name}", seconds=lease, owner=self.consumer)
        self.stream = SharedStream(connection, f"{prefix}events:{name}")
        self.seen = Deduplicator(connection, prefix=prefix)
        self.leading = False
        """Whether this process is the one polling now."""
        self._stopping = asyncio.Event()

    async def run(self, router: Router) -> None:
        """Lead when this process holds the lease, and handle events with `router`, until `stop()`."""
        self._stopping.clear()
        lead = asyncio.create_task(self._lead())
        try:
            await self._work(router)
        finally:
            lead.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lead
            with contextlib.suppress(*UNAVAILABLE):
                await self.lease.release()  # a clean stop hands over at once

    def stop(self) -> None:
        """End `run`: no new event is taken; the one being handled finishes."""
        self._stopping.set()

    async def _lead(self) -> None:
        pause = self.lease.seconds / 3
        while True:
            try:
                if await self.lease.acquire():
                    await self._poll_while_leading(pause)
            except UNAVAILABLE as error:
                logger.warning("%s: Redis unreachable (%s); trying again", self.name, type(error).__name__)
            self.leading = False
            await asyncio.sleep(pause)

    async def _poll_while_leading(self, pause: float) -> None:
        self.leading = True
        logger.info("%s: %s leads the long poll", self.name, self.consumer)
        renewing = asyncio.create_task(self._renew(pause))
        try:
            while not renewing.done():
                events, ts = await self.source.poll(await self.stream.ts())
                if not await self.stream.publish(self.lease.key, self.lease.owner, events, ts):
                    logger.warning("%s: lost the lease; the reply goes to the next leader", self.name)
                    return
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew(self, pause: float) -> None:
        while await self.lease.renew():
            await asyncio.sleep(pause)

    async def _work(self, router: Router) -> None:
        await self.stream.create_group()
        while not self._stopping.is_set():
            try:
                entries = await self.stream.read(self.consumer, block=1.0, claim_after=self.claim_after)
            except UNAVAILABLE as error:
                logger.warning("%s: Redis unreachable (%s); trying again", self.name, type(error).__name__)
                await asyncio.sleep(1.0)
                continue
            for entry_id, raw in entries:
                await self._handle(router, entry_id, raw)

    async def _handle(self, router: Router, entry_id: str, raw: object) -> None:
        event_id = self.event_id(raw)
        if event_id and await self.seen.is_done(self.name, event_id):
            logger.info("%s: event %s was handled already; acknowledged", self.name, event_id)
        else:
            await router.ahandle(self.decode(raw))
            if event_id:
                await self.seen.adone(self.name, event_id)
        await self.stream.ack(entry_id)


class SharedBotLongPoll(SharedLongPoll):
    """A community's VK Bots Long Poll shared by several worker processes (see `SharedLongPoll`).

    Args:
        client: an `AsyncVK` with the community's token (each worker has its own).
        group_id: the community.
        redis: a Redis URL or a `Connection`.
        wait: seconds the VK server may hold a poll open.
        lease, claim_after, consumer: see `SharedLongPoll`.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        group_id: int,
        redis: str | Connection,
        wait: int = 25,
        lease: float = 10.0,
        claim_after: float = 30.0,
        consumer: str | None = None,
    ) -> None:
        connection = Connection(redis) if isinstance(redis, str) else redis
        super().__init__(
            connection,
            f"vk:bots:{group_id}",
            VKBotsSource(client, group_id=group_id, wait=wait),
            decode=decode_update,
            event_id=_vk_event_id,
            lease=lease,
            claim_after=claim_after,
            consumer=consumer,
        )


def _vk_event_id(raw: object) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("event_id")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        return str(value) if value else None  # pyright: ignore[reportUnknownArgumentType]
    return None


class WialonAvlSource:
    """A Wialon session's AVL events (`avl_evts`), polled with an async Wialon client every `interval` s.

    The subscriptions (core/update_data_flags specs) are sent to the session before the first poll
    and again whenever the session changed (a re-login). Share the session (`share_session`) so that
    a new leader goes on with the queue of events the server keeps for it.
    """

    def __init__(self, client: AsyncClient, *, subscriptions: Sequence[object], interval: float = 2.0) -> None:
        from apiforge.core.events.wialon_avl import MIN_INTERVAL

        if not isinstance(client, AsyncClient) or not isinstance(client._protocol, WialonProtocol):
            raise TypeError(f"a shared AVL poll needs an AsyncWialon client, got {type(client).__name__}")
        if interval < MIN_INTERVAL:
            raise ValueError(f"interval must be at least {MIN_INTERVAL:g} s, got {interval!r}")
        self.client = client
        self.protocol: WialonProtocol = client._protocol
        self.subscriptions = list(subscriptions)
        self.interval = interval
        self._registered: int | None = None
        self._last = 0.0

    async def poll(self, ts: str | None) -> tuple[list[object], str]:
        """Wait out the interval, (re-)register when the session changed, poll avl_evts once."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, self._last + self.interval - loop.time()))
        self._last = loop.time()
        client, driver = self.client, self.client._driver
        if self.subscriptions and (self._registered is None or self._registered != self.protocol.session_serial):
            from apiforge.wialon import METHODS

            register = METHODS["core/update_data_flags"].spec.call({"spec": self.subscriptions})
            await driver.run(run_call(self.protocol, client._policy, register))
            self._registered = self.protocol.session_serial
        poll: Call[JSON] = AVL_EVENTS_SPEC.call({})
        answer: JSON = await driver.run(run_call(self.protocol, client._policy, poll))
        payload = json_object(answer)
        events = payload.get("events") if payload is not None else None
        tm = payload.get("tm") if payload is not None else None
        return list(cast("list[object]", events)) if isinstance(events, list) else [], str(tm if tm is not None else ts)


class SharedAvlPoll(SharedLongPoll):
    """Wialon AVL events of one account polled by one process and handled by every worker.

    Args:
        client: an `AsyncWialon` (each worker has its own; share its session with `share_session`).
        subscriptions: what to register with core/update_data_flags (`UpdateDataFlagsSpec`s).
        redis: a Redis URL or a `Connection`.
        name: names the lease and the stream (default: `wialon:avl:<hash of the account>`).
        interval, lease, claim_after, consumer: see `WialonAvlSource` and `SharedLongPoll`.
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        subscriptions: Sequence[object],
        redis: str | Connection,
        name: str | None = None,
        interval: float = 2.0,
        lease: float = 10.0,
        claim_after: float = 30.0,
        consumer: str | None = None,
    ) -> None:
        source = WialonAvlSource(client, subscriptions=subscriptions, interval=interval)
        protocol = source.protocol
        account = f"{protocol.base_url} {protocol.token} {protocol.operate_as or ''}"
        connection = Connection(redis) if isinstance(redis, str) else redis
        super().__init__(
            connection,
            name or f"wialon:avl:{hashlib.sha256(account.encode()).hexdigest()[:16]}",
            source,
            decode=_avl_event,
            event_id=lambda raw: None,  # AVL events carry no id; the consumer group hands each out once
            lease=lease,
            claim_after=claim_after,
            consumer=consumer,
        )


def _avl_event(raw: object) -> object:
    from apiforge.core.converter import structure
    from apiforge.wialon.models.events import AvlEvent

    return structure(raw, AvlEvent, method=AVL_EVENTS)


__all__ = ["PollSource", "SharedAvlPoll", "SharedBotLongPoll", "SharedLongPoll", "VKBotsSource", "WialonAvlSource"]
