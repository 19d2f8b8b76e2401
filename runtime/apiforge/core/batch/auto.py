"""Automatic batching for async clients: concurrent calls made within a short window share requests.

The first batchable call opens a window of `window` seconds; calls made while it is open join it.
The window closes when its time is up or when it holds a full request (`max_calls`); its calls
then go out through `send_entries` — as one or more batch requests, or as the call itself when it
was alone. Each caller awaits its own result, as if it had made the call alone.

Calls join a window only with calls of the same protocol adapter and policy, so a client view
with other options (`with_options`) never sends its calls under another view's settings, and
only with calls made under the same values of apiforge's own context variables (those named
`apiforge...`, such as the tokens `pin_token` pins): the window is sent in that context.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from apiforge.core.batch.errors import NotBatchableError
from apiforge.core.batch.pending import Pending
from apiforge.core.batch.plan import BatchPlanner, Entry
from apiforge.core.batch.send import send_entries
from apiforge.core.call import Call
from apiforge.core.drivers import AsyncDriver
from apiforge.core.pipeline import Policy, run_call
from apiforge.core.protocols.base import Protocol

T = TypeVar("T")
DEFAULT_WINDOW = 0.01
"""Seconds a window stays open for more calls (10 ms)."""


WindowKey = tuple[int, int, tuple[tuple[str, int], ...]]


class _Window:
    def __init__(self, protocol: Protocol, policy: Policy, context: contextvars.Context) -> None:
        self.protocol = protocol
        self.policy = policy
        self.context = context  # holds the values the key names by id, and is where the window is sent
        self.entries: list[Entry] = []
        self.timer: asyncio.Task[None] | None = None


def _apiforge_context() -> tuple[contextvars.Context, tuple[tuple[str, int], ...]]:
    """The current context, and the identities of the values of apiforge's own variables in it."""
    context = contextvars.copy_context()
    own = sorted((var.name, id(value)) for var, value in context.items() if var.name.startswith("apiforge"))
    return context, tuple(own)


class AutoBatcher:
    """Coalesces concurrent batchable calls of an async client into batch requests.

    Args:
        planner: how the API batches (e.g. `VKExecutePlanner()`).
        driver: the client's async driver, which sends the requests.
        window: seconds to wait for more calls after the first one.
        sleep: how to wait (default: the driver's sleep at the time, so a fake clock given to it applies).
    """

    def __init__(
        self,
        planner: BatchPlanner,
        driver: AsyncDriver,
        *,
        window: float = DEFAULT_WINDOW,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        if not window >= 0:
            raise ValueError(f"window must be a number of seconds >= 0, got {window!r}")
        self.planner = planner
        self.driver = driver
        self.window = window
        self._sleep = sleep
        self._open: dict[WindowKey, _Window] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def accepts(self, call: Call[Any]) -> bool:
        """Whether `call` may join a window: its method is batchable."""
        return call.spec.batchable

    async def submit(self, call: Call[T], protocol: Protocol, policy: Policy) -> T:
        """Make `call` in the current window and return its result (or raise its own error)."""
        try:
            call = self.planner.admit(protocol, call)
        except NotBatchableError:
            # Transparent to the caller: what cannot share a request goes alone.
            return await self.driver.run(run_call(protocol, policy, call))
        pending: Pending[T] = Pending(call.method)
        pending.mark_sent()  # a window always gets sent: awaiting it waits
        context, own = _apiforge_context()
        key = (id(protocol), id(policy), own)
        window = self._open.get(key)
        if window is None:
            window = self._open[key] = _Window(protocol, policy, context)
            window.timer = self._spawn(self._close_later(key, window), window.context)
        window.entries.append(Entry(call, pending))
        if self.planner.max_calls is not None and len(window.entries) >= self.planner.max_calls:
            self._close(key, window)
        return await pending

    async def _close_later(self, key: WindowKey, window: _Window) -> None:
        sleep: Callable[[float], Awaitable[object]] = self._sleep or self.driver.sleep
        await sleep(self.window)
        if self._open.get(key) is window:
            del self._open[key]
            await self._send(window)

    def _close(self, key: WindowKey, window: _Window) -> None:
        """Close a full window before its time: send it now, and stop its timer."""
        del self._open[key]
        if window.timer is not None:
            window.timer.cancel()
        self._spawn(self._send(window), window.context)

    async def _send(self, window: _Window) -> None:
        await self.driver.run(send_entries(self.planner, window.protocol, window.policy, window.entries))

    def _spawn(self, work: Coroutine[Any, Any, None], context: contextvars.Context) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, context=context)
        # The loop keeps only weak references to tasks: hold them until they finish.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


__all__ = ["DEFAULT_WINDOW", "AutoBatcher"]
