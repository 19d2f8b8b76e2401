"""What every protocol adapter provides to the call pipeline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any, cast

import httpx

from apiforge.core.call import Call
from apiforge.core.effects import Acquire, Effect, Hold, Release
from apiforge.core.errors import APIError, DecodeError, HTTPStatusError
from apiforge.core.redact import SecretHolder
from apiforge.core.retry import RetryVerdict

ErrorFactory = Callable[[int], type[APIError]]


Taken = Acquire | tuple[Hold, object]
"""A slot an attempt holds: a local semaphore's, or a shared one's with the handle its `take` gave."""


def take_slot(slot: Acquire | Hold, taken: list[Taken]) -> Generator[Effect, Any, None]:
    """Take `slot` and record it in `taken`, so that `give_back` returns it however the attempt ends."""
    if isinstance(slot, Hold):
        handle = yield slot.take
        taken.append((slot, handle))
    else:
        taken.append(slot)  # before the Acquire: an interrupt thrown in at that yield still gives it back
        yield slot


def give_back(taken: list[Taken]) -> Generator[Effect, Any, None]:
    """Give back every slot in `taken`, the last taken first."""
    while taken:
        slot = taken.pop()
        if isinstance(slot, Acquire):
            yield Release(slot.name)
        else:
            hold, handle = slot
            yield hold.give(handle)


class Protocol:
    """Base of the adapters. Pure: builds requests, reads responses, decides nothing about IO."""

    api = ""

    def __init__(self, *, base_url: str, error_class: ErrorFactory) -> None:
        self.base_url = base_url.rstrip("/")
        self.error_class = error_class
        self.secrets = SecretHolder()
        """The secrets this client holds (tokens, session ids): masked until the client closes."""

    # Hooks the pipeline calls, in order.

    def prepare(self, call: Call[Any]) -> Call[Any]:
        """Complete a call once, before its first attempt (kept across retries)."""
        return call

    def before_send(self, call: Call[Any]) -> Generator[Effect, Any, None]:
        """Effects to run before each attempt (e.g. log in to get a session)."""
        return
        yield  # pragma: no cover - makes this a generator

    def credential(self, call: Call[Any]) -> Generator[Effect, Any, object]:
        """Choose what authenticates this attempt (e.g. one of several VK tokens); None when fixed."""
        return None
        yield  # pragma: no cover

    def finished(self, call: Call[Any], credential: object, error: BaseException | None) -> None:
        """An attempt with `credential` is over (for strategies that count calls in flight)."""

    def slots(self, call: Call[Any]) -> tuple[Acquire | Hold, ...]:
        """Semaphores an attempt holds while it is in flight (e.g. Wialon's per-session limits);
        a `Hold` is a slot shared with other processes (a session shared in Redis)."""
        return ()

    def admit(self, call: Call[Any], credential: object, taken: list[Taken]) -> Generator[Effect, Any, object]:
        """Take the attempt's slots (`slots()`) and return the credential to send it with.

        Each slot goes into `taken` as `take_slot` takes it: the pipeline gives back everything
        in `taken` when the attempt ends, however it ends (a `Release` of a slot that was never
        taken does nothing). A protocol whose credential can go stale while the attempt
        waits (a Wialon session that ends) checks it here once the slots are taken.
        """
        for slot in self.slots(call):
            yield from take_slot(slot, taken)
        return credential

    def rate_key(self, call: Call[Any], credential: object = None) -> tuple[str, float | None]:
        """The rate-limit key of an attempt and its rate (requests/s; None = the client default)."""
        return (self.api, None)

    def build_request(self, call: Call[Any], credential: object = None) -> httpx.Request:
        raise NotImplementedError

    def parse(self, call: Call[Any], response: httpx.Response) -> object:
        """The payload of a response, or raise the typed error it carries."""
        raise NotImplementedError

    def parse_body(self, method: str, body: object, *, status_code: int | None = None) -> object:
        """The payload of a response body (parsed JSON), or raise the typed error it carries."""
        raise NotImplementedError

    max_recoveries = 0
    """Replays this protocol may need per call (captcha answers), beyond the pipeline's own cap."""

    def recover(self, call: Call[Any], error: APIError) -> Generator[Effect, Any, Call[Any] | None]:
        """Repair what `error` says is wrong (expired session, captcha) and return the call to replay, or None."""
        return None
        yield  # pragma: no cover

    def done_already(self, call: Call[Any], error: APIError) -> bool:
        """Does `error`, on a retry after an attempt that may have been processed, mean that attempt did the call?

        Then the call succeeds with the result of an empty answer (e.g. a retried DELETE answered 404).
        """
        return False

    def retry_verdict(self, error: APIError) -> RetryVerdict:
        """ "rejected" (refused before processing), "transient" (may have been processed) or None."""
        return None

    def close(self) -> Generator[Effect, Any, None]:
        """Effects to run when the client closes (e.g. log out)."""
        return
        yield  # pragma: no cover


METHOD_EXTENSION = "apiforge_method"
"""The request extension naming the API method a request is for (read when the request fails in transport)."""


def for_method(request: httpx.Request, method: str) -> httpx.Request:
    """`request`, marked as made for `method` (`users.get`, `core/search_item`, `GET /api/v1/companies`).

    A transport failure then names the method, not the last segment of the URL's path (Wialon's
    is always `ajax.html`, YCLIENTS' holds ids and colons).
    """
    request.extensions[METHOD_EXTENSION] = method
    return request


def read_json(method: str, response: httpx.Response) -> object:
    """The JSON body of a response; a non-JSON body is an HTTP error when the status is, else a DecodeError."""
    try:
        return parse_json(method, response.content)
    except DecodeError:
        if response.status_code >= 400:
            raise HTTPStatusError(
                method, response.status_code, response.text, retry_after=response.headers.get("Retry-After")
            ) from None
        raise


class _NotFinite(ValueError):
    """A number JSON cannot hold: NaN, Infinity, or one too large for a float."""


def _refuse_constant(name: str) -> object:
    raise _NotFinite(f"{name} is not a JSON number")


def _finite_float(text: str, _float: Callable[[str], float] = float) -> float:
    value = _float(text)
    if value - value:  # inf - inf is NaN (truthy); any finite value gives 0.0
        raise _NotFinite(f"{text[:40]} is too large for a float")
    return value


# Made once: `json.loads(..., parse_constant=...)` would build a decoder on every call. The hook for
# floats costs one call per float literal, not per body (a scan of the body for long exponents cost
# more than the parse itself).
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def parse_json(method: str, content: bytes | bytearray | str) -> object:
    """Parse a body as strict JSON, or raise a DecodeError naming `method`: never any other exception.

    Whatever a server (or something in between) sends — nesting deep enough to exhaust the
    stack, invalid UTF-8, numbers beyond a float or the interpreter's integer digit limit,
    `NaN`/`Infinity` (Python's json extensions, not JSON), an empty or non-JSON body — ends
    here as an `APIForgeError` the retry policy and the pollers already know how to handle.
    """
    try:
        text = (
            content
            if isinstance(content, str)
            else bytes(content).decode(json.detect_encoding(content), "surrogatepass")
        )
        return _DECODER.decode(text)
    except RecursionError:
        reason = "the body is nested too deeply to read"
    except _NotFinite as error:
        reason = f"the body holds a number out of range ({error})"
    except UnicodeDecodeError:
        reason = "the body is not valid UTF-8"
    except ValueError as error:  # json.JSONDecodeError, and the integer digit limit
        reason = f"the body is not JSON ({str(error)[:80]})"
    raise DecodeError(method, "$", _snippet(content), reason)


def _snippet(content: bytes | bytearray | str) -> str:
    """The start of a body, for an error message."""
    if isinstance(content, str):
        return content[:200]
    return bytes(content[:200]).decode("utf-8", "replace")


def json_object(value: object) -> Mapping[str, Any] | None:
    """`value` as a JSON object, or None when it is something else."""
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else None


def as_mapping(method: str, body: object) -> Mapping[str, Any]:
    obj = json_object(body)
    if obj is None:
        raise DecodeError(method, "$", body, "expected a JSON object")
    return obj


def load_body(method: str, body: object) -> object:
    """Accept a body as bytes, text or already parsed JSON."""
    if isinstance(body, bytes | bytearray | str):
        return parse_json(method, body)
    return body


def file_part(name: str, value: object) -> tuple[str, bytes]:
    """A multipart part (file name, content) from bytes, a path or a binary file object."""
    if isinstance(value, bytes | bytearray):
        return (name, bytes(value))
    if isinstance(value, str | os.PathLike):
        path = Path(cast("str | os.PathLike[str]", value))
        return (path.name, path.read_bytes())
    read = getattr(value, "read", None)
    if callable(read):
        data: object = read()
        if isinstance(data, bytes):
            return (Path(str(getattr(value, "name", name))).name, data)
    raise TypeError(f"{name}: expected bytes, a path or a binary file object, got {type(value).__name__}")
