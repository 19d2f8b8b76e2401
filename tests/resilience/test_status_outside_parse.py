"""A proxy in front of the API answers with an HTTP error: every request the clients make says so.

Requests the protocols make beside the ordinary call path (the Wialon login and logout, the
Wialon `core/duplicate`, AVL event polls, the VK long-poll server fetch, the YCLIENTS login)
meet a gateway that answers 502/503 — as text, or with a JSON body that is not the API's. Each
must fail as an `HTTPStatusError` naming the request and the status (never a DecodeError about
a missing field), and be retried like any failure before the call was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import pytest

from apiforge.core.errors import HTTPStatusError
from apiforge.core.events.wialon_avl import AvlPoller
from apiforge.core.protocols.wialon import AVL_EVENTS_SPEC
from apiforge.core.retry import RetryPolicy
from apiforge.testing import FakeVK, FakeWialon, FakeYclients
from apiforge.testing._server import FakeServer, IncomingRequest, Served, parse_form
from apiforge.vk import VK
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.flags import UpdateDataFlagsMode
from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType
from apiforge.yclients import Yclients

UNIT = 734455
REGISTER = UpdateDataFlagsSpec(type=UpdateDataFlagsSpecType.ID, data=UNIT, flags=0x401, mode=UpdateDataFlagsMode.ADD)
FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.01)
GATEWAY_ANSWERS = {
    "502 text": (502, "text/plain", b"Bad Gateway"),
    "503 json": (503, "application/json", b'{"message":"Service Unavailable"}'),
    "500 html": (500, "text/html", b"<html><body>Internal Server Error</body></html>"),
}


class Gateway:
    """Answers the next `times` requests that `match` picks itself, as a proxy in front of the fake would."""

    def __init__(
        self,
        fake: FakeServer,
        match: Callable[[IncomingRequest], bool],
        answer: tuple[int, str, bytes],
        times: int = 1,
    ) -> None:
        self.fake, self.match, self.answer, self.times = fake, match, answer, times
        self.struck = 0
        self._serve = fake.serve
        fake.serve = self.serve  # type: ignore[method-assign]  # both the HTTP handler and the transports call it

    def serve(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Served:
        lowered = {key.lower(): value for key, value in headers.items()}
        request = IncomingRequest(method, urlsplit(url).path, {}, lowered, body)
        if self.times and self.match(request):
            self.times -= 1
            self.struck += 1
            status, content_type, content = self.answer
            return Served((status, {"Content-Type": content_type}, content))
        return self._serve(method, url, headers, body)


def wialon_svc(svc: str) -> Callable[[IncomingRequest], bool]:
    return lambda request: parse_form(request.headers, request.body).get("svc") == svc


def path_is(suffix: str) -> Callable[[IncomingRequest], bool]:
    return lambda request: request.path.endswith(suffix)


# Wialon: the login, outside parse() until now.


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS.values(), ids=list(GATEWAY_ANSWERS))
def test_a_wialon_login_refused_by_a_gateway_is_an_http_status_error(answer: tuple[int, str, bytes]) -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, max_retries=0) as w:
        Gateway(fake, wialon_svc("token/login"), answer)
        with pytest.raises(HTTPStatusError) as caught:
            w.core.search_item(id=UNIT, flags=1)
    assert (caught.value.method, caught.value.status_code) == ("token/login", answer[0])
    assert fake.calls_to("core/search_item") == []  # the call itself never went out


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS.values(), ids=list(GATEWAY_ANSWERS))
def test_a_wialon_login_refused_by_a_gateway_is_retried(answer: tuple[int, str, bytes]) -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, retry=FAST) as w:
        gateway = Gateway(fake, wialon_svc("token/login"), answer, times=2)
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
    assert gateway.struck == 2
    assert fake.logins == 1  # the third login reached the server
    assert len(fake.calls_to("core/search_item")) == 1


async def test_an_async_wialon_login_refused_by_a_gateway_is_retried() -> None:
    with FakeWialon() as fake:
        async with AsyncWialon(token=fake.token, base_url=fake.url, retry=FAST) as w:
            gateway = Gateway(fake, wialon_svc("token/login"), GATEWAY_ANSWERS["503 json"])
            assert (await w.core.search_item(id=UNIT, flags=1)).item.id == UNIT
    assert gateway.struck == 1


def test_a_wialon_relogin_refused_by_a_gateway_is_retried_and_the_call_replayed() -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, retry=FAST) as w:
        w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()
        gateway = Gateway(fake, wialon_svc("token/login"), GATEWAY_ANSWERS["503 json"])
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
    assert gateway.struck == 1
    assert fake.logins == 2


def test_a_wialon_logout_refused_by_a_gateway_is_logged_and_the_session_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeWialon() as fake:
        w = Wialon(token=fake.token, base_url=fake.url)
        w.core.search_item(id=UNIT, flags=1)
        Gateway(fake, wialon_svc("core/logout"), GATEWAY_ANSWERS["503 json"])
        with caplog.at_level(logging.INFO, logger="apiforge"):
            w.close()  # best effort: no error, the session expires on its own
    assert w._session.session is None
    assert any("core/logout answered HTTP 503" in record.getMessage() for record in caplog.records)


def test_a_wialon_duplicate_refused_by_a_gateway_names_it() -> None:
    # Not retried even with retries on: core/duplicate opens a session, and a gateway's 502 does
    # not say whether the server behind it did.
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, retry=FAST) as w:
        w.core.search_item(id=UNIT, flags=1)
        Gateway(fake, wialon_svc("core/duplicate"), GATEWAY_ANSWERS["503 json"])
        with pytest.raises(HTTPStatusError) as caught:
            w.duplicate()
    assert (caught.value.method, caught.value.status_code) == ("core/duplicate", 503)


def test_an_avl_events_poll_refused_by_a_gateway_is_logged_and_the_next_poll_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, retry=FAST) as w:
        poller = AvlPoller(w)
        seen: list[object] = []
        poller.on()(seen.append)
        poller.subscribe(REGISTER)
        Gateway(fake, path_is("/avl_evts"), GATEWAY_ANSWERS["503 json"])
        with caplog.at_level(logging.WARNING, logger="apiforge"):
            assert poller.poll_once() == 0
        fake.push_message(UNIT, x=1.0, y=2.0)
        assert poller.poll_once() == 2  # the message and the position update
    assert any("avl_evts: HTTP 503" in record.getMessage() for record in caplog.records)
    assert len(seen) == 2


def test_an_avl_events_poll_refused_by_a_gateway_without_retries_names_it() -> None:
    with FakeWialon() as fake, Wialon(token=fake.token, base_url=fake.url, max_retries=0) as w:
        w.core.search_item(id=UNIT, flags=1)
        Gateway(fake, path_is("/avl_evts"), GATEWAY_ANSWERS["503 json"])
        with pytest.raises(HTTPStatusError) as caught:
            w.request(AVL_EVENTS_SPEC.call({}))
    assert (caught.value.method, caught.value.status_code) == ("avl_evts", 503)


# VK: the long-poll server fetch.


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS.values(), ids=list(GATEWAY_ANSWERS))
def test_a_vk_long_poll_server_fetch_refused_by_a_gateway(answer: tuple[int, str, bytes]) -> None:
    with FakeVK() as fake:
        with VK(token="t", base_url=fake.url, rate_limit=None, max_retries=0) as vk:
            Gateway(fake, path_is("/method/groups.getLongPollServer"), answer)
            with pytest.raises(HTTPStatusError) as caught:
                vk.groups.get_long_poll_server(group_id=1)
        assert (caught.value.method, caught.value.status_code) == ("groups.getLongPollServer", answer[0])
        with VK(token="t", base_url=fake.url, rate_limit=None, retry=FAST) as vk:
            gateway = Gateway(fake, path_is("/method/groups.getLongPollServer"), answer)
            assert vk.groups.get_long_poll_server(group_id=1).server
        assert gateway.struck == 1


# YCLIENTS: the login.


@pytest.mark.parametrize("answer", GATEWAY_ANSWERS.values(), ids=list(GATEWAY_ANSWERS))
def test_a_yclients_login_refused_by_a_gateway(answer: tuple[int, str, bytes]) -> None:
    with FakeYclients() as fake:
        with Yclients("partner", base_url=fake.url, rate_limit=None, max_retries=0) as yc:
            Gateway(fake, path_is("/api/v1/auth"), answer)
            with pytest.raises(HTTPStatusError) as caught:
                yc.login("admin", "secret")
        assert (caught.value.method, caught.value.status_code) == ("POST /api/v1/auth", answer[0])
        with Yclients("partner", base_url=fake.url, rate_limit=None, retry=FAST) as yc:
            gateway = Gateway(fake, path_is("/api/v1/auth"), answer)
            assert yc.login("admin", "secret").user_token
        assert gateway.struck == 1
