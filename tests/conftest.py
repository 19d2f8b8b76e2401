"""Shared fixtures: integration tests run each fake both over real HTTP and in-process."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["http", "inprocess"])
def mode(request: pytest.FixtureRequest) -> str:
    """How a test reaches its fake: a real server on 127.0.0.1, or an in-process httpx transport."""
    return str(request.param)
