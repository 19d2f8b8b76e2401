"""The batch blocks: `with client.batch() as b:` and `async with client.batch() as b:`.

Inside the block each method of `b.<group>` queues its call and returns a `Pending` result;
leaving the block sends everything queued (the sync or async driver running the one sans-IO
`send_entries`) and settles every pending result. If the block raises, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar, overload

from apiforge.core.batch.pending import Pending
from apiforge.core.batch.plan import BatchPlanner
from apiforge.core.batch.queue import BatchQueue
from apiforge.core.batch.send import send_entries
from apiforge.core.by_name import call_by_name
from apiforge.core.call import Call
from apiforge.core.types import JSON

if TYPE_CHECKING:
    from apiforge.core.client import AsyncClient, BaseClient, SyncClient

T = TypeVar("T")


class BatchBase:
    """What the sync and async batch blocks share: the queue, and the client's protocol and policy."""

    _batch: BatchQueue

    def __init__(self, client: BaseClient, planner: BatchPlanner) -> None:
        self._batch = BatchQueue(planner, client._protocol)
        self._policy = client._policy

    def add(self, call: Call[T]) -> Pending[T]:
        """Queue any Call (what the generated methods do); refused at once when it cannot be batched."""
        return self._batch.add(call)

    @overload
    def call(self, method: str, params: Mapping[str, object] | None = None) -> Pending[JSON]: ...
    @overload
    def call(self, method: str, params: Mapping[str, object] | None = None, *, result: type[T]) -> Pending[T]: ...
    def call(
        self, method: str, params: Mapping[str, object] | None = None, *, result: object = JSON
    ) -> Pending[object]:
        """Queue any method by its wire name (see `client.call`): `b.call("users.get", {"user_ids": 1})`."""
        return self._batch.add(call_by_name(self._batch.protocol.api, method, params, result=result))

    def __len__(self) -> int:
        """Calls queued and not sent yet."""
        return len(self._batch)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self._batch)} queued>"


class SyncBatch(BatchBase):
    """A batch block of a blocking client: `with client.batch() as b: p = b.users.get(...)`; then `p.result()`."""

    def __init__(self, client: SyncClient, planner: BatchPlanner) -> None:
        super().__init__(client, planner)
        self._driver = client._driver

    def send(self) -> None:
        """Send the calls queued so far now (leaving the block does it too)."""
        entries = self._batch.take()
        if entries:
            self._driver.run(send_entries(self._batch.planner, self._batch.protocol, self._policy, entries))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._batch.close()
        if exc is not None:
            self._batch.cancel(exc)
            return
        self.send()


class AsyncBatch(BatchBase):
    """A batch block of an async client: `async with client.batch() as b: p = b.users.get(...)`; then `p.result()`."""

    def __init__(self, client: AsyncClient, planner: BatchPlanner) -> None:
        super().__init__(client, planner)
        self._driver = client._driver

    async def send(self) -> None:
        """Send the calls queued so far now (leaving the block does it too)."""
        entries = self._batch.take()
        if entries:
            await self._driver.run(send_entries(self._batch.planner, self._batch.protocol, self._policy, entries))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._batch.close()
        if exc is not None:
            self._batch.cancel(exc)
            return
        await self.send()


__all__ = ["AsyncBatch", "BatchBase", "SyncBatch"]
