"""`AiohttpTransport`: an httpx transport that sends through an aiohttp session.

Selected with `transport="aiohttp"` on an async client (`pip install apiforge[aiohttp]`). The driver
still awaits `httpx.AsyncClient.send`, so everything above the transport — the pipeline, retries,
rate limits, error naming — is the same for both transports; only the bytes move through aiohttp,
whose event-loop protocol costs less CPU per request than httpcore's pool.

The transport moves bytes and nothing else: httpx keeps cookies, redirects and content decoding
(the session has no cookie jar, follows no redirect and leaves bodies compressed), and aiohttp's
failures become the httpx errors they correspond to, so a request that never left is still told
apart from one that may have been processed (`TransportError.sent`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import httpx
from yarl import URL


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one `aiohttp.ClientSession`, made in the running loop on first use.

    Args:
        max_connections: connections the session keeps open at most (aiohttp's connector limit).
    """

    def __init__(self, *, max_connections: int = 100) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=max(1, self.max_connections), enable_cleanup_closed=False)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
            auto_decompress=False,  # httpx decodes the body, as its headers say
            trust_env=False,  # the httpx client's settings apply, not the environment's
            skip_auto_headers=("User-Agent", "Accept-Encoding"),  # httpx sets its own
        )
        # aiohttp re-sends a GET/PUT/DELETE once, silently, when a reused connection drops. Here the
        # pipeline decides about retries (it counts them, backs off, knows what may repeat), so the
        # transport sends each request once. aiohttp has no public switch for this: its one flag.
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and return its response; the body is read as the response is read."""
        session = self._session or self._open()
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeouts.get("connect"), sock_read=timeouts.get("read")
        )
        body = request.content if isinstance(request.stream, httpx.ByteStream) else await request.aread()
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),  # already encoded by httpx: sent as it is
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _as_httpx_error(exc, request, connecting=True) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode()},
            request=request,
        )

    async def aclose(self) -> None:
        """Close the session and its connections."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _Body(httpx.AsyncByteStream):
    """An aiohttp response's body as httpx reads it; closing it gives the connection back."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _as_httpx_error(exc, self._request, connecting=False) from exc

    async def aclose(self) -> None:
        self._response.release()


def _as_httpx_error(exc: BaseException, request: httpx.Request, *, connecting: bool) -> httpx.TransportError:
    """The httpx error an aiohttp failure corresponds to; `connecting`: raised before any response."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # no connection: the request never left
        return httpx.ConnectError(text, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(text, request=request)
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(text, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(text, request=request)
    if connecting and isinstance(exc, aiohttp.ClientOSError):
        # Failed writing or reading on a connection that was open: the server may have the request.
        return httpx.WriteError(text, request=request)
    return httpx.ReadError(text, request=request)


__all__ = ["AiohttpTransport"]
