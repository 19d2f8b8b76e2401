"""The fakes' fault injection, seen from a plain httpx client, over real HTTP and in-process alike."""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import Iterator

import httpx
import pytest

from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import FakeServer
from apiforge.testing.faults import KINDS, FaultRecord
from apiforge.testing.wialon import DEFAULT_TOKEN

TOKEN = "vk-token-for-fault-tests"
CLIENT_TIMEOUT = 0.3
HANG = 0.6  # longer than the client's timeout, short enough for a quick test


def serving(fake: FakeServer, mode: str) -> Iterator[httpx.Client]:
    """A plain httpx client that reaches `fake` the way `mode` says."""
    fake.faults.hang = HANG
    if mode == "http":
        with fake, httpx.Client(base_url=fake.url, timeout=CLIENT_TIMEOUT) as http:
            yield http
    else:
        with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
            yield http


@pytest.fixture
def vk_fake() -> FakeVK:
    return FakeVK(tokens={TOKEN})


@pytest.fixture
def vk_http(vk_fake: FakeVK, mode: str) -> Iterator[httpx.Client]:
    yield from serving(vk_fake, mode)


def send(http: httpx.Client, text: str, random_id: int = 7) -> httpx.Response:
    form = {"access_token": TOKEN, "v": "5.199", "peer_id": "5", "random_id": str(random_id), "message": text}
    return http.post("/method/messages.send", data=form)


# Generic kinds: what the client sees, and whether the fake processed the request.


@pytest.mark.parametrize(
    ("kind", "status", "processed"), [("http_500", 500, True), ("http_502", 502, False), ("http_503", 503, False)]
)
def test_http_errors(vk_fake: FakeVK, vk_http: httpx.Client, kind: str, status: int, processed: bool) -> None:
    vk_fake.faults.fail_next(1, kind=kind)

    assert send(vk_http, "hello").status_code == status
    assert len(vk_fake.messages) == int(processed)
    assert vk_fake.faults.log == [FaultRecord(kind, "messages.send", "POST", "/method/messages.send", processed)]
    # Only the next request fails.
    assert send(vk_http, "again", random_id=8).json() == {"response": len(vk_fake.messages)}


@pytest.mark.parametrize("call", ["messages.send", "messages.*"])
def test_fail_next_can_wait_for_one_call(vk_fake: FakeVK, vk_http: httpx.Client, call: str) -> None:
    vk_fake.faults.fail_next(1, kind="http_503", call=call)
    users = {"access_token": TOKEN, "v": "5.199", "user_ids": "1"}
    assert vk_http.post("/method/users.get", data=users).status_code == 200  # another call: not struck
    assert vk_fake.faults.pending() == 1
    assert send(vk_http, "hello").status_code == 503
    assert send(vk_http, "again", random_id=8).status_code == 200
    assert [record.call for record in vk_fake.faults.log] == ["messages.send"]


def test_reset_before_processes_nothing(vk_fake: FakeVK, vk_http: httpx.Client, mode: str) -> None:
    vk_fake.faults.fail_next(1, kind="reset_before")

    # Over HTTP the socket closes under a sent request; in-process the connection is refused.
    expected = httpx.ConnectError if mode == "inprocess" else (httpx.RemoteProtocolError, httpx.ReadError)
    with pytest.raises(expected):
        send(vk_http, "hello")
    assert vk_fake.messages == []
    assert vk_fake.calls == []
    assert send(vk_http, "hello").json() == {"response": 1}  # the connection pool recovers


def test_reset_after_processes_then_drops(vk_fake: FakeVK, vk_http: httpx.Client, mode: str) -> None:
    vk_fake.faults.fail_next(1, kind="reset_after")

    expected = httpx.RemoteProtocolError if mode == "inprocess" else (httpx.RemoteProtocolError, httpx.ReadError)
    with pytest.raises(expected):
        send(vk_http, "hello")
    assert [m["text"] for m in vk_fake.messages] == ["hello"]
    # Sending again with the same random_id is de-duplicated, as VK does.
    assert send(vk_http, "hello").json() == {"response": 1}
    assert len(vk_fake.messages) == 1


def test_timeout_processes_and_answers_too_late(vk_fake: FakeVK, vk_http: httpx.Client) -> None:
    vk_fake.faults.fail_next(1, kind="timeout")

    with pytest.raises(httpx.ReadTimeout):
        send(vk_http, "hello")
    assert len(vk_fake.messages) == 1
    assert vk_fake.faults.counts() == {"timeout": 1}


def test_timeout_answer_arrives_when_the_client_waits_long_enough(vk_fake: FakeVK) -> None:
    vk_fake.faults.hang = 0.05
    vk_fake.faults.fail_next(1, kind="timeout")
    with vk_fake, httpx.Client(base_url=vk_fake.url, timeout=5) as http:
        assert send(http, "late").json() == {"response": 1}


# VK errors.


def test_vk_6_refuses_and_echoes_params_like_vk(vk_fake: FakeVK, vk_http: httpx.Client) -> None:
    vk_fake.faults.fail_next(1, kind="vk_6")

    error = send(vk_http, "hello").json()["error"]
    assert error["error_code"] == 6
    echoed = {p["key"]: p["value"] for p in error["request_params"]}
    assert echoed["method"] == "messages.send"
    assert echoed["access_token"] == TOKEN  # VK echoes the token: the client must mask it
    assert vk_fake.messages == []


def test_vk_10_processes_then_fails(vk_fake: FakeVK, vk_http: httpx.Client) -> None:
    vk_fake.faults.fail_next(1, kind="vk_10")

    assert send(vk_http, "hello").json()["error"]["error_code"] == 10
    assert len(vk_fake.messages) == 1


# Wialon errors.


@pytest.fixture
def wialon_fake() -> FakeWialon:
    return FakeWialon()


@pytest.fixture
def wialon_http(wialon_fake: FakeWialon, mode: str) -> Iterator[httpx.Client]:
    yield from serving(wialon_fake, mode)


def wialon(http: httpx.Client, svc: str, params: dict[str, object], sid: str | None = None) -> object:
    form = {"svc": svc, "params": json.dumps(params)}
    if sid is not None:
        form["sid"] = sid
    return http.post("/wialon/ajax.html", data=form).json()


def test_wialon_1_waits_for_a_session_then_forgets_it(wialon_fake: FakeWialon, wialon_http: httpx.Client) -> None:
    wialon_fake.faults.fail_next(1, kind="wialon_1")

    login = wialon(wialon_http, "token/login", {"token": DEFAULT_TOKEN})
    assert isinstance(login, dict)
    sid = login["eid"]  # the login carries no session: the fault waits for a request that does
    assert wialon_fake.faults.pending() == 1
    assert wialon(wialon_http, "core/search_item", {"id": 734455, "flags": 1}, sid) == {"error": 1}
    assert sid not in wialon_fake.sessions
    # The session is really gone, as after an expiry.
    assert wialon(wialon_http, "core/search_item", {"id": 734455, "flags": 1}, sid) == {"error": 1}
    assert [r.call for r in wialon_fake.faults.log] == ["core/search_item"]


def test_wialon_1003_concurrency_limit(wialon_fake: FakeWialon, wialon_http: httpx.Client) -> None:
    wialon_fake.faults.fail_next(1, kind="wialon_1003")

    assert wialon(wialon_http, "token/login", {"token": DEFAULT_TOKEN}) == {
        "error": 1003,
        "reason": "LIMIT api_concurrent",
    }
    assert wialon_fake.sessions == {}


# YCLIENTS errors.


@pytest.fixture
def yclients_fake() -> FakeYclients:
    return FakeYclients()


@pytest.fixture
def yclients_http(yclients_fake: FakeYclients, mode: str) -> Iterator[httpx.Client]:
    yield from serving(yclients_fake, mode)


def companies(http: httpx.Client) -> httpx.Response:
    headers = {"Accept": "application/vnd.yclients.v2+json", "Authorization": "Bearer partner"}
    return http.get("/api/v1/companies", headers=headers)


def test_yclients_429_retry_after_seconds(yclients_fake: FakeYclients, yclients_http: httpx.Client) -> None:
    yclients_fake.faults.retry_after = 3
    yclients_fake.faults.fail_next(1, kind="yclients_429")

    answer = companies(yclients_http)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "3"
    assert answer.json()["success"] is False
    assert companies(yclients_http).status_code == 200


def test_yclients_429_retry_after_http_date(yclients_fake: FakeYclients, yclients_http: httpx.Client) -> None:
    yclients_fake.faults.retry_after = 30
    yclients_fake.faults.fail_next(1, kind="yclients_429_date")

    answer = companies(yclients_http)
    assert answer.status_code == 429
    when = email.utils.parsedate_to_datetime(answer.headers["Retry-After"]).timestamp()
    assert 25 < when - time.time() <= 30


# The random rate, latency, validation.


def kinds_drawn(seed: int, requests: int = 200) -> list[str]:
    fake = FakeVK(tokens={TOKEN})
    fake.faults.seed(seed)
    fake.faults.rate = 0.3
    with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
        for n in range(requests):
            with contextlib.suppress(httpx.TransportError):
                send(http, f"m{n}", random_id=n + 1)
    return [record.kind for record in fake.faults.log]


def test_random_faults_are_seeded_and_mixed() -> None:
    first, again, other = kinds_drawn(1), kinds_drawn(1), kinds_drawn(2)

    assert first == again
    assert first != other
    assert 30 <= len(first) <= 90  # about 30% of 200
    assert set(first) == set(FakeVK().faults.supported)  # every VK kind turns up
    assert not {"wialon_1", "yclients_429"} & set(first)


def test_rate_draws_only_from_chosen_kinds(vk_fake: FakeVK, vk_http: httpx.Client) -> None:
    vk_fake.faults.kinds = ("vk_6",)
    vk_fake.faults.rate = 1.0

    assert [send(vk_http, "x", random_id=n + 1).json()["error"]["error_code"] for n in range(5)] == [6] * 5
    vk_fake.faults.clear()
    assert send(vk_http, "x").json() == {"response": 1}
    assert vk_fake.faults.counts() == {"vk_6": 5}


def test_queued_faults_come_before_the_rate() -> None:
    fake = FakeVK(tokens={TOKEN})
    fake.faults.kinds = ("http_502",)
    fake.faults.rate = 1.0
    fake.faults.fail_next(2, kind="http_503")
    with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
        assert [send(http, "x").status_code for _ in range(3)] == [503, 503, 502]


def test_latency_is_part_of_every_answer() -> None:
    fake = FakeVK(tokens={TOKEN})
    fake.faults.latency = 0.25
    served = fake.serve("POST", "/method/users.get", {}, f"access_token={TOKEN}&v=5.199".encode())
    assert served.latency == 0.25
    assert served.fault is None
    assert served.response is not None and served.response[0] == 200


def test_latency_in_process_sync_and_async(monkeypatch: pytest.MonkeyPatch) -> None:
    import apiforge.testing._server as server

    slept: list[float] = []
    monkeypatch.setattr(server.time, "sleep", slept.append)
    fake = FakeVK(tokens={TOKEN})
    fake.faults.latency = 0.125
    with httpx.Client(base_url="http://fake", transport=fake.transport()) as http:
        send(http, "x")
    assert slept == [0.125]


async def test_latency_in_process_async_awaits(monkeypatch: pytest.MonkeyPatch) -> None:
    import apiforge.testing._server as server

    awaited: list[float] = []

    async def record(seconds: float) -> None:
        awaited.append(seconds)

    monkeypatch.setattr(server.asyncio, "sleep", record)
    fake = FakeVK(tokens={TOKEN})
    fake.faults.latency = 0.125
    form = {"access_token": TOKEN, "v": "5.199", "peer_id": "5", "random_id": "1", "message": "x"}
    async with httpx.AsyncClient(base_url="http://fake", transport=fake.async_transport()) as http:
        assert (await http.post("/method/messages.send", data=form)).json() == {"response": 1}
    assert awaited == [0.125]


async def test_async_in_process_faults_raise_httpx_errors() -> None:
    fake = FakeVK(tokens={TOKEN})
    form = {"access_token": TOKEN, "v": "5.199", "peer_id": "5", "random_id": "1", "message": "x"}
    async with httpx.AsyncClient(base_url="http://fake", transport=fake.async_transport()) as http:
        for kind, error in (
            ("reset_before", httpx.ConnectError),
            ("reset_after", httpx.RemoteProtocolError),
            ("timeout", httpx.ReadTimeout),
        ):
            fake.faults.fail_next(1, kind=kind)
            with pytest.raises(error):
                await http.post("/method/messages.send", data=form)
    assert len(fake.messages) == 1  # processed by reset_after; the timeout's send was a duplicate


def test_every_fake_supports_the_generic_kinds_and_its_own() -> None:
    generic = {name for name, fault in KINDS.items() if fault.api is None}
    assert set(FakeVK().faults.supported) == generic | {"vk_6", "vk_10"}
    assert set(FakeWialon().faults.supported) == generic | {"wialon_1", "wialon_1003"}
    assert set(FakeYclients().faults.supported) == generic | {"yclients_429", "yclients_429_date"}


def test_bad_settings_name_what_is_wrong() -> None:
    faults = FakeWialon().faults
    with pytest.raises(ValueError, match=r"fail_next: unknown kind 'http_418'"):
        faults.fail_next(1, kind="http_418")
    with pytest.raises(ValueError, match=r"'vk_6' is a vk fault; FakeWialon supports"):
        faults.fail_next(1, kind="vk_6")
    with pytest.raises(ValueError, match=r"n must be at least 1, got 0"):
        faults.fail_next(0)
    with pytest.raises(ValueError, match=r"faults.rate: expected a share between 0 and 1, got 1.5"):
        faults.rate = 1.5
    with pytest.raises(ValueError, match=r"faults.latency: expected seconds >= 0, got -1"):
        faults.latency = -1
    with pytest.raises(ValueError, match=r"faults.kinds: .*'yclients_429' is a yclients fault"):
        faults.kinds = ("http_500", "yclients_429")
    assert faults.pending() == 0 and faults.rate == 0
