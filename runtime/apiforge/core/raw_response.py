"""The HTTP response beside the typed result: `client.with_raw_response(client.users.get, user_ids=[1])`.

While a call runs under `recording()`, the client's pipeline is wrapped by `observe_sends`,
which notes every response a `Send` effect brings back; the call's own response is the last one
(a login or a captcha answer comes before it). Works with both drivers: the wrapper is a
generator of effects like the pipeline it wraps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import attrs
import httpx

from apiforge.core.effects import Effect, Send
from apiforge.core.errors import ConfigurationError, DecodeError
from apiforge.core.types import JSON

T = TypeVar("T")
_RECORDING: ContextVar[list[httpx.Response] | None] = ContextVar("apiforge_raw_responses", default=None)


@attrs.frozen(repr=False)
class RawResponse(Generic[T]):
    """A call's HTTP response and its typed result.

    `status_code` and `headers` are the response's; `body` is its parsed JSON; `parsed` is what
    the method returns. `http` is the httpx.Response itself (its request carries the credentials:
    keep it out of logs).
    """

    http: httpx.Response
    parsed: T

    @property
    def status_code(self) -> int:
        """The HTTP status of the response."""
        return self.http.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self.http.headers

    @property
    def content(self) -> bytes:
        """The response body as bytes."""
        return self.http.content

    @property
    def body(self) -> JSON:
        """The response body as parsed JSON (a DecodeError when it is not JSON, e.g. a file)."""
        try:
            parsed: JSON = json.loads(self.http.content)
        except (ValueError, UnicodeDecodeError):
            raise DecodeError(self._method, "$", self.http.text[:200], "the response is not JSON") from None
        return parsed

    @property
    def _method(self) -> str:
        return self.http.request.url.path

    def __repr__(self) -> str:
        # Bodies may hold personal data or a session id: the status and the result's type only.
        return f"<RawResponse [{self.status_code}] {type(self.parsed).__name__}>"


@contextmanager
def recording() -> Generator[list[httpx.Response]]:
    """Note the responses of the calls made in this block (this thread or task only)."""
    sink: list[httpx.Response] = []
    token = _RECORDING.set(sink)
    try:
        yield sink
    finally:
        _RECORDING.reset(token)


def is_recording() -> bool:
    """Is the current code inside `recording()` (so a call must run on its own, not in an auto-batch)?"""
    return _RECORDING.get() is not None


def record(pipeline: Generator[Effect, Any, T]) -> Generator[Effect, Any, T]:
    """`pipeline`, noting its responses when the current code is recording (else `pipeline` itself)."""
    sink = _RECORDING.get()
    if sink is None:
        return pipeline
    return observe_sends(pipeline, on_response=sink.append)


def observe_sends(
    pipeline: Generator[Effect, Any, T],
    *,
    on_request: Callable[[httpx.Request], None] | None = None,
    on_response: Callable[[httpx.Response], None] | None = None,
) -> Generator[Effect, Any, T]:
    """`pipeline` with a look at each request before it is sent and each response that comes back.

    Everything else passes through unchanged: effects out, outcomes and errors in.
    """
    outcome: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = pipeline.throw(error) if error is not None else pipeline.send(outcome)
        except StopIteration as stop:
            result: T = stop.value
            return result
        outcome, error = None, None
        if isinstance(effect, Send) and on_request is not None:
            on_request(effect.request)
        try:
            outcome = yield effect
        except GeneratorExit:
            pipeline.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the pipeline, which decides
            error = exc
            continue
        if isinstance(effect, Send) and on_response is not None and isinstance(outcome, httpx.Response):
            on_response(outcome)


def raw_response(responses: list[httpx.Response], parsed: T, method: object) -> RawResponse[T]:
    """The RawResponse of a recorded call: its last response and its result."""
    if not responses:
        name = getattr(method, "__qualname__", repr(method))
        raise ConfigurationError(f"with_raw_response({name}): the call sent no request of its own")
    return RawResponse(responses[-1], parsed)


__all__ = ["RawResponse", "is_recording", "observe_sends", "raw_response", "record", "recording"]
