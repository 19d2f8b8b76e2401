"""Shared fixtures: integration tests run each fake both over real HTTP and in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from apiforge.core import redact

# The suite runs on small shared machines (CI: 2 cores, other jobs beside it). Hypothesis' timing
# checks — a per-example deadline, "input generation is slow" — then fail on a scheduler pause,
# not on anything the tests are about; what the properties assert is checked in full either way.
settings.register_profile("apiforge", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("apiforge")


@pytest.fixture(params=["http", "inprocess"])
def mode(request: pytest.FixtureRequest) -> str:
    """How a test reaches its fake: a real server on 127.0.0.1, or an in-process httpx transport."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _secrets_of_this_test() -> Iterator[None]:
    """Each test masks only the secrets it (and the fixtures it uses) registered.

    The registry is process-wide, as it must be for users; in the suite, a short token one test
    registers ("user") would otherwise be masked in the texts of every later test ("$.***_id").
    """
    saved = redact._registry.copy()
    yield
    redact._registry = saved
