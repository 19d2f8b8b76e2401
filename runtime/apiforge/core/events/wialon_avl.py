"""Wialon AVL events: poll `{base_url}/avl_evts`, decode the typed events, hand them to handlers.

    poller = AvlPoller(w, interval=2)
    poller.subscribe(UpdateDataFlagsSpec(type=UpdateDataFlagsSpecType.COL, data=[734455],
                                         flags=UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION,
                                         mode=UpdateDataFlagsMode.ADD))

    @poller.on("m", filter=lambda e: e.i == 734455)
    def moved(event: AvlMessageEvent) -> None: ...

    poller.start()   # a thread (AsyncAvlPoller: a task); poller.run() blocks instead
    poller.stop()

Events arrive only for items registered in the session with core/update_data_flags; the
poller registers its subscriptions before its first poll and again after every re-login (as
a session-open step, so calls wait for it). Polling also keeps the session alive.

One poll (`AvlPollCycle.poll`) is a generator of pipeline effects, shared by both pollers;
they differ only in how they loop, sleep and stop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from apiforge.core.call import Call
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.converter import structure
from apiforge.core.effects import Callback, Effect
from apiforge.core.errors import APIForgeError, ConfigurationError, DecodeError
from apiforge.core.events.handlers import EventHandlers
from apiforge.core.pipeline import run_call
from apiforge.core.protocols.base import json_object
from apiforge.core.protocols.wialon import AVL_EVENTS, AVL_EVENTS_SPEC, WialonProtocol
from apiforge.core.types import JSON

if TYPE_CHECKING:
    from apiforge.wialon.models.events import AvlDeleteEvent, AvlEvent, AvlMessageEvent, AvlUpdateEvent
    from apiforge.wialon.models.search import UpdateDataFlagsSpec

logger = logging.getLogger("apiforge")

MIN_INTERVAL = 1.0
"""Seconds between polls at the least: Wialon serves 10 avl_evts requests per 10 s per session."""
DEFAULT_INTERVAL = 2.0

Sink = Callable[["AvlEvent"], object]
"""Where events go: any callable taking an event (sync, or async with the async poller)."""
AnyHandler = TypeVar("AnyHandler", bound=Callable[["AvlEvent"], object])
MessageHandler = TypeVar("MessageHandler", bound=Callable[["AvlMessageEvent"], object])
UpdateHandler = TypeVar("UpdateHandler", bound=Callable[["AvlUpdateEvent"], object])
DeleteHandler = TypeVar("DeleteHandler", bound=Callable[["AvlDeleteEvent"], object])


def decode_events(payload: object) -> tuple[int | None, list[AvlEvent]]:
    """The server time and the typed events of an avl_evts response.

    An event that does not decode is logged and skipped: the others are still delivered.
    """
    from apiforge.wialon.models.events import AvlEvent

    body = json_object(payload)
    if body is None:
        raise DecodeError(AVL_EVENTS, "$", payload, "expected a JSON object with 'events'")
    tm = body.get("tm")
    raw_events: object = body.get("events") or []
    if not isinstance(raw_events, list):
        raise DecodeError(AVL_EVENTS, "$.events", raw_events, "expected a JSON array")
    events: list[AvlEvent] = []
    for index, raw in enumerate(cast("list[object]", raw_events)):
        try:
            event: AvlEvent = structure(raw, AvlEvent, method=AVL_EVENTS)
        except DecodeError as error:
            # One strange event must not cost the others: they are gone from the server's queue.
            logger.warning("wialon avl_evts: skipped event %d, it does not decode: %s", index, error)
            continue
        events.append(event)
    return (tm if isinstance(tm, int) else None), events


def _kind(event: AvlEvent) -> str:
    return str(event.t)


class AvlPollCycle:
    """What both pollers share: subscriptions, handlers, the interval and one poll as pipeline effects."""

    def __init__(
        self,
        client: SyncClient | AsyncClient,
        *,
        interval: float,
        sink: Sink | None,
        clock: Callable[[], float] | None,
        is_async: bool,
    ) -> None:
        protocol = client._protocol
        if not isinstance(protocol, WialonProtocol):
            raise TypeError(f"an AVL event poller needs a Wialon client, got {type(client).__name__}")
        if not isinstance(interval, int | float) or interval < MIN_INTERVAL:
            raise ValueError(
                f"interval must be at least {MIN_INTERVAL:g} s (Wialon serves 10 avl_evts requests per 10 s "
                f"per session), got {interval!r}"
            )
        self._protocol = protocol
        self._policy = client._policy
        self._is_async = is_async
        self.interval = float(interval)
        """Seconds from the start of one poll to the start of the next."""
        self.clock = clock or time.monotonic
        self.handlers: EventHandlers[AvlEvent] = EventHandlers(_kind)
        """The handlers `on()` registers; the default sink."""
        self.sink: Sink = sink if sink is not None else self.handlers
        self._check_function(self.sink, "sink")
        self.server_time: int | None = None
        """`tm` of the last poll: the server's clock (UTC seconds)."""
        self._specs: list[UpdateDataFlagsSpec] = []
        self._registered_serial: int | None = None
        self._call: Call[JSON] = AVL_EVENTS_SPEC.call({})

    # Handlers.

    @overload
    def on(
        self, kind: Literal["m"], *, filter: Callable[[AvlMessageEvent], bool] | None = None
    ) -> Callable[[MessageHandler], MessageHandler]: ...
    @overload
    def on(
        self, kind: Literal["u"], *, filter: Callable[[AvlUpdateEvent], bool] | None = None
    ) -> Callable[[UpdateHandler], UpdateHandler]: ...
    @overload
    def on(
        self, kind: Literal["d"], *, filter: Callable[[AvlDeleteEvent], bool] | None = None
    ) -> Callable[[DeleteHandler], DeleteHandler]: ...
    @overload
    def on(
        self, kind: None = None, *, filter: Callable[[AvlEvent], bool] | None = None
    ) -> Callable[[AnyHandler], AnyHandler]: ...
    def on(self, kind: str | None = None, *, filter: Callable[[Any], bool] | None = None) -> Callable[[Any], Any]:
        """Decorator: handle events of `kind` ("m" message, "u" update, "d" delete; None: all) passing `filter`.

        Handlers are tried in registration order and the first whose kind and filter accept an
        event gets it. An exception in a handler (or a filter) is logged; polling goes on.
        """
        if kind is not None and kind not in ("m", "u", "d"):
            raise ValueError(f"on(): kind must be 'm', 'u', 'd' or None, got {kind!r}")

        def register(handler: Any) -> Any:
            self._check_function(handler, "handler")
            self.handlers.add(handler, kind=kind, filter=filter)
            return handler

        return register

    # Subscriptions.

    def subscribe(self, *specs: UpdateDataFlagsSpec) -> None:
        """Register items for events (core/update_data_flags) before the next poll and after every re-login.

        The registration after a re-login is a session-open step of the client: it runs inside
        the login, before any waiting call goes on, so no event of the new session is missed.
        """
        self._specs.extend(specs)
        self._registered_serial = None  # the current session does not know the new ones yet
        if self.register not in self._protocol.open_steps:
            self._protocol.open_steps.append(self.register)

    def unsubscribe_all(self) -> None:
        """Forget the subscriptions (the current session keeps what it registered until it ends)."""
        self._specs.clear()
        if self.register in self._protocol.open_steps:
            self._protocol.open_steps.remove(self.register)

    @property
    def subscriptions(self) -> tuple[UpdateDataFlagsSpec, ...]:
        """What `subscribe()` registered, in order."""
        return tuple(self._specs)

    # One poll, as effects for either driver.

    def poll(self) -> Generator[Effect, Any, int]:
        """Register the subscriptions if this session lacks them, poll once, dispatch every event.

        Returns the number of events. A failed poll is logged and counts as none (the next one
        retries); a failing handler is logged and the next event goes on.
        """
        try:
            if self._specs and self._protocol.ready and self._registered_serial != self._protocol.session_serial:
                yield from self.register()
            payload = yield from run_call(self._protocol, self._policy, self._call)
            self.server_time, events = decode_events(payload)
        except ConfigurationError:
            raise
        except APIForgeError as error:
            logger.warning("wialon avl_evts: poll failed (%s); trying again in %gs", error, self.interval)
            return 0
        for event in events:
            try:
                yield Callback(self.sink, (event,))
            except Exception:
                logger.exception("wialon avl_evts: the handler of a %r event of item %d failed", str(event.t), event.i)
        return len(events)

    def register(self) -> Generator[Effect, Any, None]:
        """Send the subscriptions to the current session (core/update_data_flags)."""
        if not self._specs:
            return
        from apiforge.wialon import METHODS

        serial = self._protocol.session_serial
        call = METHODS["core/update_data_flags"].spec.call({"spec": list(self._specs)})
        yield from run_call(self._protocol, self._policy, call)
        self._registered_serial = serial

    def next_wait(self, started: float) -> float:
        """Seconds to wait before the next poll, for a poll that started at `started`."""
        return max(0.0, self.interval - (self.clock() - started))

    def _check_function(self, function: object, what: str) -> None:
        if not callable(function):
            raise TypeError(f"an AVL event {what} must be callable, got {type(function).__name__}")
        # (An object whose __call__ is async slips through; the sync driver then rejects it per event.)
        if not self._is_async and inspect.iscoroutinefunction(function):
            name = getattr(function, "__qualname__", type(function).__name__)
            raise ConfigurationError(
                f"{name} is async; AvlPoller (sync) runs sync handlers (use AsyncAvlPoller for async ones)"
            )


class AvlPoller(AvlPollCycle):
    """Polls AVL events for a sync `Wialon` client: `run()` blocks, `start()` polls in a thread.

    Args:
        client: the Wialon client (its session, limits and retries are used).
        interval: seconds between the starts of two polls, at least 1.
        sink: where events go (default: the handlers registered with `on()`).
        clock: monotonic seconds (a fake clock in tests).
        sleep: waits between polls (default: a wait that `stop()` cuts short).
    """

    def __init__(
        self,
        client: SyncClient,
        *,
        interval: float = DEFAULT_INTERVAL,
        sink: Sink | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        super().__init__(client, interval=interval, sink=sink, clock=clock, is_async=False)
        self._driver = client._driver
        self._stopping = threading.Event()
        self._sleep: Callable[[float], object] = sleep or self._stopping.wait
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        """What ended the poller's thread, if it ended by an error."""

    @property
    def running(self) -> bool:
        """Is the poller's thread alive?"""
        return self._thread is not None and self._thread.is_alive()

    def poll_once(self) -> int:
        """One poll now (with registration when due); returns the number of events dispatched."""
        return self._driver.run(self.poll())

    def run(self) -> None:
        """Poll until `stop()` is called (from a handler or another thread)."""
        self._stopping.clear()
        self._loop()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = self.clock()
            self._driver.run(self.poll())
            wait = self.next_wait(started)
            if wait > 0 and not self._stopping.is_set():
                self._sleep(wait)

    def start(self) -> None:
        """Poll in a background (daemon) thread."""
        if self.running:
            return
        self._stopping.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run_in_thread, name="apiforge-wialon-avl", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the poll in progress (handlers are never interrupted); waits for the thread to end."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run_in_thread(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # a thread has no caller to raise to
            self.error = exc
            logger.exception("wialon avl_evts: the poller stopped on an error")


class AsyncAvlPoller(AvlPollCycle):
    """Polls AVL events for an `AsyncWialon` client: `await run()`, or `start()` a task; handlers may be async.

    Args:
        client: the async Wialon client (its session, limits and retries are used).
        interval: seconds between the starts of two polls, at least 1.
        sink: where events go (default: the handlers registered with `on()`).
        clock: monotonic seconds (a fake clock in tests).
        sleep: awaited between polls (default: asyncio.sleep; `stop()` cuts it short).
    """

    def __init__(
        self,
        client: AsyncClient,
        *,
        interval: float = DEFAULT_INTERVAL,
        sink: Sink | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(client, interval=interval, sink=sink, clock=clock, is_async=True)
        self._driver = client._driver
        self._sleep: Callable[[float], Awaitable[object]] = sleep or asyncio.sleep
        self._stopping = False
        self._sleeping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Is the poller's task running?"""
        return self._task is not None and not self._task.done()

    async def poll_once(self) -> int:
        """One poll now (with registration when due); returns the number of events dispatched."""
        return await self._driver.run(self.poll())

    async def run(self) -> None:
        """Poll until `stop()` is called."""
        self._stopping = False
        await self._loop()

    async def _loop(self) -> None:
        while not self._stopping:
            started = self.clock()
            await self._driver.run(self.poll())
            wait = self.next_wait(started)
            if wait > 0 and not self._stopping:
                self._sleeping = True
                try:
                    await self._sleep(wait)
                finally:
                    self._sleeping = False

    def start(self) -> asyncio.Task[None]:
        """Poll in a task of the running event loop (returned; `stop()` ends it)."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="apiforge-wialon-avl")
        return self._task

    async def stop(self) -> None:
        """Stop after the poll in progress (a wait between polls is cut short); waits for the task to end."""
        self._stopping = True
        task = self._task
        if task is None or task is asyncio.current_task():
            return
        if self._sleeping:
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise


__all__ = [
    "DEFAULT_INTERVAL",
    "MIN_INTERVAL",
    "AsyncAvlPoller",
    "AvlPollCycle",
    "AvlPoller",
    "Sink",
    "decode_events",
]
