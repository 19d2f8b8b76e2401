"""Connections and where they are: by id, by verified user, by subscribed topic.

Every connection has a bounded outgoing queue that one writer task drains into the socket.
A client is slow when it does not read, not when a source is fast: a relay that finds a queue
full waits for the writer to make room (`deliver`), and drops the connection (closed with
`SLOW_CONSUMER` and a reason) only when its queue stays full for `send_timeout` seconds. A reply
or a `publish`, which cannot wait, drops a connection whose queue is full at once (`send_text`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Iterator

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from apiforge.core.types import JSON
from apiforge.gateway.protocol import encode

logger = logging.getLogger("apiforge.gateway")

SLOW_CONSUMER = 4008
"""The close code of a client dropped because its outgoing queue was full (4000-4999: application codes)."""
DEFAULT_QUEUE_SIZE = 256
"""Messages a connection may have waiting to be written."""
DEFAULT_SEND_TIMEOUT = 5.0
"""Seconds a full queue may go without room for one more message before its client counts as slow."""


class Connection:
    """One client: its id, the user it proved to be (if any), its topics and its outgoing queue.

    Handlers receive it; `send` queues a message to this client.
    """

    def __init__(
        self,
        connection_id: str,
        websocket: ServerConnection,
        *,
        queue_size: int,
        on_drop: Callable[[Connection], object],
    ) -> None:
        self.id = connection_id
        self.user_id: str | None = None
        """The user id the verifier gave this connection's token (None until it sends a valid one)."""
        self.topics: set[str] = set()
        self.websocket = websocket
        self.close_reason: str | None = None
        """Why the gateway closed this connection (None while open or when the client left)."""
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self._on_drop = on_drop
        self._closing = False
        self._closed = asyncio.Event()  # wakes a relay waiting for room when the connection ends

    @property
    def open(self) -> bool:
        """Still accepting messages?"""
        return not self._closing

    def send(self, event: str, payload: JSON = None) -> bool:
        """Queue `{"event", "payload"}` for this client; False if it was dropped (or had been)."""
        return self.send_text(encode(event, payload))

    def send_text(self, text: str) -> bool:
        """Queue an encoded message; a full queue drops the connection as a slow consumer."""
        if self._closing:
            return False
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.drop(SLOW_CONSUMER, f"slow consumer: {self._queue.maxsize} messages waiting to be sent")
            return False
        return True

    def offer(self, text: str) -> bool:
        """Queue an encoded message if there is room; False when the queue is full (see `deliver`).

        A closed connection takes nothing and returns True: there is nothing to wait for.
        """
        if self._closing:
            return True
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def deliver(self, text: str, timeout: float) -> bool:
        """Queue an encoded message, waiting up to `timeout` seconds for room.

        A queue that stays full that long belongs to a client that does not read: it is dropped
        as a slow consumer. Returns whether the message was queued.
        """
        if self.offer(text) and not self._closing:
            return True
        if self._closing:
            return False
        put = asyncio.ensure_future(self._queue.put(text))
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            done, _ = await asyncio.wait({put, closed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if put in done:
            return not self._closing
        put.cancel()
        self.drop(SLOW_CONSUMER, f"slow consumer: {self._queue.maxsize} messages waiting to be sent")
        return False

    def drop(self, code: int, reason: str) -> None:
        """Close this connection from the server side (at once: queued messages are discarded)."""
        if self._closing:
            return
        self._closing = True
        self._closed.set()
        self.close_reason = reason
        logger.info("gateway: closing connection %s (%s)", self.id, reason)
        self._on_drop(self)
        # The writer may be stuck in a send to a client that does not read: close in the background
        # (websockets waits `close_timeout` for the handshake, then aborts the TCP connection).
        task = asyncio.get_running_loop().create_task(self.websocket.close(code, reason))
        _background.add(task)
        task.add_done_callback(_background.discard)

    async def pump(self) -> None:
        """Write queued messages until the connection closes (the connection's writer task)."""
        with contextlib.suppress(ConnectionClosed):
            while not self._closing:
                text = await self._queue.get()
                if self._closing:
                    return
                await self.websocket.send(text)

    def finish(self) -> None:
        """The client left: no more messages are queued."""
        self._closing = True
        self._closed.set()

    def __repr__(self) -> str:
        return f"<Connection {self.id} user={self.user_id!r} topics={sorted(self.topics)}>"


# Close tasks must be referenced until they end (the loop keeps only weak references).
_background: set[asyncio.Task[None]] = set()


class Sessions:
    """Every open connection, by id, by user id and by topic."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.by_id: dict[str, Connection] = {}
        self._by_user: dict[str, set[Connection]] = {}
        self._by_topic: dict[str, set[Connection]] = {}

    def new_id(self) -> str:
        """A connection id unique within this gateway."""
        return f"c{next(self._ids)}"

    def add(self, connection: Connection) -> None:
        """Track a new connection."""
        self.by_id[connection.id] = connection

    def remove(self, connection: Connection) -> None:
        """Forget a connection everywhere (it closed or was dropped)."""
        self.by_id.pop(connection.id, None)
        if connection.user_id is not None:
            _discard(self._by_user, connection.user_id, connection)
        for topic in connection.topics:
            _discard(self._by_topic, topic, connection)

    def bind(self, connection: Connection, user_id: str) -> None:
        """Record that `connection` is `user_id` (a verified token said so)."""
        if connection.user_id == user_id:
            return
        if connection.user_id is not None:
            _discard(self._by_user, connection.user_id, connection)
        connection.user_id = user_id
        if connection.id in self.by_id:
            self._by_user.setdefault(user_id, set()).add(connection)

    def of_user(self, user_id: str) -> tuple[Connection, ...]:
        """The open connections of a user."""
        return tuple(self._by_user.get(user_id, ()))

    def subscribe(self, connection: Connection, topic: str) -> None:
        """Send `topic`'s events to `connection` from now on."""
        connection.topics.add(topic)
        if connection.id in self.by_id:
            self._by_topic.setdefault(topic, set()).add(connection)

    def unsubscribe(self, connection: Connection, topic: str) -> None:
        """Stop sending `topic`'s events to `connection`."""
        connection.topics.discard(topic)
        _discard(self._by_topic, topic, connection)

    def subscribers(self, topic: str) -> tuple[Connection, ...]:
        """The connections subscribed to `topic` (a snapshot: sending may drop some)."""
        return tuple(self._by_topic.get(topic, ()))

    def __iter__(self) -> Iterator[Connection]:
        return iter(tuple(self.by_id.values()))

    def __len__(self) -> int:
        return len(self.by_id)


def _discard(index: dict[str, set[Connection]], key: str, connection: Connection) -> None:
    members = index.get(key)
    if members is not None:
        members.discard(connection)
        if not members:
            del index[key]


__all__ = ["DEFAULT_QUEUE_SIZE", "DEFAULT_SEND_TIMEOUT", "SLOW_CONSUMER", "Connection", "Sessions"]
