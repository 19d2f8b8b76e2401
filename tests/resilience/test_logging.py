"""What a call logs under the `apiforge` logger: one DEBUG line when it is over, INFO per retry, no secrets.

The line comes from the sans-IO pipeline, so the sync and async clients log the same lines; the
clients run on a fake clock (it moves only when the driver sleeps), so the durations are exact.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import attrs
import httpx
import pytest

from apiforge.core import APIForgeError, ConfigurationError, HTTPStatusError, RetryPolicy
from apiforge.core.auth import Token, TokenKind
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing.wialon import DEFAULT_TOKEN
from apiforge.testing.yclients import FakeUser
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import Wialon
from apiforge.yclients import Yclients

TOKEN = "vk1.a.Logging-Secret-Token-0f9e8d7c"
OTHER_TOKEN = "vk1.a.Logging-Secret-Token-2b3c4d5e"
PARTNER = "partner-Logging-Secret-6a7b"
PASSWORD = "pw-Logging-Secret-1c2d"
# No jitter, 1 s, 2 s, 4 s ...: the waits and the durations in the lines are exact.
RETRY = RetryPolicy(backoff_base=1, jitter=0, max_retries=3)


class Clock:
    """A monotonic clock that moves only when the driver sleeps."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.now += seconds


def on_clock(client: SyncClient | AsyncClient) -> None:
    clock = Clock()
    client._policy = attrs.evolve(client._policy, clock=clock)
    client._driver.sleep = clock.async_sleep if isinstance(client, AsyncClient) else clock.sleep


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(level, message) of every record of the `apiforge` logger."""
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "apiforge"]


@pytest.fixture
def fake() -> FakeVK:
    return FakeVK(tokens={TOKEN, OTHER_TOKEN})


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def vk_call(fake: FakeVK, flavour: str, call: Any, **options: Any) -> object:
    """Make `call(client)` with a VK client of `flavour` over the fake (in-process, on the fake clock)."""
    options = {"token": TOKEN, "retry": RETRY, "rate_limit": None, **options}
    if flavour == "async":
        async with AsyncVK(
            base_url="http://fake", http_client=httpx.AsyncClient(transport=fake.async_transport()), **options
        ) as avk:
            on_clock(avk)
            return await call(avk)
    with VK(base_url="http://fake", http_client=httpx.Client(transport=fake.transport()), **options) as vk:
        on_clock(vk)
        return call(vk)


async def test_retried_then_ok_one_line_with_the_total(
    fake: FakeVK, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    fake.faults.fail_next(1, kind="http_503")
    fake.faults.fail_next(1, kind="vk_6")

    users: Any = await vk_call(fake, flavour, lambda c: c.users.get(user_ids=[1]))

    assert [u.id for u in users] == [1]
    assert lines(caplog) == [
        ("INFO", "users.get: HTTPStatusError on attempt 1; retrying in 1.00s"),
        ("INFO", "users.get: TooManyError on attempt 2; retrying in 2.00s"),
        # The whole call: three attempts and the 3 s of backoff between them, not just the last attempt.
        ("DEBUG", "users.get: ok in 3.000s (3 attempts)"),
    ]


async def test_ok_at_once(fake: FakeVK, flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    await vk_call(fake, flavour, lambda c: c.messages.send(peer_id=5, message="hi"))
    assert lines(caplog) == [("DEBUG", "messages.send: ok in 0.000s (1 attempt)")]


async def test_out_of_retries_one_failure_line(fake: FakeVK, flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    fake.faults.fail_next(5, kind="http_503")

    with pytest.raises(HTTPStatusError):
        await vk_call(fake, flavour, lambda c: c.with_options(max_retries=2).users.get(user_ids=[1]))

    assert lines(caplog) == [
        ("INFO", "users.get: HTTPStatusError on attempt 1; retrying in 1.00s"),
        ("INFO", "users.get: HTTPStatusError on attempt 2; retrying in 2.00s"),
        (
            "DEBUG",
            "users.get: failed in 3.000s (3 attempts): HTTPStatusError: users.get: HTTP 503: Service Unavailable",
        ),
    ]


async def test_not_retried_one_failure_line(fake: FakeVK, flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    fake.tokens.discard(TOKEN)  # the token is refused: error 5, which no retry can help

    with pytest.raises(APIForgeError):
        await vk_call(fake, flavour, lambda c: c.users.get(user_ids=[1]))

    ((level, message),) = lines(caplog)
    assert level == "DEBUG"
    assert re.fullmatch(r"users\.get: failed in 0\.000s \(1 attempt\): \w+Error: users\.get: \[5\] .+", message)
    assert TOKEN not in message  # VK echoes the access token among the request params


class FailingStrategy:
    """A token strategy that fails, naming a token in its exception (as a careless hook might)."""

    def choose(self, tokens: Sequence[Token], allowed_kinds: frozenset[TokenKind], /) -> Token:
        raise RuntimeError(f"token server down; last token was {TOKEN}")


async def test_a_failing_hook_gets_its_line_with_secrets_masked(
    fake: FakeVK, flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    with pytest.raises(RuntimeError):
        await vk_call(
            fake, flavour, lambda c: c.users.get(user_ids=[1]), token=[TOKEN, OTHER_TOKEN], strategy=FailingStrategy()
        )
    assert lines(caplog) == [
        ("DEBUG", "users.get: failed in 0.000s (1 attempt): RuntimeError: token server down; last token was ***")
    ]
    assert fake.calls == []


def test_a_call_refused_before_sending_gets_its_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="apiforge")
    fake = FakeYclients(partner_tokens={PARTNER})
    http = httpx.Client(transport=fake.transport())
    with (
        Yclients(partner_token=PARTNER, base_url="http://fake", http_client=http) as yc,
        pytest.raises(ConfigurationError),
    ):
        yc.clients.search(company_id=4564, page=1, page_size=5)  # needs a user token
    ((level, message),) = lines(caplog)
    assert level == "DEBUG"
    assert message.startswith(
        "POST /api/v1/company/{company_id}/clients/search: failed in 0.000s (1 attempt): ConfigurationError: "
    )


def test_sync_and_async_log_the_same_lines(fake: FakeVK, caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    caplog.set_level(logging.DEBUG, logger="apiforge")
    seen: dict[str, list[tuple[str, str]]] = {}
    for flavour in ("sync", "async"):
        caplog.clear()
        fake.faults.fail_next(1, kind="reset_after")
        fake.faults.fail_next(1, kind="vk_10")
        asyncio.run(vk_call(fake, flavour, lambda c: c.messages.send(peer_id=1, message="twice")))
        seen[flavour] = lines(caplog)
    assert seen["sync"] == seen["async"]
    assert [level for level, _ in seen["sync"]] == ["INFO", "INFO", "DEBUG"]


def test_no_secret_in_any_log_record(caplog: pytest.LogCaptureFixture) -> None:
    """Every logger at DEBUG (apiforge, httpx, httpcore), over real HTTP, with faults: no token, password or session."""
    caplog.set_level(logging.DEBUG)
    vk_fake = FakeVK(tokens={TOKEN})
    yc_fake = FakeYclients(
        partner_tokens={PARTNER}, users=[FakeUser(id=7, login="admin", password=PASSWORD, companies=(4564,))]
    )
    wialon_fake = FakeWialon()
    sessions: list[str] = []
    with vk_fake, yc_fake, wialon_fake:
        with VK(token=TOKEN, base_url=vk_fake.url, retry=RETRY, rate_limit=None) as vk:
            on_clock(vk)
            for kind in ("vk_10", "vk_6", "http_500"):
                vk_fake.faults.fail_next(1, kind=kind)
                vk.messages.send(peer_id=5, message=kind)
            vk_fake.faults.fail_next(1, kind="vk_10")
            with pytest.raises(APIForgeError):
                vk.with_options(max_retries=0).users.get(user_ids=[1])
        with Yclients(partner_token=PARTNER, base_url=yc_fake.url, retry=RETRY, rate_limit=None) as yc:
            on_clock(yc)
            yc_fake.faults.fail_next(1, kind="http_503")
            yc.login("admin", PASSWORD)
            yc_fake.faults.fail_next(1, kind="yclients_429")
            yc.clients.search(company_id=4564, page=1, page_size=5)
            with pytest.raises(APIForgeError):
                yc.login("admin", "wrong-" + PASSWORD)
        with Wialon(token=DEFAULT_TOKEN, base_url=wialon_fake.url, retry=RETRY) as w:
            on_clock(w)
            w.on_session_open(lambda client, login: sessions.append(login.eid))
            w.core.search_item(id=734455, flags=1)
            wialon_fake.faults.fail_next(1, kind="wialon_1")  # the session expires: re-login, replay
            w.core.search_item(id=734455, flags=1)

    records = caplog.records
    texts = [r.getMessage() for r in records] + [r.exc_text or "" for r in records]
    assert len([line for line in lines(caplog) if line[0] == "DEBUG"]) == 4 + 3 + 2  # one per call, failed included
    assert any("HTTP Request" in text for text in texts)  # httpx's own lines were captured too
    user_tokens = list(yc_fake.user_tokens)
    assert len(sessions) == 2 and len(user_tokens) == 1
    for secret in [TOKEN, PARTNER, PASSWORD, DEFAULT_TOKEN, *user_tokens, *sessions]:
        assert [text for text in texts if secret in text] == []
