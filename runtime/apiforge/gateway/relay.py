"""Event sources the gateway relays to subscribed connections, and how events become JSON.

A source is any async iterable of events: `BotLongPoll` over an `AsyncVK`, an `AvlSource`
(Wialon AVL events), a `WebhookSource` fed by your web framework's YCLIENTS webhook endpoint,
or a `QueueSource` you put events into. `event_json` is the default serializer: the event's
class name and its fields (attrs models unstructured with wire names).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

from apiforge.core.converter import unstructure
from apiforge.core.events.yclients_webhooks import WebhookEvent, parse_webhook
from apiforge.core.types import JSON

if TYPE_CHECKING:
    from apiforge.core.client import AsyncClient
    from apiforge.wialon.models.events import AvlEvent
    from apiforge.wialon.models.search import UpdateDataFlagsSpec

T = TypeVar("T")
Serializer = Callable[[object], JSON]
"""Turns one event into the JSON payload subscribers receive."""


def event_json(event: object) -> JSON:
    """`{"type": <class name>, "data": <the event as JSON>}`: the default relay serializer."""
    data: JSON = unstructure(event)
    return {"type": type(event).__name__, "data": data}


class QueueSource(Generic[T]):
    """An async iterable of the events `put` into it (unbounded: producers never wait); `close` ends it."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[T | _End] = asyncio.Queue()

    def put(self, event: T) -> None:
        """Hand one event to the gateway (call it from the event loop's thread)."""
        self._queue.put_nowait(event)

    def close(self) -> None:
        """End the iteration after the events already put."""
        self._queue.put_nowait(_End())

    async def __aiter__(self) -> AsyncIterator[T]:
        while True:
            event = await self._queue.get()
            if isinstance(event, _End):
                return
            yield event


class _End:
    """Marks the end of a QueueSource."""


class WebhookSource(QueueSource[WebhookEvent[object]]):
    """YCLIENTS webhooks as an event source: call `push(body)` from your webhook endpoint."""

    def push(self, body: bytes | bytearray | str | Mapping[str, object]) -> WebhookEvent[object]:
        """Parse a webhook body (`parse_webhook`), relay the event and return it.

        Raises:
            WebhookError: the body is not a YCLIENTS webhook (answer the request with 400).
        """
        event = parse_webhook(body)
        self.put(event)
        return event


class AvlSource:
    """Wialon AVL events (`AsyncAvlPoller`) as an async iterable: polling runs while it is iterated.

    Args:
        client: an `AsyncWialon`.
        subscribe: the items to register for events (core/update_data_flags specs).
        interval: seconds between polls (at least 1).
        sleep: awaited between polls (a fake in tests).
    """

    def __init__(
        self,
        client: AsyncClient,
        *subscribe: UpdateDataFlagsSpec,
        interval: float = 2.0,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        from apiforge.core.events.wialon_avl import AsyncAvlPoller

        self._events: QueueSource[AvlEvent] = QueueSource()
        self.poller = AsyncAvlPoller(client, interval=interval, sink=self._events.put, sleep=sleep)
        self.poller.subscribe(*subscribe)

    async def __aiter__(self) -> AsyncIterator[AvlEvent]:
        self.poller.start()
        try:
            async for event in self._events:
                yield event
        finally:
            await self.poller.stop()


__all__ = ["AvlSource", "QueueSource", "Serializer", "WebhookSource", "event_json"]
