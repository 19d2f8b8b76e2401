"""Sending queued calls: one sans-IO generator of effects, run by the sync or the async driver.

Each chunk of calls (at most the planner's `max_calls`) becomes one batch request made through
the ordinary call pipeline — credentials, rate limit (one batch request is one request), retries
and recovery included. A chunk of one call goes out as that call itself. Whatever happens, every
entry of a chunk ends settled: with its value, its own error, or the error of the whole request.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import Any, TypeVar

import httpx

from apiforge.core.batch.plan import BatchPlanner, Entry
from apiforge.core.effects import Effect, Send
from apiforge.core.errors import APIForgeError
from apiforge.core.pipeline import Policy, run_call
from apiforge.core.protocols.base import Protocol

T = TypeVar("T")


def send_entries(
    planner: BatchPlanner, protocol: Protocol, policy: Policy, entries: Sequence[Entry]
) -> Generator[Effect, Any, None]:
    """Send `entries` in chunks, in order, and settle each one's pending result."""
    for chunk in planner.chunks(entries):
        yield from _send_chunk(planner, protocol, policy, chunk)


def _send_chunk(
    planner: BatchPlanner, protocol: Protocol, policy: Policy, chunk: Sequence[Entry]
) -> Generator[Effect, Any, None]:
    for entry in chunk:
        entry.pending.mark_sent()
    try:
        if len(chunk) == 1:
            # A batch of one is the call itself: cheaper, and the answer is the same.
            value = yield from run_call(protocol, policy, chunk[0].call)
            chunk[0].pending.set_result(value)
            return
        request = planner.request([entry.call for entry in chunk])
        payload, response = yield from observe_response(run_call(protocol, policy, request))
        planner.settle(protocol, chunk, payload, _body(response))
    except APIForgeError as error:
        # The whole request failed (transport, HTTP status, a script or batch-level API error).
        _fail(chunk, error)
    except BaseException as error:
        # Cancellation or a bug: nobody may wait forever, and the error must not be swallowed.
        _fail(chunk, error)
        raise
    _fail(chunk, RuntimeError(f"{planner.via}: the answer settled no result for this call"))


def _fail(chunk: Sequence[Entry], error: BaseException) -> None:
    for entry in chunk:
        entry.pending.set_exception(error)  # ignored for entries already settled


def observe_response(
    pipeline: Generator[Effect, Any, T],
) -> Generator[Effect, Any, tuple[T, httpx.Response | None]]:
    """Run `pipeline` unchanged, also returning the last response it received (the successful one)."""
    last: httpx.Response | None = None
    outcome: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = pipeline.throw(error) if error is not None else pipeline.send(outcome)
        except StopIteration as stop:
            return stop.value, last
        try:
            outcome, error = (yield effect), None
        except GeneratorExit:
            pipeline.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the pipeline, as a driver would
            outcome, error = None, exc
        else:
            if isinstance(effect, Send) and isinstance(outcome, httpx.Response):
                last = outcome


def _body(response: httpx.Response | None) -> object:
    if response is None:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return None


__all__ = ["observe_response", "send_entries"]
