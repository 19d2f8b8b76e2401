"""The two drivers: carry out the pipeline's effects with blocking calls or with awaits.

Each run of a pipeline owns the semaphore slots it takes (`apiforge.core.semaphores`): when the
run ends, however it ends, the driver gives back whatever the run still holds, so an interrupt
that lands between an `Acquire` and the pipeline's `finally` cannot leak a slot.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Generator
from typing import Any, Generic, TypeVar

import httpx

from apiforge.core.effects import Acquire, Callback, Effect, Release, Remote, Reserve, Send, Sleep
from apiforge.core.errors import ConfigurationError, TransportError
from apiforge.core.protocols.base import METHOD_EXTENSION
from apiforge.core.semaphores import AwaitingSemaphores, BlockingSemaphores

T = TypeVar("T")
Y = TypeVar("Y")
# Failures that happen before a byte of the request leaves: safe to retry any call.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
SHARED = object()
"""The owner of slots taken through `perform()` without one (callers that run no pipeline of their own)."""


def transport_error(request: httpx.Request, exc: httpx.TransportError) -> TransportError:
    """An httpx failure as our TransportError, naming the method and noting whether the request may have been processed.

    The method is the one the request was made for (`for_method`); a request made outside a call
    (an OAuth exchange, a long-poll request) is named by the last segment of its URL's path.
    """
    method = request.extensions.get(METHOD_EXTENSION)
    if not isinstance(method, str) or not method:
        method = request.url.path.rsplit("/", 1)[-1] or request.url.path
    return TransportError(method, f"{type(exc).__name__}: {exc}", sent=not isinstance(exc, _NOT_SENT))


class Step(Generic[Y, T]):
    """Advances a generator of effects by one step, feeding it the last effect's outcome or error.

    The call pipeline yields effects and returns a result; a stream (events/stream.py) also
    yields items for its consumer. Both drivers and both stream loops advance them with this.
    """

    def __init__(self, steps: Generator[Y, Any, T]) -> None:
        self._steps = steps
        self.outcome: Any = None
        self.error: BaseException | None = None
        self._result: T | None = None

    def next(self) -> Y | None:
        """What the generator yields next, or None once it has returned."""
        outcome, error = self.outcome, self.error
        self.outcome, self.error = None, None
        try:
            return self._steps.throw(error) if error is not None else self._steps.send(outcome)
        except StopIteration as stop:
            self._result = stop.value
            return None

    @property
    def result(self) -> T:
        return self._result  # type: ignore[return-value]


class SyncDriver:
    """Runs pipelines in the calling thread over an httpx.Client."""

    def __init__(self, http: httpx.Client, sleep: Any = time.sleep) -> None:
        self.http = http
        self.sleep = sleep
        self.semaphores = BlockingSemaphores()
        """The named semaphores of `Acquire` / `Release` (per client: its threads share them)."""

    def run(self, pipeline: Generator[Effect, Any, T]) -> T:
        """Carry out the pipeline's effects until it returns (or raises); then free what it still holds."""
        owner = object()
        step: Step[Effect, T] = Step(pipeline)
        try:
            while (effect := step.next()) is not None:
                try:
                    step.outcome = self.perform(effect, owner)
                except BaseException as exc:  # noqa: BLE001 - handed to the pipeline, which decides
                    step.error = exc
            return step.result
        finally:
            self.semaphores.release_all(owner)

    def perform(self, effect: Effect, owner: object = SHARED) -> Any:
        """Carry out one effect; slots of `Acquire` are taken (and `Release` gives them back) for `owner`."""
        if isinstance(effect, Send):
            try:
                return self.http.send(effect.request)
            except httpx.TransportError as exc:
                raise transport_error(effect.request, exc) from None
        if isinstance(effect, Sleep):
            self.sleep(effect.seconds)
            return None
        if isinstance(effect, Acquire):
            self.semaphores.acquire(effect.name, effect.size, owner)
            return None
        if isinstance(effect, Release):
            self.semaphores.release(effect.name, owner)
            return None
        if isinstance(effect, Reserve):
            return effect.limiter.reserve(effect.key, effect.now, effect.rate)
        if isinstance(effect, Remote):
            return effect.sync()
        if isinstance(effect, Callback):
            function: Any = effect.function
            result: Any = function(*effect.args)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise ConfigurationError(f"{effect.function!r} is async; a sync client needs a sync hook")
            return result
        raise TypeError(f"unknown effect {effect!r}")


class AsyncDriver:
    """Runs pipelines as coroutines over an httpx.AsyncClient."""

    def __init__(self, http: httpx.AsyncClient, sleep: Any = None) -> None:
        # asyncio loads with the first async client, not on `import apiforge.<api>`.
        import asyncio

        self.http = http
        self.sleep = sleep if sleep is not None else asyncio.sleep
        self.semaphores = AwaitingSemaphores()
        """The named semaphores of `Acquire` / `Release` (per client: its tasks share them)."""

    async def run(self, pipeline: Generator[Effect, Any, T]) -> T:
        """Carry out the pipeline's effects until it returns (or raises); then free what it still holds."""
        owner = object()
        step: Step[Effect, T] = Step(pipeline)
        try:
            while (effect := step.next()) is not None:
                try:
                    step.outcome = await self.perform(effect, owner)
                except BaseException as exc:  # noqa: BLE001 - handed to the pipeline, which decides
                    step.error = exc
            return step.result
        finally:
            self.semaphores.release_all(owner)

    async def perform(self, effect: Effect, owner: object = SHARED) -> Any:
        """Carry out one effect; slots of `Acquire` are taken (and `Release` gives them back) for `owner`."""
        if isinstance(effect, Send):
            try:
                return await self.http.send(effect.request)
            except httpx.TransportError as exc:
                raise transport_error(effect.request, exc) from None
        if isinstance(effect, Sleep):
            await self.sleep(effect.seconds)
            return None
        if isinstance(effect, Acquire):
            await self.semaphores.acquire(effect.name, effect.size, owner)
            return None
        if isinstance(effect, Release):
            self.semaphores.release(effect.name, owner)
            return None
        if isinstance(effect, Reserve):
            return await effect.limiter.areserve(effect.key, effect.now, effect.rate)
        if isinstance(effect, Remote):
            return await effect.aio()
        if isinstance(effect, Callback):
            function: Any = effect.function
            result: Any = function(*effect.args)
            if inspect.isawaitable(result):
                result = await result
            return result
        raise TypeError(f"unknown effect {effect!r}")


__all__ = ["SHARED", "AsyncDriver", "SyncDriver", "transport_error"]
