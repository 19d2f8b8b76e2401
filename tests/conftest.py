"""Shared fixtures: integration tests run each fake both over real HTTP and in-process."""

from __future__ import annotations

import inspect
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


# The async tests of these directories run over both transports of the async clients: the
# clients they build without an http_client of their own take theirs from APIFORGE_ASYNC_TRANSPORT.
BOTH_TRANSPORTS = frozenset({"integration", "events"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give the async tests of `BOTH_TRANSPORTS` an `async_transport` parameter: httpx and aiohttp."""
    if inspect.iscoroutinefunction(metafunc.function) and metafunc.definition.path.parent.name in BOTH_TRANSPORTS:
        metafunc.parametrize("async_transport", ["httpx", "aiohttp"], indirect=True)


@pytest.fixture(autouse=True)
def async_transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The transport async clients built in this test use when not given one (`APIFORGE_ASYNC_TRANSPORT`).

    Autouse, so that it is set up before the fixtures that build clients; unparametrized, it sets nothing.
    """
    name: str | None = getattr(request, "param", None)
    if name is not None:
        monkeypatch.setenv("APIFORGE_ASYNC_TRANSPORT", name)
    return name


@pytest.fixture(autouse=True)
def _secrets_of_this_test() -> Iterator[None]:
    """Each test masks only the secrets it (and the fixtures it uses) registered.

    The registry is process-wide, as it must be for users; in the suite, a short token one test
    registers ("user") would otherwise be masked in the texts of every later test ("$.***_id").
    """
    saved = redact._registry.copy()
    yield
    redact._registry = saved
