"""The async clients' connection: both transports (httpx's pool, aiohttp), the cap on requests in
flight, and aiohttp's failures told apart as httpx's are (sent or not).

A small VK-like server on 127.0.0.1 counts the requests it is serving at once and holds them all
until the test releases them: the test waits until the cap's worth are in, gives any request
beyond the cap half a second more to show up (a slow machine can only hide one, never invent
one), then releases them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from apiforge.core.errors import TransportError
from apiforge.vk import AsyncVK

TRANSPORTS = ["httpx", "aiohttp"]
HOLD_TIMEOUT = 20.0  # seconds a request waits for the others; only reached when a test fails
USER = {"id": 1, "first_name": "Ann", "last_name": "Lee"}


class CountingServer:
    """Answers users.get; counts requests served at once, holding them until `release()`."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.served = 0
        self.drop_first = 0  # this many first requests get their connection closed, unanswered
        self._released = asyncio.Event()

    def release(self) -> None:
        """Answer the requests held and those to come."""
        self._released.set()

    async def hold(self) -> None:
        """From now on, hold requests again (until `release()`)."""
        self._released.clear()
        self.most = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.served += 1
        if self.served <= self.drop_first:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            await asyncio.wait_for(self._released.wait(), HOLD_TIMEOUT)
        except TimeoutError:
            pass
        finally:
            self.active -= 1
        return web.json_response({"response": [USER]})


@pytest.fixture
async def server() -> AsyncIterator[tuple[CountingServer, str]]:
    counting = CountingServer()
    app = web.Application()
    app.router.add_route("*", "/method/{name}", counting.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield counting, f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def _call_many(client: AsyncVK, count: int) -> None:
    results = await asyncio.wait_for(
        asyncio.gather(*(client.users.get(user_ids=[1]) for _ in range(count))), HOLD_TIMEOUT * 3
    )
    assert [r[0].first_name for r in results] == ["Ann"] * count


async def _most_in_flight(counting: CountingServer, client: AsyncVK, calls: int, expected: int) -> int:
    """Make `calls` calls at once, held by the server until `expected` are in (and half a second more)."""
    calling = asyncio.ensure_future(_call_many(client, calls))
    for _ in range(int(HOLD_TIMEOUT / 0.01)):
        if counting.active >= expected or calling.done():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # room for a request beyond the cap to arrive
    counting.release()
    await calling
    return counting.most


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_client_has_at_most_ten_requests_in_flight_by_default(
    server: tuple[CountingServer, str], transport: str
) -> None:
    counting, url = server
    chosen = {} if transport == "httpx" else {"transport": transport}  # httpx: the client as users make it
    async with AsyncVK("t", base_url=url, rate_limit=None, **chosen) as client:  # type: ignore[arg-type]
        assert await _most_in_flight(counting, client, 30, expected=10) == 10
    assert counting.served == 30


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_cap_is_configurable_and_can_be_lifted(server: tuple[CountingServer, str], transport: str) -> None:
    counting, url = server
    async with AsyncVK("t", base_url=url, rate_limit=None, transport=transport, max_in_flight=3) as client:  # type: ignore[arg-type]
        assert await _most_in_flight(counting, client, 12, expected=3) == 3
    await counting.hold()
    async with AsyncVK("t", base_url=url, rate_limit=None, transport=transport, max_in_flight=None) as client:  # type: ignore[arg-type]
        assert await _most_in_flight(counting, client, 25, expected=25) == 25


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_failed_request_gives_its_slot_back(server: tuple[CountingServer, str], transport: str) -> None:
    counting, url = server
    counting.drop_first = 2
    counting.release()
    async with AsyncVK(
        "t",
        base_url=url,
        rate_limit=None,
        transport=transport,  # type: ignore[arg-type]
        max_in_flight=1,
        max_retries=0,
    ) as client:
        for _ in range(2):
            with pytest.raises(TransportError, match=r"users\.get") as caught:
                await asyncio.wait_for(client.users.get(user_ids=[1]), HOLD_TIMEOUT)
            assert caught.value.sent  # the connection was open: the server may have processed it
        await _call_many(client, 3)  # a leaked slot would leave these waiting forever
    assert counting.served == 5


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_refused_connection_is_a_request_not_sent(transport: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AsyncVK(
        "t",
        base_url=f"http://127.0.0.1:{port}",
        rate_limit=None,
        transport=transport,  # type: ignore[arg-type]
        max_retries=0,
    ) as client:
        with pytest.raises(TransportError, match=r"users\.get: ConnectError") as caught:
            await client.users.get(user_ids=[1])
    assert not caught.value.sent


async def test_the_transport_is_checked_and_read_from_the_environment(
    server: tuple[CountingServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    counting, url = server
    counting.release()
    with pytest.raises(ValueError, match="max_in_flight must be at least 1"):
        AsyncVK("t", base_url=url, max_in_flight=0)
    with pytest.raises(ValueError, match="transport must be 'httpx', 'aiohttp'"):
        AsyncVK("t", base_url=url, transport="curl")  # type: ignore[arg-type]
    monkeypatch.setenv("APIFORGE_ASYNC_TRANSPORT", "aiohttp")
    async with AsyncVK("t", base_url=url, rate_limit=None) as client:
        assert type(client._driver.http._transport).__name__ == "InFlightCap"
        assert type(client._driver.http._transport.inner).__name__ == "AiohttpTransport"  # type: ignore[attr-defined]
        await _call_many(client, 1)
    monkeypatch.setenv("APIFORGE_ASYNC_TRANSPORT", "carrier-pigeon")
    with pytest.raises(ValueError, match="APIFORGE_ASYNC_TRANSPORT='carrier-pigeon'"):
        AsyncVK("t", base_url=url)
