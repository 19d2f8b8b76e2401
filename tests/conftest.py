"""Shared fixtures: integration tests run each fake both over real HTTP and in-process."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

# The suite runs on small shared machines (CI: 2 cores, other jobs beside it). Hypothesis' timing
# checks — a per-example deadline, "input generation is slow" — then fail on a scheduler pause,
# not on anything the tests are about; what the properties assert is checked in full either way.
settings.register_profile("apiforge", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("apiforge")


@pytest.fixture(params=["http", "inprocess"])
def mode(request: pytest.FixtureRequest) -> str:
    """How a test reaches its fake: a real server on 127.0.0.1, or an in-process httpx transport."""
    return str(request.param)
