"""A real redis-server for the tests of apiforge.redis: one per session, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from apiforge.testing.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """`redis-server` on a free port of 127.0.0.1, in a temporary folder; stopped after the session."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The URL of the session's server, emptied (FLUSHALL) for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    yield redis_server.url
