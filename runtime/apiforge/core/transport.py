"""The HTTP connection of the async clients: which transport carries their requests, and how many
of them may be in flight at once.

Every async client sends through an `httpx.AsyncClient` (the driver awaits its `send`); what
differs is the transport under it:

- `"httpx"` (the default): httpx's own connection pool (httpcore);
- `"aiohttp"`: `AiohttpTransport`, an aiohttp session under the same httpx client
  (`pip install apiforge[aiohttp]`). aiohttp's event-loop protocol costs less CPU per request.

Which one a client uses: its `transport=` argument; if not given, the environment variable
`APIFORGE_ASYNC_TRANSPORT` (`httpx` or `aiohttp`); else httpx.

Either way at most `max_in_flight` requests of one client are on the wire at once (default
`DEFAULT_MAX_IN_FLIGHT`); the others wait for a slot, in order, without a timeout. A pool asked
for a hundred connections at once spends more time managing its queue than a small cap costs:
with 100 concurrent calls, capping at 10 raised AsyncVK's throughput by 18-41 % (issue 20).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal, TypeAlias, cast

import httpx

if TYPE_CHECKING:
    import asyncio

AsyncTransport: TypeAlias = Literal["httpx", "aiohttp"] | httpx.AsyncBaseTransport
"""What an async client sends through: a transport's name, or a transport to use as it is."""

DEFAULT_MAX_IN_FLIGHT = 10
"""Requests one async client has on the wire at once, unless told otherwise."""


TRANSPORT_VARIABLE = "APIFORGE_ASYNC_TRANSPORT"
"""The environment variable naming the transport of async clients not given one."""


_BY_NAME: dict[str, Literal["httpx", "aiohttp"]] = {"httpx": "httpx", "aiohttp": "aiohttp"}


def async_http_client(
    *, transport: AsyncTransport | None, timeout: httpx.Timeout, max_in_flight: int | None
) -> httpx.AsyncClient:
    """The httpx client an async API client makes for itself (and closes with itself).

    `transport=None` reads `APIFORGE_ASYNC_TRANSPORT` (default "httpx"); `max_in_flight=None`
    leaves the number of requests in flight unbounded (the pool's own limits).
    """
    if transport is None:
        named = os.environ.get(TRANSPORT_VARIABLE, "").strip() or "httpx"
        transport = _BY_NAME.get(named)
        if transport is None:
            raise ValueError(f"environment variable {TRANSPORT_VARIABLE}={named!r}: expected 'httpx' or 'aiohttp'")
    if max_in_flight is not None and max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1 (or None for no cap), got {max_in_flight!r}")
    # The pool under the cap gets exactly as many connections as the cap lets requests through:
    # it never has to queue one itself.
    connections = max_in_flight if max_in_flight is not None else 100
    inner: httpx.AsyncBaseTransport
    if transport == "httpx":
        inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        )
    elif transport == "aiohttp":
        from apiforge.core.aiohttp_transport import AiohttpTransport  # aiohttp loads only when chosen

        inner = AiohttpTransport(max_connections=connections)
    elif isinstance(transport, httpx.AsyncBaseTransport):
        inner = transport
    else:
        raise ValueError(f"transport must be 'httpx', 'aiohttp' or an httpx.AsyncBaseTransport, got {transport!r}")
    capped = inner if max_in_flight is None else InFlightCap(inner, max_in_flight)
    return httpx.AsyncClient(transport=capped, timeout=timeout)


class InFlightCap(httpx.AsyncBaseTransport):
    """A transport that lets at most `limit` requests through `inner` at once.

    A request holds its slot until its response is closed (read to the end or released), as the
    connection it uses is busy until then; waiting requests get slots in the order they asked.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        # asyncio loads with the first async client, not on `import apiforge.<api>`.
        from asyncio import Semaphore

        self.inner = inner
        self.limit = limit
        self._slots = Semaphore(limit)  # bound to a loop only when a request first waits on it

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a slot, then send `request` through the inner transport."""
        slots = self._slots
        await slots.acquire()
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            slots.release()
            raise
        # The same response, its body wrapped: building a new Response would cost more than the cap.
        response.stream = _ReleasingStream(cast(httpx.AsyncByteStream, response.stream), slots)
        return response

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self.inner.aclose()


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body; closing it gives the request's slot back (once)."""

    def __init__(self, body: httpx.AsyncByteStream, slots: asyncio.Semaphore) -> None:
        self._body = body
        self._slots: asyncio.Semaphore | None = slots

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._body.__aiter__()

    async def aclose(self) -> None:
        slots, self._slots = self._slots, None
        try:
            await self._body.aclose()
        finally:
            if slots is not None:
                slots.release()


__all__ = ["DEFAULT_MAX_IN_FLIGHT", "TRANSPORT_VARIABLE", "AsyncTransport", "InFlightCap", "async_http_client"]
