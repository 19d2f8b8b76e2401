"""The pytest plugin of `apiforge.testing`: a fake server per test, and clients bound to it.

Installed with apiforge (entry point `pytest11: apiforge`), so in any project that has apiforge:

    def test_greets(fake_vk, vk):                  # a FakeVK on 127.0.0.1, a VK client of it
        vk.messages.send(peer_id=1, message="hi")
        assert fake_vk.messages[-1]["text"] == "hi"

Fixtures (each new per test; servers stopped and clients closed after it):

- `fake_vk`, `fake_yclients`, `fake_wialon`: the fakes, serving real HTTP on 127.0.0.1;
- `vk` / `async_vk`: VK clients with the fake's accepted token(s);
- `yclients` / `async_yclients`: YCLIENTS clients with the partner token, logged in as the fake's
  first user (so user-token calls work; the login is removed from `fake_yclients.calls`);
- `wialon` / `async_wialon`: Wialon clients with the fake's token (they log in on first use).

Clients have client-side rate limiting off (a test should not wait for a limiter); retries are
the SDK's defaults. To change a fake, override its fixture in your conftest.py:

    @pytest.fixture
    def fake_vk():
        with FakeVK(tokens={"my-token"}) as fake:  # the `vk` fixture uses "my-token"
            yield fake

A fake that is not started (`yield FakeVK()` without `with`) is reached in-process, without
sockets: the client fixtures then use its `transport()` / `async_transport()`.
The async client fixtures are `pytest_asyncio` fixtures when pytest-asyncio is installed (and plain
pytest fixtures otherwise, which anyio's plugin runs).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from apiforge.core.auth import Token, TokenKind
    from apiforge.testing._server import FakeServer
    from apiforge.testing.vk import FakeVK
    from apiforge.testing.wialon import FakeWialon
    from apiforge.testing.yclients import FakeYclients
    from apiforge.vk import VK, AsyncVK
    from apiforge.wialon import AsyncWialon, Wialon
    from apiforge.yclients import AsyncYclients, Yclients

# Nothing of the SDK is imported at module level: pytest loads this plugin in every session of a
# project that has apiforge installed, most of which never use a fake.

IN_PROCESS_URL = "http://fake"
"""The base URL of clients that reach a fake in-process (any URL does: no socket is opened)."""

_async_declare: Callable[[Any], object]
try:
    import pytest_asyncio

    _async_declare = pytest_asyncio.fixture
except ImportError:  # anyio's plugin (or none) runs async fixtures declared as plain pytest fixtures
    _async_declare = pytest.fixture


def _async_fixture(function: Callable[..., AsyncIterator[Any]]) -> object:
    """Declare an async fixture with pytest-asyncio when it is installed, else as a plain fixture."""
    return _async_declare(function)


# -- the fakes --------------------------------------------------------------------------------


@pytest.fixture
def fake_vk() -> Iterator[FakeVK]:
    """A `FakeVK` serving HTTP on 127.0.0.1 for one test (accepted token: "t")."""
    from apiforge.testing.vk import FakeVK

    with FakeVK() as fake:
        yield fake


@pytest.fixture
def fake_yclients() -> Iterator[FakeYclients]:
    """A `FakeYclients` serving HTTP on 127.0.0.1 for one test (partner token "partner", user admin/secret)."""
    from apiforge.testing.yclients import FakeYclients

    with FakeYclients() as fake:
        yield fake


@pytest.fixture
def fake_wialon() -> Iterator[FakeWialon]:
    """A `FakeWialon` serving HTTP on 127.0.0.1 for one test (accepted token: `fake_wialon.token`)."""
    from apiforge.testing.wialon import FakeWialon

    with FakeWialon() as fake:
        yield fake


# -- where a client finds its fake ------------------------------------------------------------


def serving_http(fake: FakeServer) -> bool:
    """Is `fake` serving real HTTP (started), or only reachable in-process?"""
    try:
        fake.url  # noqa: B018 - raises when the fake is not serving
    except RuntimeError:
        return False
    return True


def _sync_http(fake: FakeServer, stack: contextlib.ExitStack) -> tuple[str, httpx.Client | None]:
    """The base URL of `fake` and, in-process, an httpx client over its transport (closed by `stack`)."""
    if serving_http(fake):
        return fake.url, None
    import httpx

    return IN_PROCESS_URL, stack.enter_context(httpx.Client(transport=fake.transport()))


async def _async_http(fake: FakeServer, stack: contextlib.AsyncExitStack) -> tuple[str, httpx.AsyncClient | None]:
    """The base URL of `fake` and, in-process, an async httpx client over its transport (closed by `stack`)."""
    if serving_http(fake):
        return fake.url, None
    import httpx

    return IN_PROCESS_URL, await stack.enter_async_context(httpx.AsyncClient(transport=fake.async_transport()))


def vk_tokens(fake: FakeVK) -> list[Token]:
    """Every token `fake` accepts, with its kind (`fake.token_kinds`; "user" when it has none)."""
    from apiforge.core.auth import Token

    if not fake.tokens:
        raise ValueError("the FakeVK accepts no token: give it tokens=[...]")
    return [Token(value, _vk_kind(fake.token_kinds.get(value, "user"))) for value in sorted(fake.tokens)]


def _vk_kind(kind: str) -> TokenKind:
    """A kind from the fake's `token_kinds` (plain strings) as a `TokenKind`."""
    from apiforge.core.auth.tokens import TOKEN_KINDS

    for known in TOKEN_KINDS:
        if kind == known:
            return known
    raise ValueError(f"FakeVK.token_kinds: unknown kind {kind!r}; expected one of {', '.join(TOKEN_KINDS)}")


def yclients_partner_token(fake: FakeYclients) -> str:
    """A partner token `fake` accepts (the first in sorted order)."""
    if not fake.partner_tokens:
        raise ValueError("the FakeYclients accepts no partner token: give it partner_tokens=[...]")
    return sorted(fake.partner_tokens)[0]


# -- the clients ------------------------------------------------------------------------------


@pytest.fixture
def vk(fake_vk: FakeVK) -> Iterator[VK]:
    """A `VK` client of `fake_vk` with its accepted token(s), rate limiting off; closed after the test."""
    from apiforge.vk import VK

    with contextlib.ExitStack() as stack:
        base_url, http = _sync_http(fake_vk, stack)
        client = VK(vk_tokens(fake_vk), base_url=base_url, rate_limit=None, http_client=http)
        yield stack.enter_context(client)


@_async_fixture
async def async_vk(fake_vk: FakeVK) -> AsyncIterator[AsyncVK]:
    """An `AsyncVK` client of `fake_vk` with its accepted token(s), rate limiting off; closed after the test."""
    from apiforge.vk import AsyncVK

    async with contextlib.AsyncExitStack() as stack:
        base_url, http = await _async_http(fake_vk, stack)
        client = AsyncVK(vk_tokens(fake_vk), base_url=base_url, rate_limit=None, http_client=http)
        yield await stack.enter_async_context(client)


@pytest.fixture
def yclients(fake_yclients: FakeYclients) -> Iterator[Yclients]:
    """A `Yclients` client of `fake_yclients`: partner token, logged in as its first user; closed after the test."""
    from apiforge.yclients import Yclients

    with contextlib.ExitStack() as stack:
        base_url, http = _sync_http(fake_yclients, stack)
        client = stack.enter_context(
            Yclients(yclients_partner_token(fake_yclients), base_url=base_url, rate_limit=None, http_client=http)
        )
        if fake_yclients.users:
            user = fake_yclients.users[0]
            client.login(user.login, user.password)
            fake_yclients.reset_calls()  # the test's calls start with its own
        yield client


@_async_fixture
async def async_yclients(fake_yclients: FakeYclients) -> AsyncIterator[AsyncYclients]:
    """An `AsyncYclients` client of `fake_yclients`: partner token, logged in as its first user; closed after."""
    from apiforge.yclients import AsyncYclients

    async with contextlib.AsyncExitStack() as stack:
        base_url, http = await _async_http(fake_yclients, stack)
        client = await stack.enter_async_context(
            AsyncYclients(yclients_partner_token(fake_yclients), base_url=base_url, rate_limit=None, http_client=http)
        )
        if fake_yclients.users:
            user = fake_yclients.users[0]
            await client.login(user.login, user.password)
            fake_yclients.reset_calls()
        yield client


@pytest.fixture
def wialon(fake_wialon: FakeWialon) -> Iterator[Wialon]:
    """A `Wialon` client of `fake_wialon` with its token (logs in on first use, out when closed)."""
    from apiforge.wialon import Wialon

    with contextlib.ExitStack() as stack:
        base_url, http = _sync_http(fake_wialon, stack)
        yield stack.enter_context(Wialon(fake_wialon.token, base_url=base_url, http_client=http))


@_async_fixture
async def async_wialon(fake_wialon: FakeWialon) -> AsyncIterator[AsyncWialon]:
    """An `AsyncWialon` client of `fake_wialon` with its token (logs in on first use, out when closed)."""
    from apiforge.wialon import AsyncWialon

    async with contextlib.AsyncExitStack() as stack:
        base_url, http = await _async_http(fake_wialon, stack)
        yield await stack.enter_async_context(AsyncWialon(fake_wialon.token, base_url=base_url, http_client=http))


__all__ = [
    "IN_PROCESS_URL",
    "async_vk",
    "async_wialon",
    "async_yclients",
    "fake_vk",
    "fake_wialon",
    "fake_yclients",
    "serving_http",
    "vk",
    "vk_tokens",
    "wialon",
    "yclients",
    "yclients_partner_token",
]
