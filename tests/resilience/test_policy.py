"""The call policy end to end — retries and rate limits — with real clients against the fakes.

Faults come from the fakes' fault injection. Each client gets a fake monotonic clock that moves
only when its driver sleeps, so the waits the pipeline asks for are recorded exactly and nothing
really sleeps.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from apiforge.core import (
    APIForgeError,
    HTTPStatusError,
    LocalBackend,
    MethodSpec,
    Param,
    RetryPolicy,
    TransportError,
    VKRateLimiter,
)
from apiforge.core.client import AsyncClient
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import Response
from apiforge.testing.faults import KINDS, FaultKind
from apiforge.testing.wialon import DEFAULT_TOKEN
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import ServerError, TooManyError
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.yclients import AsyncYclients, Yclients
from tests.testing.support import Clock, on_clock

TOKEN = "vk1.a.retry-test-token-0123456789"
PARTNER = "partner-token-for-retries"
ENV = ("APIFORGE_MAX_RETRIES", "APIFORGE_BACKOFF_BASE", "APIFORGE_BACKOFF_MAX", "APIFORGE_RETRY_JITTER")
# users.get as if its spec did not mark it idempotent: the policy must then refuse risky retries.
RISKY_USERS_GET: MethodSpec[object] = MethodSpec(api="vk", name="users.get", params=(Param("user_ids", "form", "csv"),))
RISKY_SEARCH_ITEM: MethodSpec[object] = MethodSpec(
    api="wialon", name="core/search_item", params=(Param("id", "params", "native"), Param("flags", "params", "native"))
)


@pytest.fixture(autouse=True)
def predictable_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff 1 s, 2 s, 4 s ... without jitter, unless a test says otherwise."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "1")
    monkeypatch.setenv("APIFORGE_RETRY_JITTER", "0")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_vk(mode: str) -> Iterator[FakeVK]:
    fake = FakeVK(tokens={TOKEN})
    fake.faults.hang = 0.6
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def make_vk(fake: FakeVK, mode: str, clock: Clock, **options: Any) -> VK:
    options.setdefault("rate_limit", None)
    if mode == "http":
        vk = VK(token=TOKEN, base_url=fake.url, timeout=0.3, **options)
    else:
        http = httpx.Client(transport=fake.transport())
        vk = VK(token=TOKEN, base_url="http://fake", http_client=http, **options)
    on_clock(vk, clock)
    return vk


@pytest.fixture
def vk(fake_vk: FakeVK, mode: str, clock: Clock) -> Iterator[VK]:
    with make_vk(fake_vk, mode, clock) as client:
        yield client


@pytest.fixture
async def avk(fake_vk: FakeVK, mode: str, clock: Clock) -> AsyncIterator[AsyncVK]:
    if mode == "http":
        client = AsyncVK(token=TOKEN, base_url=fake_vk.url, rate_limit=None, timeout=0.3)
    else:
        http = httpx.AsyncClient(transport=fake_vk.async_transport())
        client = AsyncVK(token=TOKEN, base_url="http://fake", rate_limit=None, http_client=http)
    on_clock(client, clock)
    async with client:
        yield client


# Per-call options and the environment.


def test_with_options_max_retries_zero_fails_at_once(vk: VK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(1, kind="http_503")
    with pytest.raises(HTTPStatusError) as failed:
        vk.with_options(max_retries=0).users.get(user_ids=[1])
    assert failed.value.status_code == 503
    assert clock.slept == []

    # The client itself keeps its policy: the same fault is retried once, after the first backoff.
    fake_vk.faults.fail_next(1, kind="http_503")
    assert [u.id for u in vk.users.get(user_ids=[1])] == [1]
    assert clock.slept == [1.0]
    assert fake_vk.faults.counts() == {"http_503": 2}


async def test_async_with_options_max_retries_zero_fails_at_once(avk: AsyncVK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(1, kind="reset_before")
    with pytest.raises(TransportError):
        await avk.with_options(max_retries=0).users.get(user_ids=[1])
    assert clock.slept == []

    fake_vk.faults.fail_next(2, kind="vk_6")
    assert [u.id for u in await avk.users.get(user_ids=[5])] == [5]
    assert clock.slept == [1.0, 2.0]


def test_with_options_more_retries(vk: VK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(5, kind="http_502")
    assert [u.id for u in vk.with_options(max_retries=5).users.get(user_ids=[1])] == [1]
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_environment_sets_attempts_and_backoff(
    monkeypatch: pytest.MonkeyPatch, fake_vk: FakeVK, mode: str, clock: Clock
) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "2")
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "0.25")
    monkeypatch.setenv("APIFORGE_BACKOFF_MAX", "0.4")
    fake_vk.faults.fail_next(5, kind="http_503")

    with make_vk(fake_vk, mode, clock) as vk, pytest.raises(HTTPStatusError):
        vk.users.get(user_ids=[1])
    assert clock.slept == [0.25, 0.4]
    assert fake_vk.faults.pending() == 2  # three attempts: the first and two retries


def test_environment_jitter_spreads_the_waits(
    monkeypatch: pytest.MonkeyPatch, fake_vk: FakeVK, mode: str, clock: Clock
) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "6")
    monkeypatch.setenv("APIFORGE_RETRY_JITTER", "0.5")
    fake_vk.faults.fail_next(6, kind="http_503")

    with make_vk(fake_vk, mode, clock) as vk:
        vk.users.get(user_ids=[1])
    nominal = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]  # doubling, capped at the default 30 s
    assert len(clock.slept) == 6
    assert all(0.5 * n <= wait <= 1.5 * n for wait, n in zip(clock.slept, nominal, strict=True))
    assert len(set(clock.slept)) == 6


def test_constructor_argument_beats_the_environment(
    monkeypatch: pytest.MonkeyPatch, fake_vk: FakeVK, mode: str, clock: Clock
) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "0")
    fake_vk.faults.fail_next(1, kind="http_503")
    with make_vk(fake_vk, mode, clock, max_retries=1) as vk:
        assert [u.id for u in vk.users.get(user_ids=[1])] == [1]


# Where each retry setting comes from: with_options > the client's retry= > the environment > the defaults.

PolicyClient = VK | AsyncVK | Yclients | AsyncYclients | Wialon | AsyncWialon
CLIENTS: dict[str, tuple[type[Any], type[Any]]] = {
    "vk": (VK, AsyncVK),
    "yclients": (Yclients, AsyncYclients),
    "wialon": (Wialon, AsyncWialon),
}
# An idempotent read of each API, to fail and retry.
READS: dict[str, Any] = {
    "vk": lambda c: c.users.get(user_ids=[1]),
    "yclients": lambda c: c.companies.list(),
    "wialon": lambda c: c.core.search_item(id=734455, flags=1),
}


def policy_client(
    api: str, flavour: str, clock: Clock, **options: Any
) -> tuple[Any, FakeVK | FakeYclients | FakeWialon]:
    """A client of `api` (in-process, on the fake clock) and its fake."""
    fake: FakeVK | FakeYclients | FakeWialon
    if api == "vk":
        fake = FakeVK(tokens={TOKEN})
        options.update(token=TOKEN, rate_limit=None)
    elif api == "yclients":
        fake = FakeYclients(partner_tokens={PARTNER})
        options.update(partner_token=PARTNER, rate_limit=None)
    else:
        fake = FakeWialon()
        options.update(token=DEFAULT_TOKEN)
    sync, asynchronous = CLIENTS[api]
    if flavour == "async":
        http: httpx.Client | httpx.AsyncClient = httpx.AsyncClient(transport=fake.async_transport())
        client = asynchronous(base_url="http://fake", http_client=http, **options)
    else:
        client = sync(base_url="http://fake", http_client=httpx.Client(transport=fake.transport()), **options)
    on_clock(client, clock)
    return client, fake


async def waits_of(client: PolicyClient, api: str, fake: Any, clock: Clock, faults: int) -> list[float]:
    """The waits of one read whose first `faults` attempts get a 503 (whether it then succeeds or fails)."""
    fake.faults.clear()
    fake.faults.fail_next(faults, kind="http_503")
    before = len(clock.slept)
    try:
        result = READS[api](client)
        if inspect.isawaitable(result):
            await result
    except APIForgeError:
        pass
    fake.faults.clear()
    return clock.slept[before:]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("api", ["vk", "yclients", "wialon"])
async def test_retry_settings_per_call_over_client_over_environment(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, api: str, flavour: str
) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "5")
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "0.25")
    monkeypatch.setenv("APIFORGE_BACKOFF_MAX", "20")
    # The client sets the backoff; the number of retries stays the environment's, jitter the fixture's (0).
    client, fake = policy_client(api, flavour, clock, retry=RetryPolicy(backoff_base=2, backoff_max=5))
    assert await waits_of(client, api, fake, clock, faults=10) == [2.0, 4.0, 5.0, 5.0, 5.0]

    # Per call: fewer retries; the client's backoff still holds.
    view = client.with_options(retry=RetryPolicy(max_retries=2))
    assert await waits_of(view, api, fake, clock, faults=10) == [2.0, 4.0]
    # A setting given per call replaces the client's; the rest stays.
    view = client.with_options(retry=RetryPolicy(backoff_base=1, max_retries=4))
    assert await waits_of(view, api, fake, clock, faults=10) == [1.0, 2.0, 4.0, 5.0]
    # Views of views layer too, and the shorthand wins over the same setting in retry=.
    view = view.with_options(retry=RetryPolicy(max_retries=3), max_retries=1)
    assert await waits_of(view, api, fake, clock, faults=10) == [1.0]

    # The client itself kept its settings, and a call that gets through stops the waits.
    assert await waits_of(client, api, fake, clock, faults=2) == [2.0, 4.0]
    assert client._policy.retry == RetryPolicy(max_retries=5, backoff_base=2, backoff_max=5, jitter=0)
    if isinstance(client, AsyncClient):
        await client.aclose()
    else:
        client.close()


@pytest.mark.parametrize("api", ["vk", "yclients", "wialon"])
def test_client_retry_argument_and_its_shorthand(monkeypatch: pytest.MonkeyPatch, clock: Clock, api: str) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "7")

    def retry_of(**options: Any) -> RetryPolicy:
        client, _ = policy_client(api, "sync", clock, **options)
        with client:
            return client._policy.retry  # type: ignore[no-any-return]

    # Without arguments: the environment (and the fixture's backoff 1 s, no jitter) over the defaults.
    assert retry_of() == RetryPolicy(max_retries=7, backoff_base=1, jitter=0)
    # max_retries= is the shorthand; it wins over retry=RetryPolicy(max_retries=...).
    assert retry_of(retry=RetryPolicy(max_retries=2, deadline=None), max_retries=4) == RetryPolicy(
        max_retries=4, backoff_base=1, jitter=0, deadline=None
    )
    # Settings left out of retry= stay the environment's or the defaults.
    policy = retry_of(retry=RetryPolicy(retry_after_cap=5))
    assert policy == RetryPolicy(max_retries=7, backoff_base=1, jitter=0, retry_after_cap=5)
    assert (policy.backoff_max, policy.deadline) == (30.0, 120.0)


def test_per_call_retry_after_cap(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    fake_yc.faults.retry_after = 3600
    fake_yc.faults.fail_next(1, kind="yclients_429")
    assert len(yc.with_options(retry=RetryPolicy(retry_after_cap=12, deadline=None)).companies.list()) == 2
    assert clock.slept == [12.0]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("APIFORGE_MAX_RETRIES", "2.5", "expected a whole number >= 0"),
        ("APIFORGE_MAX_RETRIES", "-1", "expected a whole number >= 0"),
        ("APIFORGE_BACKOFF_BASE", "-0.5", "expected a number >= 0"),
        ("APIFORGE_BACKOFF_MAX", "inf", "expected a number >= 0"),
        ("APIFORGE_RETRY_JITTER", "1.5", "expected a number from 0 to 1"),
        ("APIFORGE_RETRY_JITTER", "half", "is not a number"),
    ],
)
def test_bad_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"environment variable {variable}='{re.escape(value)}'.*{expected}"):
        VK(token=TOKEN)


def test_bad_per_call_option_names_the_setting(vk: VK) -> None:
    with pytest.raises(ValueError, match=r"RetryPolicy: max_retries must be a number >= 0, got -1"):
        vk.with_options(max_retries=-1)
    with pytest.raises(ValueError, match=r"RetryPolicy: deadline must be a number >= 0, got -5"):
        vk.with_options(deadline=-5)


# The total deadline.


def test_deadline_ends_the_retries(vk: VK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(10, kind="http_503")
    with pytest.raises(HTTPStatusError):
        vk.with_options(max_retries=10, deadline=5).users.get(user_ids=[1])
    # 1 s and 2 s fit in 5 s; waiting 4 s more would end past it.
    assert clock.slept == [1.0, 2.0]
    assert fake_vk.faults.pending() == 7


# Retry-After.


@pytest.fixture
def fake_yc(mode: str) -> Iterator[FakeYclients]:
    fake = FakeYclients(partner_tokens={PARTNER})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@pytest.fixture
def yc(fake_yc: FakeYclients, mode: str, clock: Clock) -> Iterator[Yclients]:
    if mode == "http":
        client = Yclients(partner_token=PARTNER, base_url=fake_yc.url, rate_limit=None)
    else:
        http = httpx.Client(transport=fake_yc.transport())
        client = Yclients(partner_token=PARTNER, base_url="http://fake", rate_limit=None, http_client=http)
    on_clock(client, clock)
    with client:
        yield client


def test_retry_after_seconds(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    fake_yc.faults.retry_after = 7
    fake_yc.faults.fail_next(1, kind="yclients_429")
    assert len(yc.companies.list()) == 2
    assert clock.slept == [7.0]


def test_retry_after_http_date(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    fake_yc.faults.retry_after = 30
    fake_yc.faults.fail_next(1, kind="yclients_429_date")
    assert len(yc.companies.list()) == 2
    (wait,) = clock.slept
    assert 28.0 < wait <= 30.0  # the date has whole seconds


def test_retry_after_is_capped(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    fake_yc.faults.retry_after = 3600
    fake_yc.faults.fail_next(1, kind="yclients_429")
    assert len(yc.with_options(deadline=None).companies.list()) == 2
    assert clock.slept == [60.0]


def test_retry_after_beyond_the_deadline_is_not_waited(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    fake_yc.faults.retry_after = 30
    fake_yc.faults.fail_next(1, kind="yclients_429")
    with pytest.raises(Exception) as failed:
        yc.with_options(deadline=10).companies.list()
    assert getattr(failed.value, "code", None) == 429
    assert clock.slept == []


def test_429_is_retried_for_a_call_that_is_not_idempotent(yc: Yclients, fake_yc: FakeYclients, clock: Clock) -> None:
    yc.login("admin", "secret")
    fake_yc.faults.retry_after = 2
    fake_yc.faults.fail_next(1, kind="yclients_429")
    # The server refused before doing anything: safe to send again whatever the call does.
    created = yc.clients.create(company_id=4564, name="Retried", phone="79990000001")
    assert clock.slept == [2.0]
    assert [c["id"] for c in fake_yc.clients[4564].values() if c["name"] == "Retried"] == [created.id]


@pytest.mark.parametrize("kind", ["reset_after", "http_500", "http_503"])
def test_clients_search_is_a_read_retried_like_one(
    yc: Yclients, fake_yc: FakeYclients, clock: Clock, kind: FaultKind
) -> None:
    # A POST, but a read (the overlay marks it idempotent): retried even once it may have reached the server.
    yc.login("admin", "secret")
    fake_yc.faults.fail_next(1, kind=kind)
    assert len(yc.clients.search(company_id=4564, page=1, page_size=5)) == 5
    assert clock.slept == [1.0]


@pytest.mark.parametrize("kind", ["reset_after", "http_500", "http_503"])
def test_clients_create_is_not_resent_once_it_may_have_arrived(
    yc: Yclients, fake_yc: FakeYclients, clock: Clock, kind: FaultKind
) -> None:
    yc.login("admin", "secret")
    fake_yc.faults.fail_next(1, kind=kind)
    with pytest.raises(APIForgeError):
        yc.clients.create(company_id=4564, name="Once", phone="79990000002")
    assert clock.slept == []
    assert len(fake_yc.calls_to("POST /api/v1/clients/{company_id}")) == KINDS[kind].processed


# What may be retried.


@pytest.mark.parametrize("kind", ["reset_after", "timeout", "http_500", "http_503", "vk_10"])
def test_not_idempotent_not_retried_once_it_may_have_arrived(
    vk: VK, fake_vk: FakeVK, clock: Clock, kind: FaultKind
) -> None:
    fake_vk.faults.fail_next(1, kind=kind)
    with pytest.raises((TransportError, HTTPStatusError, ServerError)):
        vk.request(RISKY_USERS_GET.call({"user_ids": [1]}))
    assert clock.slept == []
    assert len(fake_vk.faults.log) == 1


@pytest.mark.parametrize("kind", ["reset_after", "timeout", "http_500", "http_503", "vk_10"])
def test_idempotent_retried_on_any_transient_failure(vk: VK, fake_vk: FakeVK, clock: Clock, kind: FaultKind) -> None:
    fake_vk.faults.fail_next(1, kind=kind)
    assert [u.id for u in vk.users.get(user_ids=[1])] == [1]
    assert clock.slept == [1.0]


def test_refused_before_processing_is_retried_for_any_call(vk: VK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(1, kind="vk_6")
    assert vk.request(RISKY_USERS_GET.call({"user_ids": [1]})) == [
        {"id": 1, "first_name": "Pavel", "last_name": "Durov", "can_access_closed": True, "is_closed": False}
    ]
    assert clock.slept == [1.0]


def test_connection_refused_is_retried_for_any_call(fake_vk: FakeVK, clock: Clock) -> None:
    # In-process `reset_before` is a refused connection: the request never left.
    fake_vk.faults.fail_next(1, kind="reset_before")
    with make_vk(fake_vk, "inprocess", clock) as vk:
        assert len(vk.request(RISKY_USERS_GET.call({"user_ids": [1]}))) == 1
    assert clock.slept == [1.0]


def test_a_dropped_connection_may_have_been_processed(fake_vk: FakeVK, clock: Clock) -> None:
    # Over HTTP the client cannot tell a drop before processing from one after: it must not resend.
    with fake_vk:
        fake_vk.faults.fail_next(1, kind="reset_before")
        with make_vk(fake_vk, "http", clock) as vk, pytest.raises(TransportError) as failed:
            vk.request(RISKY_USERS_GET.call({"user_ids": [1]}))
    assert failed.value.sent is True


def test_too_many_vk_errors_exhaust_the_retries(vk: VK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(4, kind="vk_6")
    with pytest.raises(TooManyError):
        vk.users.get(user_ids=[1])
    assert clock.slept == [1.0, 2.0, 4.0]


# VK messages.send: made idempotent by its random_id, so retried, and delivered once.


@pytest.mark.parametrize("kind", ["reset_after", "timeout", "http_500", "vk_10", "reset_before", "http_503"])
def test_messages_send_is_retried_and_delivered_once(vk: VK, fake_vk: FakeVK, clock: Clock, kind: FaultKind) -> None:
    fake_vk.faults.fail_next(1, kind=kind)

    message_id = vk.messages.send(peer_id=5, message=f"after {kind}")

    assert [(m["id"], m["text"]) for m in fake_vk.messages] == [(message_id, f"after {kind}")]
    sent = [c.params["random_id"] for c in fake_vk.calls_to("messages.send")]
    assert len(set(sent)) == 1  # every attempt carried the same random_id
    assert clock.slept == [1.0]


def test_messages_send_keeps_the_callers_random_id(vk: VK, fake_vk: FakeVK) -> None:
    fake_vk.faults.fail_next(1, kind="reset_after")
    vk.messages.send(peer_id=5, message="mine", random_id=424242)
    assert [m["random_id"] for m in fake_vk.messages] == [424242]
    assert [c.params["random_id"] for c in fake_vk.calls_to("messages.send")] == ["424242", "424242"]


async def test_async_messages_send_is_retried_and_delivered_once(avk: AsyncVK, fake_vk: FakeVK, clock: Clock) -> None:
    fake_vk.faults.fail_next(1, kind="reset_after")
    fake_vk.faults.fail_next(1, kind="vk_10")
    message_id = await avk.messages.send(peer_id=5, message="async")
    assert [(m["id"], m["text"]) for m in fake_vk.messages] == [(message_id, "async")]
    assert clock.slept == [1.0, 2.0]


# Wialon: a failure in the session's login is not a failure of the call.


@pytest.fixture
def fake_wialon(mode: str) -> Iterator[FakeWialon]:
    fake = FakeWialon()
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


def make_wialon(fake: FakeWialon, mode: str, clock: Clock) -> Wialon:
    if mode == "http":
        client = Wialon(token=DEFAULT_TOKEN, base_url=fake.url)
    else:
        client = Wialon(
            token=DEFAULT_TOKEN, base_url="http://fake", http_client=httpx.Client(transport=fake.transport())
        )
    on_clock(client, clock)
    return client


@pytest.mark.parametrize("kind", ["reset_after", "http_500", "wialon_1003"])
def test_a_failed_login_is_retried_even_for_a_call_that_is_not_idempotent(
    fake_wialon: FakeWialon, mode: str, clock: Clock, kind: FaultKind
) -> None:
    fake_wialon.faults.fail_next(1, kind=kind)  # strikes the login the call needs first
    with make_wialon(fake_wialon, mode, clock) as w:
        answer = w.request(RISKY_SEARCH_ITEM.call({"id": 734455, "flags": 1}))
    assert isinstance(answer, dict) and answer["item"]["nm"] == "Truck 01"
    assert [r.call for r in fake_wialon.faults.log] == ["token/login"]
    assert fake_wialon.logins == 1 + KINDS[kind].processed  # `logins` counts the logins the fake processed
    assert clock.slept == [1.0]


def test_expired_session_relogin_that_fails_is_retried(fake_wialon: FakeWialon, mode: str, clock: Clock) -> None:
    with make_wialon(fake_wialon, mode, clock) as w:
        w.core.search_item(id=734455, flags=1)
        fake_wialon.faults.fail_next(1, kind="wialon_1")  # the session dies under the next call
        fake_wialon.faults.fail_next(1, kind="http_503")  # and the re-login fails once

        assert w.core.search_item(id=734456, flags=1).item.nm == "Truck 02"

    assert [(r.kind, r.call) for r in fake_wialon.faults.log] == [
        ("wialon_1", "core/search_item"),
        ("http_503", "token/login"),
    ]
    assert fake_wialon.logins == 2  # the first, and the re-login that got through
    assert clock.slept == [1.0]


async def test_async_expired_session_relogin_that_fails_is_retried(
    fake_wialon: FakeWialon, mode: str, clock: Clock
) -> None:
    if mode == "http":
        client = AsyncWialon(token=DEFAULT_TOKEN, base_url=fake_wialon.url)
    else:
        http = httpx.AsyncClient(transport=fake_wialon.async_transport())
        client = AsyncWialon(token=DEFAULT_TOKEN, base_url="http://fake", http_client=http)
    on_clock(client, clock)
    async with client as w:
        await w.core.search_item(id=734455, flags=1)
        fake_wialon.faults.fail_next(1, kind="wialon_1")
        fake_wialon.faults.fail_next(1, kind="reset_before")
        assert (await w.core.search_item(id=734457, flags=1)).item.nm == "Van 01"
    assert [r.call for r in fake_wialon.faults.log] == ["core/search_item", "token/login"]
    assert fake_wialon.logins == 2
    assert clock.slept == [1.0]


class ExpiringWialon(FakeWialon):
    """Ends the session under the first `expiries` searches, then answers the next `failures` with a 503."""

    def __init__(self, *, expiries: int, failures: int) -> None:
        super().__init__()
        self.expiries, self.failures, self.searches = expiries, failures, 0

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        if b"core%2Fsearch_item" in body or query.get("svc") == "core/search_item":
            self.searches += 1
            if self.searches <= self.expiries:
                self.expire_session()
            elif self.searches <= self.expiries + self.failures:
                return 503, {"content-type": "text/plain"}, b"Service Unavailable"
        return super().handle(method, path, query, headers, body)


def test_replays_after_expiries_leave_the_retry_budget_whole(mode: str, clock: Clock) -> None:
    # Two expiries (each repaired by a new login and a replay), then as many failures as the client
    # allows retries: the replays are repairs, not retries, so the call still gets all its retries.
    fake = ExpiringWialon(expiries=2, failures=2)
    with contextlib.ExitStack() as stack:
        if mode == "http":
            stack.enter_context(fake)
        with make_wialon(fake, mode, clock).with_options(max_retries=2) as w:
            assert w.core.search_item(id=734456, flags=1).item.nm == "Truck 02"
    assert fake.searches == 5  # 2 expired, 2 answered 503, 1 answered
    assert fake.logins == 3
    assert clock.slept == [1.0, 2.0]  # the backoff of the first and the second retry


# Rate limits, on the same fake clock.


def send_times(client: VK, clock: Clock, calls: int) -> list[float]:
    """Make `calls` users.get calls back to back; return when each was sent, from the first."""
    start, times = clock.now, []
    for _ in range(calls):
        client.users.get(user_ids=[1])
        times.append(clock.now - start)
    return times


def test_rate_limit_none_sends_without_waiting(fake_vk: FakeVK, mode: str, clock: Clock) -> None:
    with make_vk(fake_vk, mode, clock) as vk:
        assert send_times(vk, clock, 10) == [0.0] * 10
    assert clock.slept == []
    assert len(fake_vk.calls) == 10


def test_rate_limit_number_sets_requests_per_second(fake_vk: FakeVK, mode: str, clock: Clock) -> None:
    with make_vk(fake_vk, mode, clock, rate_limit=3) as vk:
        # 3 per second, plus the 0.1 s margin, spaced evenly: never 3 at one instant.
        step = 1.1 / 3
        assert send_times(vk, clock, 7) == pytest.approx([i * step for i in range(7)], abs=1e-5)
        assert clock.slept == pytest.approx([step] * 6, abs=1e-5)
        # Per call, limiting can be turned off.
        assert send_times(vk.with_options(rate_limit=None), clock, 5) == [0.0] * 5


def test_default_limit_follows_the_token_kind(fake_vk: FakeVK, clock: Clock) -> None:
    http = httpx.Client(transport=fake_vk.transport())
    with VK(token=TOKEN, token_kind="group", base_url="http://fake", http_client=http) as vk:
        on_clock(vk, clock)
        times = send_times(vk, clock, 21)
    # 20 requests per window of 1.1 s (VK counts a little more than a second), spaced evenly.
    assert times == pytest.approx([i * 0.055 for i in range(21)], abs=1e-5)


async def test_async_rate_limit_number(fake_vk: FakeVK, clock: Clock) -> None:
    http = httpx.AsyncClient(transport=fake_vk.async_transport())
    async with AsyncVK(token=TOKEN, base_url="http://fake", rate_limit=2, http_client=http) as vk:
        on_clock(vk, clock)
        for _ in range(5):
            await vk.users.get(user_ids=[1])
    assert clock.slept == pytest.approx([0.55] * 4, abs=1e-5)


def test_a_limiter_with_a_shared_backend(fake_vk: FakeVK, clock: Clock) -> None:
    # Two clients (think: two processes) on one token, their schedules in one backend: they share its 2/s.
    backend = LocalBackend()
    clients = [
        VK(
            token=TOKEN,
            base_url="http://fake",
            http_client=httpx.Client(transport=fake_vk.transport()),
            rate_limit=VKRateLimiter({"user": 2, "group": 20}, backend=backend),
        )
        for _ in range(2)
    ]
    for client in clients:
        on_clock(client, clock)
    for client in [*clients, *clients]:
        client.users.get(user_ids=[1])
    # One schedule for both: 2 per 1.1 s on the token, whichever client sends.
    assert clock.slept == pytest.approx([0.55] * 3, abs=1e-5)
    for client in clients:
        client.close()


@pytest.mark.parametrize("value", [True, 0, -3, "5"])
def test_a_rate_limit_that_is_no_rate_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="rate_limit must be a positive number of requests per second, a RateLimiter"):
        VK(token=TOKEN, rate_limit=value)  # type: ignore[arg-type]
