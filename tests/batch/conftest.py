"""Fixtures of the batching tests: the fakes over real HTTP and in-process (the `mode` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from apiforge.testing import FakeVK, FakeWialon
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import AsyncWialon, Wialon

TOKEN = "t"


@pytest.fixture
def fake_vk(mode: str) -> Iterator[FakeVK]:
    fake = FakeVK(tokens={TOKEN})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@pytest.fixture
def fake_wialon(mode: str) -> Iterator[FakeWialon]:
    fake = FakeWialon()
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@pytest.fixture
def make_vk(fake_vk: FakeVK, mode: str) -> Iterator[Callable[[str], VK]]:
    """Makes VK clients of the fake with a given token (closed at the end of the test)."""
    made: list[tuple[VK, httpx.Client | None]] = []

    def make(token: str = TOKEN) -> VK:
        if mode == "http":
            client, http = VK(token=token, base_url=fake_vk.url, rate_limit=None), None
        else:
            http = httpx.Client(transport=fake_vk.transport())
            client = VK(token=token, base_url="http://fake", rate_limit=None, http_client=http)
        made.append((client, http))
        return client

    yield make
    for client, http in made:
        client.close()
        if http is not None:
            http.close()


@pytest.fixture
async def make_async_vk(fake_vk: FakeVK, mode: str) -> AsyncIterator[Callable[[str], AsyncVK]]:
    """Makes AsyncVK clients of the fake with a given token (closed at the end of the test)."""
    made: list[tuple[AsyncVK, httpx.AsyncClient | None]] = []

    def make(token: str = TOKEN) -> AsyncVK:
        if mode == "http":
            client, http = AsyncVK(token=token, base_url=fake_vk.url, rate_limit=None), None
        else:
            http = httpx.AsyncClient(transport=fake_vk.async_transport())
            client = AsyncVK(token=token, base_url="http://fake", rate_limit=None, http_client=http)
        made.append((client, http))
        return client

    yield make
    for client, http in made:
        await client.aclose()
        if http is not None:
            await http.aclose()


@pytest.fixture
def vk(make_vk: Callable[[str], VK]) -> VK:
    return make_vk(TOKEN)


@pytest.fixture
def avk(make_async_vk: Callable[[str], AsyncVK]) -> AsyncVK:
    return make_async_vk(TOKEN)


@pytest.fixture
def wialon(fake_wialon: FakeWialon, mode: str) -> Iterator[Wialon]:
    http = None if mode == "http" else httpx.Client(transport=fake_wialon.transport())
    base_url = fake_wialon.url if http is None else "http://fake"
    with Wialon(token=fake_wialon.token, base_url=base_url, http_client=http) as client:
        yield client
    if http is not None:
        http.close()


@pytest.fixture
async def awialon(fake_wialon: FakeWialon, mode: str) -> AsyncIterator[AsyncWialon]:
    http = None if mode == "http" else httpx.AsyncClient(transport=fake_wialon.async_transport())
    base_url = fake_wialon.url if http is None else "http://fake"
    async with AsyncWialon(token=fake_wialon.token, base_url=base_url, http_client=http) as client:
        yield client
    if http is not None:
        await http.aclose()
