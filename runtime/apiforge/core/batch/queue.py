"""`BatchQueue`: the calls a batch block has queued, and their pending results."""

from __future__ import annotations

from typing import TypeVar

from apiforge.core.batch.errors import BatchCancelledError
from apiforge.core.batch.pending import Pending
from apiforge.core.batch.plan import BatchPlanner, Entry
from apiforge.core.call import Call
from apiforge.core.errors import ConfigurationError
from apiforge.core.protocols.base import Protocol

T = TypeVar("T")


class BatchQueue:
    """Collects calls for one batch; the generated batch groups add to it, the batch context sends it."""

    def __init__(self, planner: BatchPlanner, protocol: Protocol) -> None:
        self.planner = planner
        self.protocol = protocol
        self._entries: list[Entry] = []
        self._closed = False

    def add(self, call: Call[T]) -> Pending[T]:
        """Queue `call` (checked now: a call that cannot be batched is refused before anything is sent)."""
        if self._closed:
            raise ConfigurationError(f"{call.method}: this batch is already over; open a new one")
        call = self.planner.admit(self.protocol, call)
        pending: Pending[T] = Pending(call.method)
        self._entries.append(Entry(call, pending))
        return pending

    def take(self) -> list[Entry]:
        """The calls queued so far, removed from the queue and marked as on their way."""
        entries, self._entries = self._entries, []
        for entry in entries:
            entry.pending.mark_sent()
        return entries

    def cancel(self, cause: BaseException) -> None:
        """Drop the queued calls: each pending result raises BatchCancelledError."""
        for entry in self.take():
            entry.pending.set_exception(BatchCancelledError(entry.call.method, cause))

    def close(self) -> None:
        """No more calls may be queued."""
        self._closed = True

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["BatchQueue"]
