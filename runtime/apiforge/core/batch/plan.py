"""The planner interface: how one API packs several calls into one request and reads their results back.

Planners are sans-IO and stateless: they build the batch request as an ordinary `Call` (so it
gets the pipeline's credentials, rate limits, retries and recovery like any other call) and
settle each queued call's `Pending` from the answer.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

import attrs

from apiforge.core.batch.errors import NotBatchableError
from apiforge.core.batch.pending import Pending
from apiforge.core.call import Call
from apiforge.core.errors import APIForgeError, DecodeError
from apiforge.core.pipeline import decode
from apiforge.core.protocols.base import Protocol

T = TypeVar("T")


@attrs.frozen(slots=True)
class Entry:
    """A queued call and the pending result it will settle."""

    call: Call[Any]
    pending: Pending[Any]


class BatchPlanner(abc.ABC):
    """How an API batches calls. Subclasses build its batch request and read the answer back."""

    via: ClassVar[str] = ""
    """The batch request's name, for messages (`VK execute`, `Wialon core/batch`)."""

    max_calls: int | None = None
    """Calls per request; more go out in several requests. None: no limit."""

    def admit(self, protocol: Protocol, call: Call[T]) -> Call[T]:
        """Check that `call` may be batched and complete it as its first attempt would be (e.g. VK random_id)."""
        if not call.spec.batchable:
            raise NotBatchableError(call.method, f"the API does not run it inside {self.via}")
        if call.files:
            raise NotBatchableError(call.method, f"file uploads cannot travel inside {self.via}")
        return protocol.prepare(call)

    def chunks(self, entries: Sequence[Entry]) -> list[list[Entry]]:
        """The entries split into requests of at most `max_calls` calls, in order."""
        size = self.max_calls or max(len(entries), 1)
        return [list(entries[i : i + size]) for i in range(0, len(entries), size)]

    @abc.abstractmethod
    def request(self, calls: Sequence[Call[Any]]) -> Call[object]:
        """The one call that carries `calls` (at least two of them)."""

    @abc.abstractmethod
    def settle(self, protocol: Protocol, entries: Sequence[Entry], payload: object, body: object) -> None:
        """Settle every entry from the batch request's answer.

        `payload` is what the protocol parsed out of the answer (VK's `response`, Wialon's array);
        `body` is the whole JSON body (VK keeps `execute_errors` beside `response`).
        """


def settle_value(entry: Entry, payload: object) -> None:
    """Settle an entry with its payload decoded into the call's declared result type (variants included)."""
    try:
        value = decode(entry.call, payload)
    except DecodeError as error:
        entry.pending.set_exception(error)
    else:
        entry.pending.set_result(value)


def json_array(value: object) -> list[object] | None:
    """`value` as a JSON array, or None when it is something else."""
    return cast("list[object]", value) if isinstance(value, list) else None


def api_error(protocol: Protocol, method: str, body: object) -> APIForgeError:
    """The typed error an error body of `method` carries, made by the protocol exactly as for a lone call."""
    try:
        protocol.parse_body(method, body)
    except APIForgeError as error:
        return error
    return DecodeError(method, "$", body, "expected an error body")


__all__ = ["BatchPlanner", "Entry", "api_error", "json_array", "settle_value"]
