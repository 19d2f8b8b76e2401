"""Fixtures of the gateway tests: a gateway serving on 127.0.0.1 with a token store for alice and bob."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from apiforge.gateway import Gateway, TokenStore
from tests.gateway.gatewaykit import store_with


@pytest.fixture
def tokens() -> tuple[TokenStore, dict[str, str]]:
    return store_with("alice", "bob")


@pytest.fixture
async def gateway(tokens: tuple[TokenStore, dict[str, str]]) -> AsyncIterator[Gateway]:
    store, _ = tokens
    gw = Gateway(verifier=store.verify)
    async with gw.serve("127.0.0.1", 0):
        yield gw
