"""`Pending[T]`: the typed result of a call queued in a batch."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any, Generic, Literal, TypeVar, cast

from apiforge.core.batch.errors import NotSentError

T_co = TypeVar("T_co", covariant=True)
State = Literal["queued", "sent", "done"]


class Pending(Generic[T_co]):
    """The result of one batched call: its value once the batch is sent, or that call's own error.

    `result()` returns the value or raises the call's typed error; `done` tells whether it is
    settled. In async code a pending result is also awaitable: `await pending` waits for the
    request it travels in (auto-batching) and then gives `result()`.
    """

    __slots__ = ("_error", "_state", "_value", "_waiters", "method")

    def __init__(self, method: str) -> None:
        self.method = method
        self._state: State = "queued"
        self._value: object = None
        self._error: BaseException | None = None
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def done(self) -> bool:
        """Whether the call has its value or its error."""
        return self._state == "done"

    def result(self) -> T_co:
        """The call's value; raises the call's own error, or `NotSentError` before the batch is sent."""
        if self._state != "done":
            raise NotSentError(self.method)
        if self._error is not None:
            raise self._error
        return cast("T_co", self._value)

    def exception(self) -> BaseException | None:
        """The call's error, or None when it succeeded; `NotSentError` before the batch is sent."""
        if self._state != "done":
            raise NotSentError(self.method)
        return self._error

    def __await__(self) -> Generator[Any, None, T_co]:
        if self._state == "queued":
            # Nothing would ever send it while the caller waits here: fail loudly instead of hanging.
            raise NotSentError(self.method)
        if self._state == "sent":
            # One future per waiter: cancelling one waiter must not cancel the others.
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            yield from waiter.__await__()
        return self.result()

    # Used by the batch machinery.

    def mark_sent(self) -> None:
        """The call is on its way: awaiting it now waits for the answer."""
        if self._state == "queued":
            self._state = "sent"

    def set_result(self, value: object) -> None:
        """Settle with the call's value (once; later settlements are ignored)."""
        self._settle(value, None)

    def set_exception(self, error: BaseException) -> None:
        """Settle with the call's error (once; later settlements are ignored)."""
        self._settle(None, error)

    def _settle(self, value: object, error: BaseException | None) -> None:
        if self._state == "done":
            return
        self._value, self._error, self._state = value, error, "done"
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def __repr__(self) -> str:
        # The value may hold personal data: show the state only.
        if self._state != "done":
            return f"<Pending {self.method}: {self._state}>"
        outcome = "ok" if self._error is None else type(self._error).__name__
        return f"<Pending {self.method}: {outcome}>"


__all__ = ["Pending"]
