"""Server-side rate limits of FakeVK (error 6) and FakeYclients (429), and the SDK's retries through them.

The fakes and the clients share one `Clock` that moves only when a test advances it or a client's
driver sleeps (its backoff), so nothing waits and nothing depends on the machine's speed.
Each test runs over real HTTP and in-process (the `mode` fixture).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from apiforge.testing import FakeVK, FakeYclients, RateLimit
from apiforge.testing.ratelimits import RateWindows
from apiforge.vk import VK, AsyncVK
from apiforge.vk import decode_response as decode_vk
from apiforge.vk.errors import TooManyError
from apiforge.yclients import AsyncYclients, Yclients
from apiforge.yclients import decode_response as decode_yclients
from apiforge.yclients.errors import TooManyRequestsError

from .support import Clock, on_clock, served, wire

COMPANY = 4564
YCLIENTS_HEADERS = {"Accept": "application/vnd.yclients.v2+json"}


@pytest.fixture(autouse=True)
def predictable_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff 1 s, 2 s, 4 s ... without jitter (on the test's clock: nobody waits)."""
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "1")
    monkeypatch.setenv("APIFORGE_RETRY_JITTER", "0")
    monkeypatch.delenv("APIFORGE_MAX_RETRIES", raising=False)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def vk_call(http: httpx.Client, method: str, token: str = "t", **params: str) -> dict[str, Any]:
    """One raw VK call: the decoded JSON body."""
    body: dict[str, Any] = http.post(f"/method/{method}", data={**params, "access_token": token, "v": "5.199"}).json()
    return body


def error_code(body: Mapping[str, Any]) -> int | None:
    """The `error_code` of an error body, None for an answer."""
    error = body.get("error")
    return int(error["error_code"]) if isinstance(error, dict) else None


# The windows themselves.


def test_a_window_admits_its_requests_then_refuses_until_the_oldest_leaves() -> None:
    windows, limit = RateWindows(), (RateLimit(3, 1.0),)
    assert [windows.admit("k", limit, now) for now in (0.0, 0.1, 0.2, 0.3, 0.99)] == [True, True, True, False, False]
    assert windows.admit("k", limit, 1.0)  # the request of 0.0 has left the window
    assert not windows.admit("k", limit, 1.05)  # those of 0.1, 0.2 and 1.0 are in it


def test_every_window_must_have_room_and_refusals_do_not_count() -> None:
    windows, limits = RateWindows(), (RateLimit(2, 1.0), RateLimit(3, 60.0))
    admitted = [now for now in (0.0, 0.5, 0.6, 0.7, 1.5, 2.0, 3.0, 59.9, 60.0) if windows.admit("k", limits, now)]
    # 0.6 and 0.7: the second is full; 2.0 ... 59.9: the minute is full; 60.0: the first request has left it.
    assert admitted == [0.0, 0.5, 1.5, 60.0]


def test_keys_are_counted_apart() -> None:
    windows, limit = RateWindows(), (RateLimit(1, 1.0),)
    assert [windows.admit(key, limit, 0.0) for key in ("a", "b", "a")] == [True, True, False]


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="requests"):
        RateLimit(0)
    with pytest.raises(ValueError, match="seconds"):
        RateLimit(1, 0.0)
    with pytest.raises(ValueError, match="requests"):
        FakeVK(rate_limits={"group": 0})


# FakeVK: error 6.


@pytest.fixture
def fake_vk(mode: str, clock: Clock) -> Iterator[FakeVK]:
    """The fake the plugin's `vk` / `async_vk` fixtures use: limits on, one user token."""
    with served(FakeVK(tokens={"t"}, clock=clock, enforce_limits=True), mode) as fake:
        yield fake


def test_vk_limits_are_off_by_default(mode: str, clock: Clock) -> None:
    with served(FakeVK(clock=clock), mode) as fake, wire(fake) as http:
        answers = [vk_call(http, "users.get") for _ in range(10)]
    assert [error_code(a) for a in answers] == [None] * 10 and fake.refused == 0


def test_a_user_token_gets_error_6_beyond_3_a_second(fake_vk: FakeVK, clock: Clock) -> None:
    with wire(fake_vk) as http:
        first = [vk_call(http, "users.get", user_ids="1") for _ in range(3)]
        refused = vk_call(http, "users.get", user_ids="1")
        clock.advance(0.999)
        still = vk_call(http, "users.get")
        clock.advance(0.001)
        again = vk_call(http, "users.get")

    assert [error_code(a) for a in first] == [None, None, None]
    assert [error_code(refused), error_code(still), error_code(again)] == [6, 6, None]
    error = refused["error"]
    assert isinstance(error, dict) and error["error_msg"] == "Too many requests per second"
    assert {"key": "method", "value": "users.get"} in error["request_params"]
    with pytest.raises(TooManyError):
        decode_vk("users.get", refused)
    assert fake_vk.refused == 2 and len(fake_vk.calls_to("users.get")) == 6  # refused calls arrived too


def test_group_tokens_get_20_a_second_and_each_token_its_own_window(mode: str, clock: Clock) -> None:
    kinds = {"group-token": "group", "service-token": "service"}
    fake = FakeVK(tokens={"t"}, token_kinds=kinds, clock=clock, enforce_limits=True)
    with served(fake, mode), wire(fake) as http:
        group = [error_code(vk_call(http, "users.get", token="group-token")) for _ in range(21)]
        service = [error_code(vk_call(http, "users.get", token="service-token")) for _ in range(4)]
        user = [error_code(vk_call(http, "users.get")) for _ in range(4)]
    assert group == [None] * 20 + [6]
    assert service == user == [None, None, None, 6]


def test_the_per_kind_limits_are_configurable_and_the_switch_works_live(mode: str, clock: Clock) -> None:
    fake = FakeVK(clock=clock, enforce_limits=True, rate_limits={"user": 1})
    with served(fake, mode), wire(fake) as http:
        limited = [error_code(vk_call(http, "users.get")) for _ in range(2)]
        fake.enforce_limits = False
        free = [error_code(vk_call(http, "users.get")) for _ in range(5)]
    assert limited == [None, 6] and free == [None] * 5
    assert fake.rate_limits["group"] == 20  # the kinds not given keep VK's numbers


def test_execute_counts_as_one_request(fake_vk: FakeVK) -> None:
    code = "return [" + ", ".join(['API.users.get({"user_ids": "1"})'] * 5) + "];"
    with wire(fake_vk) as http:
        answers = [vk_call(http, "execute", code=code) for _ in range(3)]
        beyond = vk_call(http, "execute", code=code)
    assert all(len(a["response"]) == 5 for a in answers)
    assert error_code(beyond) == 6


def test_the_sdk_retries_error_6_and_loses_no_message(fake_vk: FakeVK, vk: VK, clock: Clock) -> None:
    on_clock(vk, clock)
    texts = [f"message {n}" for n in range(10)]
    ids = [vk.messages.send(peer_id=5, message=text) for text in texts]

    assert [m["text"] for m in fake_vk.messages] == texts  # each once, in order
    assert ids == [m["id"] for m in fake_vk.messages]
    assert fake_vk.refused == 3  # the limit did bite: sends 4, 7 and 10 came in a full second
    assert len(fake_vk.calls_to("messages.send")) == 10 + fake_vk.refused
    assert clock.slept == [1.0, 1.0, 1.0]  # one backoff each, on the test's clock


async def test_the_async_sdk_retries_error_6_and_loses_no_message(
    fake_vk: FakeVK, async_vk: AsyncVK, clock: Clock
) -> None:
    on_clock(async_vk, clock)
    # However the sends interleave, none is refused more than 3 times (the SDK's default retries): its
    # attempts are a backoff (>= 1 s) apart, so each refusal needs 3 *other* sends admitted in the second
    # before it, and there are only 11 others.
    texts = [f"burst {n}" for n in range(12)]
    ids = await asyncio.gather(*(async_vk.messages.send(peer_id=5, message=text) for text in texts))

    assert sorted(m["text"] for m in fake_vk.messages) == sorted(texts)  # each once: none lost, none twice
    assert sorted(ids) == [m["id"] for m in fake_vk.messages]
    assert fake_vk.refused >= 1 and clock.slept  # the limit did bite, and was waited out on the test's clock


# FakeYclients: 429.


@pytest.fixture
def fake_yclients(mode: str, clock: Clock) -> Iterator[FakeYclients]:
    """The fake the plugin's `yclients` / `async_yclients` fixtures log in to: limits on."""
    with served(FakeYclients(partner_tokens={"partner", "other"}, clock=clock, enforce_limits=True), mode) as fake:
        yield fake


def companies(http: httpx.Client, partner: str = "partner") -> httpx.Response:
    return http.get("/api/v1/companies", headers={**YCLIENTS_HEADERS, "Authorization": f"Bearer {partner}"})


def test_yclients_answers_429_beyond_5_a_second(fake_yclients: FakeYclients, clock: Clock) -> None:
    with wire(fake_yclients) as http:
        first = [companies(http).status_code for _ in range(5)]
        refused = companies(http)
        other_partner = companies(http, "other")
        clock.advance(1.0)
        again = companies(http)

    assert first == [200] * 5 and (refused.status_code, other_partner.status_code, again.status_code) == (429, 200, 200)
    assert refused.json() == {"success": False, "data": None, "meta": {"message": "Too many requests"}}
    assert refused.headers["content-type"].startswith("application/json")
    assert "retry-after" not in refused.headers  # undocumented: the fake does not invent one
    with pytest.raises(TooManyRequestsError):
        decode_yclients("GET /api/v1/companies", refused.content, status_code=429)
    assert fake_yclients.refused == 1


def test_yclients_answers_429_beyond_200_a_minute(fake_yclients: FakeYclients, clock: Clock) -> None:
    statuses: list[int] = []
    with wire(fake_yclients) as http:
        for _ in range(201):  # four a second: within 5 a second, but 201 within 50 seconds
            statuses.append(companies(http).status_code)
            clock.advance(0.25)
        clock.advance(60 - 201 * 0.25)  # a minute after the first request
        statuses.append(companies(http).status_code)
    assert statuses == [200] * 200 + [429, 200]


def test_yclients_limits_are_configurable_and_off_by_default(mode: str, clock: Clock) -> None:
    strict = FakeYclients(clock=clock, enforce_limits=True, rate_limits=[RateLimit(2, 10.0)])
    with served(strict, mode), wire(strict) as http:
        assert [companies(http).status_code for _ in range(3)] == [200, 200, 429]
    with served(FakeYclients(clock=clock), mode) as free, wire(free) as http:
        assert {companies(http).status_code for _ in range(20)} == {200}


def test_the_sdk_retries_429_and_loses_no_client(fake_yclients: FakeYclients, yclients: Yclients, clock: Clock) -> None:
    on_clock(yclients, clock)
    before = len(fake_yclients.clients[COMPANY])
    names = [f"Client {n}" for n in range(12)]
    created = [
        yclients.clients.create(company_id=COMPANY, name=name, phone=f"7999000{n:04}") for n, name in enumerate(names)
    ]

    stored = list(fake_yclients.clients[COMPANY].values())[before:]
    assert [c["name"] for c in stored] == names  # each once, in order
    assert [c.id for c in created] == [c["id"] for c in stored]
    # The login and four creates fill the first second, five creates the next: creates 5 and 10 wait once.
    assert fake_yclients.refused == 2 and clock.slept == [1.0, 1.0]


async def test_the_async_sdk_retries_429_and_loses_no_client(
    fake_yclients: FakeYclients, async_yclients: AsyncYclients, clock: Clock
) -> None:
    on_clock(async_yclients, clock)
    before = len(fake_yclients.clients[COMPANY])
    # None is refused more than twice: each refusal needs 5 other requests admitted in the second before
    # it (attempts are >= 1 s apart), and there are only 10 (the login and 9 creates).
    names = [f"Async client {n}" for n in range(10)]
    await asyncio.gather(
        *(
            async_yclients.clients.create(company_id=COMPANY, name=name, phone=f"7999100{n:04}")
            for n, name in enumerate(names)
        )
    )
    stored = list(fake_yclients.clients[COMPANY].values())[before:]
    assert sorted(c["name"] for c in stored) == sorted(names)
    assert fake_yclients.refused >= 1 and clock.slept  # the limit did bite, and was waited out on the test's clock
