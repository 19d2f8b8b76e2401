"""One dispatcher for every event source: VK updates, VK user events, Wialon AVL events, webhooks.

    router = Router(middlewares=[timing])

    @router.on(MessageNew, filter=lambda u: u.object.message is not None)
    async def reply(update: MessageNew) -> None: ...      # `update` is a MessageNew

    @router.on(AvlMessageEvent)
    def moved(event: AvlMessageEvent) -> None: ...

    await router.run(BotLongPoll(vk, group_id=1))         # async: up to `max_concurrency` handlers at once
    router.run_sync(BotLongPoll(vk, group_id=1))          # sync: one at a time, or in threads
    AvlPoller(wialon, sink=router)                         # a router is also a sink: router(event)

An event goes to the first handler (in registration order) whose event class matches
(`isinstance`, so a base class catches its subclasses) and whose filter passes. A handler that
raises is logged (logger "apiforge.events") and the loop goes on. `stop()` ends a run: no new
event is taken, handlers already running finish.

Middlewares wrap each handler call. A middleware is a generator function that yields once,
like a `contextlib.contextmanager` function — so the same middleware serves sync and async
handlers. An exception of the handler is raised at the `yield`; a middleware may handle it.

    def timing(call: Dispatch) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            log.info("%s took %.3fs", call.name, time.perf_counter() - started)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import types
import typing
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias, TypeVar, cast, overload

import attrs

from apiforge.core.errors import ConfigurationError

E = TypeVar("E")
E2 = TypeVar("E2")
E3 = TypeVar("E3")
R = TypeVar("R")
logger = logging.getLogger("apiforge.events")
_END = object()


@attrs.frozen
class Dispatch:
    """What a middleware sees: the event and the handler about to run."""

    event: object
    handler: Callable[..., object]

    @property
    def name(self) -> str:
        """The handler's qualified name, for logs."""
        return _name(self.handler)


Middleware: TypeAlias = Callable[[Dispatch], Iterator[None]]
"""A generator function that yields once around the handler call (see the module docs)."""


@attrs.frozen
class RouterStats:
    """What one run did: events taken from the source, handled, failed (a handler raised), unmatched."""

    received: int = 0
    handled: int = 0
    failed: int = 0
    unmatched: int = 0


@attrs.frozen
class _Route:
    types: tuple[type, ...]
    handler: Callable[[Any], object]
    filter: Callable[[Any], bool] | None


class _Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received = self.handled = self.failed = self.unmatched = 0

    def add(self, field: str) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + 1)

    def snapshot(self) -> RouterStats:
        with self._lock:
            return RouterStats(self.received, self.handled, self.failed, self.unmatched)


class Router:
    """Typed handlers for events of any source; see the module docs.

    Args:
        middlewares: wrap every handler call, the first one outermost.
    """

    def __init__(self, *, middlewares: Sequence[Middleware] = ()) -> None:
        self._routes: list[_Route] = []
        self._middlewares: list[Middleware] = []
        for middleware in middlewares:
            self.use(middleware)
        self._stopping = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_stop: asyncio.Event | None = None
        self._counters = _Counters()

    # Registration.

    @overload
    def on(
        self, event_type: type[E], /, *, filter: Callable[[E], bool] | None = None
    ) -> Callable[[Callable[[E], R]], Callable[[E], R]]: ...
    @overload
    def on(
        self, event_type: tuple[type[E], type[E2]], /, *, filter: Callable[[E | E2], bool] | None = None
    ) -> Callable[[Callable[[E | E2], R]], Callable[[E | E2], R]]: ...
    @overload
    def on(
        self,
        event_type: tuple[type[E], type[E2], type[E3]],
        /,
        *,
        filter: Callable[[E | E2 | E3], bool] | None = None,
    ) -> Callable[[Callable[[E | E2 | E3], R]], Callable[[E | E2 | E3], R]]: ...
    def on(
        self, event_type: object, /, *, filter: Callable[[Any], bool] | None = None
    ) -> Callable[[Callable[[Any], R]], Callable[[Any], R]]:
        """Decorator: handle events of `event_type` (a class, or a tuple of classes) that pass `filter`.

        The handler (sync or async) receives the event typed as `event_type`; it is returned unchanged.
        """
        types_ = _event_types(event_type)

        def register(handler: Callable[[Any], R]) -> Callable[[Any], R]:
            self._add(types_, handler, filter)
            return handler

        return register

    def add(
        self, event_type: type[E], handler: Callable[[E], object], *, filter: Callable[[E], bool] | None = None
    ) -> None:
        """Register `handler` for events of `event_type` that pass `filter` (the non-decorator form of `on`)."""
        self._add(_event_types(event_type), handler, filter)

    def use(self, middleware: Middleware) -> Middleware:
        """Add a middleware (innermost so far); usable as a decorator."""
        if not callable(middleware):
            raise TypeError(f"a middleware must be a generator function, got {type(middleware).__name__}")
        self._middlewares.append(middleware)
        return middleware

    @property
    def handlers(self) -> tuple[Callable[..., object], ...]:
        """The registered handlers, in the order they are tried."""
        return tuple(route.handler for route in self._routes)

    def _add(self, types_: tuple[type, ...], handler: Callable[[Any], object], filter: object) -> None:
        if not callable(handler):
            raise TypeError(f"an event handler must be callable, got {type(handler).__name__}")
        if filter is not None and not callable(filter):
            raise TypeError(f"a filter must be callable (event -> bool), got {type(filter).__name__}")
        self._routes.append(_Route(types_, handler, cast("Callable[[Any], bool] | None", filter)))

    # Running.

    def run_sync(self, source: Iterable[object], *, max_concurrency: int = 1) -> RouterStats:
        """Dispatch every event of `source` until it ends or `stop()` is called; handlers must be sync.

        With `max_concurrency` 1 handlers run one after another in this thread, in order; above 1
        they run in that many threads. `stop()` takes effect when the source yields its next event
        (a long poll holds a request open up to `wait` seconds).
        """
        _check_concurrency(max_concurrency)
        if not isinstance(source, Iterable):
            raise TypeError(f"run_sync() needs an iterable of events, got {type(source).__name__}: use `await run()`")
        self._begin()
        iterator = iter(source)
        try:
            if max_concurrency == 1:
                while not self._stopping.is_set():
                    event = next(iterator, _END)
                    if event is _END:
                        break
                    self.handle(event)
            else:
                self._run_threads(iterator, max_concurrency)
        finally:
            _close(iterator)
        return self._counters.snapshot()

    def _run_threads(self, iterator: Iterator[object], max_concurrency: int) -> None:
        slots = threading.BoundedSemaphore(max_concurrency)
        # Leaving the `with` waits for the handlers still running: a graceful stop.
        with ThreadPoolExecutor(max_concurrency, thread_name_prefix="apiforge-router") as pool:
            while not self._stopping.is_set():
                slots.acquire()
                event = next(iterator, _END) if not self._stopping.is_set() else _END
                if event is _END:
                    slots.release()
                    break
                future = pool.submit(self.handle, event)
                future.add_done_callback(lambda _: slots.release())

    async def run(self, source: AsyncIterable[object] | Iterable[object], *, max_concurrency: int = 16) -> RouterStats:
        """Dispatch every event of `source` until it ends or `stop()` is called.

        Up to `max_concurrency` handlers run at once (1: one after another, in order); the next
        event is taken only when a slot is free. Sync handlers run in worker threads. `stop()`
        cancels the wait for the next event of an async source (nothing is lost: a long poll
        keeps its place) and waits for the running handlers. A sync source is read in a thread.
        """
        _check_concurrency(max_concurrency)
        events, cancellable = _open(source)
        self._begin()
        stop = asyncio.Event()
        self._loop, self._async_stop = asyncio.get_running_loop(), stop
        slots = asyncio.Semaphore(max_concurrency)
        running: set[asyncio.Task[None]] = set()
        try:
            while not self._stopping.is_set():
                await slots.acquire()
                if self._stopping.is_set():  # stopped while waiting for a free slot
                    slots.release()
                    break
                event = await _next_or_stop(events, stop, cancellable=cancellable)
                if event is _END:
                    slots.release()
                    break
                task = asyncio.create_task(self._handle_async(event))
                running.add(task)
                task.add_done_callback(_finished(running, slots))
        finally:
            try:
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
            finally:
                self._loop = self._async_stop = None
                await events.aclose()
        return self._counters.snapshot()

    def stop(self) -> None:
        """End the current run: no new event is taken; running handlers finish. Callable from anywhere."""
        self._stopping.set()
        loop, stop = self._loop, self._async_stop
        if loop is None or stop is None or loop.is_closed():
            return
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            stop.set()
        else:
            loop.call_soon_threadsafe(stop.set)

    @property
    def stats(self) -> RouterStats:
        """The counters of the current (or last) run."""
        return self._counters.snapshot()

    def _begin(self) -> None:
        self._stopping.clear()
        self._counters = _Counters()

    # Dispatching one event: written once, for both kinds of handlers.

    def __call__(self, event: object) -> Awaitable[None] | None:
        """Dispatch one event (the router as a sink, e.g. of `AvlPoller`).

        A sync handler runs now (None is returned); for an async handler the awaitable that runs
        it is returned, for an async caller to await.
        """
        route = self._route_for(event)
        if route is None:
            return None
        if _is_async(route.handler):
            return self._run_route_async(route, event)
        self._run_route_sync(route, event)
        return None

    def handle(self, event: object) -> None:
        """Dispatch one event with sync handlers (an async handler is a configuration error, logged)."""
        route = self._route_for(event)
        if route is not None:
            self._run_route_sync(route, event)

    async def ahandle(self, event: object) -> None:
        """Dispatch one event; sync handlers run in a worker thread."""
        await self._handle_async(event)

    async def _handle_async(self, event: object) -> None:
        route = self._route_for(event)
        if route is not None:
            await self._run_route_async(route, event, threads=True)

    def _route_for(self, event: object) -> _Route | None:
        self._counters.add("received")
        route = self._match(event)
        if route is None:
            self._counters.add("unmatched")
        return route

    def _match(self, event: object) -> _Route | None:
        for route in list(self._routes):
            if not isinstance(event, route.types):
                continue
            if route.filter is None:
                return route
            try:
                if route.filter(event):
                    return route
            except Exception:
                logger.exception("the filter of %s failed on %s; skipped", _name(route.handler), type(event).__name__)
        return None

    def _run_route_sync(self, route: _Route, event: object) -> None:
        call = Dispatch(event, route.handler)
        wrappers, error = self._enter(call)
        if error is None:
            try:
                result = route.handler(event)
                if inspect.isawaitable(result):
                    _discard(result)
                    raise ConfigurationError(f"{call.name} is async: dispatch with `await router.run()`")
            except Exception as exc:  # noqa: BLE001 - logged below; the loop goes on
                error = exc
        self._finish(call, self._exit(wrappers, error))

    async def _run_route_async(self, route: _Route, event: object, *, threads: bool = False) -> None:
        call = Dispatch(event, route.handler)
        wrappers, error = self._enter(call)
        if error is None:
            try:
                if _is_async(route.handler):
                    await cast("Awaitable[object]", route.handler(event))
                elif threads:
                    result = await asyncio.to_thread(route.handler, event)
                    if inspect.isawaitable(result):
                        await result
                else:
                    result = route.handler(event)
                    if inspect.isawaitable(result):
                        await result
            except Exception as exc:  # noqa: BLE001 - logged below; the loop goes on
                error = exc
        self._finish(call, self._exit(wrappers, error))

    def _enter(self, call: Dispatch) -> tuple[list[Generator[None, None, None]], Exception | None]:
        entered: list[Generator[None, None, None]] = []
        for middleware in self._middlewares:
            try:
                wrapper = middleware(call)
                if not inspect.isgenerator(wrapper):
                    raise ConfigurationError(
                        f"middleware {_name(middleware)} must be a generator function (yield once)"
                    )
                next(wrapper)
            except StopIteration:
                return entered, ConfigurationError(f"middleware {_name(middleware)} did not yield")
            except Exception as exc:  # noqa: BLE001 - a failing middleware fails this call only
                return entered, exc
            entered.append(cast("Generator[None, None, None]", wrapper))
        return entered, None

    def _exit(self, entered: list[Generator[None, None, None]], error: Exception | None) -> Exception | None:
        # Innermost first; a middleware that catches the error ends it, one that raises replaces it.
        for wrapper in reversed(entered):
            try:
                if error is None:
                    next(wrapper)
                else:
                    wrapper.throw(error)
            except StopIteration:
                error = None
                continue
            except Exception as exc:  # noqa: BLE001
                error = exc
                continue
            wrapper.close()
            error = ConfigurationError(f"a middleware of {_name(wrapper)} yielded more than once")
        return error

    def _finish(self, call: Dispatch, error: Exception | None) -> None:
        if error is None:
            self._counters.add("handled")
            return
        self._counters.add("failed")
        logger.error(
            "handler %s failed on %s: %s: %s",
            call.name,
            type(call.event).__name__,
            type(error).__name__,
            error,
            exc_info=(type(error), error, error.__traceback__),
        )


def _event_types(event_type: object) -> tuple[type, ...]:
    if isinstance(event_type, type):
        return (event_type,)
    members: tuple[object, ...]
    if isinstance(event_type, tuple):
        members = cast("tuple[object, ...]", event_type)
    elif isinstance(event_type, types.UnionType) or typing.get_origin(event_type) is typing.Union:
        members = typing.get_args(event_type)
    else:
        members = (event_type,)
    found: list[type] = []
    for member in members:
        if not isinstance(member, type):
            raise TypeError(f"on(): expected an event class or a tuple of them, got {member!r}")
        found.append(member)
    if not found:
        raise TypeError("on(): name at least one event class")
    return tuple(found)


def _is_async(handler: object) -> bool:
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(getattr(handler, "__call__", None))  # noqa: B004


def _name(function: object) -> str:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    return name if isinstance(name, str) else type(function).__name__


def _discard(awaitable: object) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()


def _check_concurrency(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_concurrency must be a whole number >= 1, got {value!r}")


def _close(iterator: Iterator[object]) -> None:
    close = getattr(iterator, "close", None)
    if callable(close):
        close()


def _finished(running: set[asyncio.Task[None]], slots: asyncio.Semaphore) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        running.discard(task)
        slots.release()

    return done


def _open(source: AsyncIterable[object] | Iterable[object]) -> tuple[AsyncGenerator[object, None], bool]:
    """The events of a source, and whether waiting for the next one may be cancelled.

    An async source is read with `async for` (cancellable: it keeps its place); a sync one in a
    worker thread, which cannot be interrupted. A source that is both (a long poll) is read the
    way its client allows.
    """
    if isinstance(source, AsyncIterable):
        try:
            return _async_events(aiter(source)), True
        except TypeError:
            if not isinstance(source, Iterable):
                raise
    if not isinstance(source, Iterable):
        raise TypeError(f"run() needs an iterable or async iterable of events, got {type(source).__name__}")
    return _threaded_events(iter(source)), False


async def _async_events(iterator: AsyncIterator[object]) -> AsyncGenerator[object, None]:
    try:
        async for event in iterator:
            yield event
    finally:
        aclose = getattr(iterator, "aclose", None)
        if callable(aclose):
            await cast("Callable[[], Awaitable[object]]", aclose)()


async def _threaded_events(iterator: Iterator[object]) -> AsyncGenerator[object, None]:
    try:
        while True:
            event = await asyncio.to_thread(next, iterator, _END)
            if event is _END:
                return
            yield event
    finally:
        _close(iterator)


async def _next_or_stop(events: AsyncIterator[object], stop: asyncio.Event, *, cancellable: bool) -> object:
    """The next event, or _END when the source ends or `stop` is set first.

    Only an async source is cancelled when stop comes first (it keeps its place); a sync one is
    read in a thread that cannot be interrupted, so its event is waited for and still handled.
    """
    if not cancellable:
        return await anext(events, _END)
    getting = asyncio.ensure_future(anext(events, _END))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if getting in done:
        return getting.result()
    getting.cancel()
    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
        await getting
    return _END


__all__ = ["Dispatch", "Middleware", "Router", "RouterStats"]
