"""The fakes' HTTP server: hundreds of clients connecting at once are all answered."""

from __future__ import annotations

import asyncio

import httpx

from apiforge.testing import FakeVK
from apiforge.testing._server import LISTEN_BACKLOG
from apiforge.vk import AsyncVK

CONCURRENT_CALLS = 500


async def test_500_concurrent_calls_each_on_its_own_connection_are_all_answered() -> None:
    # One connection per call (no pool limit), no retries: a connection the server's listen queue
    # refused or dropped would show as a ReadError or a connect timeout here.
    assert LISTEN_BACKLOG >= CONCURRENT_CALLS
    with FakeVK() as fake:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        http = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0))
        async with http, AsyncVK(token="t", base_url=fake.url, rate_limit=None, max_retries=0, http_client=http) as vk:
            results = await asyncio.gather(
                *(vk.users.get(user_ids=[1]) for _ in range(CONCURRENT_CALLS)), return_exceptions=True
            )
    failures = [type(result).__name__ for result in results if isinstance(result, BaseException)]
    assert failures == []
    assert len(fake.calls_to("users.get")) == CONCURRENT_CALLS
