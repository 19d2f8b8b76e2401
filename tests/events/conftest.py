"""Fixtures of the event tests: the fake VK (over HTTP and in-process), clients of both kinds, no-wait backoff."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from tests.events.eventkit import TOKEN


@pytest.fixture
def fake(mode: str) -> Iterator[FakeVK]:
    fake = FakeVK(tokens={TOKEN})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@pytest.fixture
def vk(fake: FakeVK, mode: str) -> Iterator[VK]:
    if mode == "http":
        with VK(token=TOKEN, token_kind="group", base_url=fake.url, rate_limit=None) as client:
            yield client
        return
    with (
        httpx.Client(transport=fake.transport()) as http,
        VK(token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http) as client,
    ):
        yield client


@pytest.fixture
async def avk(fake: FakeVK, mode: str) -> AsyncIterator[AsyncVK]:
    if mode == "http":
        async with AsyncVK(token=TOKEN, token_kind="group", base_url=fake.url, rate_limit=None) as client:
            yield client
        return
    async with (
        httpx.AsyncClient(transport=fake.async_transport()) as http,
        AsyncVK(token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http) as client,
    ):
        yield client
