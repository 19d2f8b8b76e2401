"""Wialon sessions: open/close hooks, re-login, secrets kept out of logs, duplicate, operateAs, Wialon Local."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from apiforge.core.errors import ConfigurationError
from apiforge.core.events.wialon_avl import AsyncAvlPoller, AvlPoller
from apiforge.testing.wialon import FakeWialon, Session, WialonFault
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.errors import ERRORS_BY_CODE, AccessDeniedError, InvalidSessionError, SessionExpiredError
from apiforge.wialon.models.flags import UpdateDataFlagsMode
from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType
from apiforge.wialon.models.session import LoginResponse

from .support import SUB_USER, TOKEN, UNIT, ManualClock, aconnect, connect, methods, only_sid

REGISTER = [UpdateDataFlagsSpec(type=UpdateDataFlagsSpecType.ID, data=UNIT, flags=0x401, mode=UpdateDataFlagsMode.ADD)]


# Open and close hooks.


def test_open_hook_runs_after_every_login_with_the_typed_response(fake: FakeWialon, mode: str) -> None:
    seen: list[tuple[Wialon, LoginResponse]] = []
    with connect(fake, mode) as w:

        @w.on_session_open
        def opened(client: Wialon, login: LoginResponse) -> None:
            seen.append((client, login))
            client.core.update_data_flags(spec=REGISTER)  # the hook may call the API: the session is usable

        w.core.search_item(id=UNIT, flags=1)
        first = only_sid(fake)
        fake.expire_session()
        w.core.search_item(id=UNIT, flags=1)
        second = only_sid(fake)

    assert [client for client, _ in seen] == [w, w]
    assert [login.eid for _, login in seen] == [first, second]
    assert all(isinstance(login, LoginResponse) and login.au == "demo" for _, login in seen)
    assert methods(fake) == [
        "token/login",
        "core/update_data_flags",  # the hook ran before the call that needed the session went on
        "core/search_item",
        "core/search_item",  # error 1
        "token/login",
        "core/update_data_flags",
        "core/search_item",
        "core/logout",
    ]


def test_close_hook_runs_before_the_logout(fake: FakeWialon, mode: str) -> None:
    order: list[str] = []

    def closing(client: Wialon) -> None:
        order.append("hook")
        client.core.update_data_flags(spec=[])  # the session still works here

    idle = connect(fake, mode)
    idle.on_session_close(closing)
    idle.close()
    assert order == []  # no session, nothing to close

    w = connect(fake, mode)
    w.on_session_close(closing)
    w.core.search_item(id=UNIT, flags=1)
    w.close()
    assert order == ["hook"]
    assert methods(fake)[-2:] == ["core/update_data_flags", "core/logout"]
    assert fake.sessions == {}


def test_logout_ends_the_session_and_the_next_call_opens_one(fake: FakeWialon, mode: str) -> None:
    opened: list[str] = []
    closed: list[str] = []
    with connect(fake, mode) as w:
        w.on_session_open(lambda client, login: opened.append(login.eid))
        w.on_session_close(lambda client: closed.append("closed"))
        w.core.search_item(id=UNIT, flags=1)
        w.logout()
        assert fake.sessions == {}
        w.core.search_item(id=UNIT, flags=1)
        assert len(opened) == 2
    assert closed == ["closed", "closed"]
    assert methods(fake).count("core/logout") == 2


def test_hooks_are_shared_with_option_views(fake: FakeWialon, mode: str) -> None:
    opened: list[str] = []
    with connect(fake, mode) as w:
        patient = w.with_options(max_retries=5)
        patient.on_session_open(lambda client, login: opened.append(login.eid))
        w.core.search_item(id=UNIT, flags=1)  # the view and the client share one session
        patient.core.search_item(id=UNIT, flags=1)
    assert len(opened) == 1
    assert fake.logins == 1


def test_sync_client_rejects_async_hooks(fake: FakeWialon, mode: str) -> None:
    w = connect(fake, mode)

    async def opened(client: Wialon, login: LoginResponse) -> None:
        return None

    with pytest.raises(ConfigurationError, match="opened is async"):
        w.on_session_open(opened)
    with pytest.raises(TypeError, match="expected a function"):
        w.on_session_close("not a function")  # type: ignore[arg-type]
    w.close()


def test_a_failing_open_hook_fails_the_call_and_the_next_call_starts_over(fake: FakeWialon, mode: str) -> None:
    attempts: list[int] = []
    with connect(fake, mode, max_retries=0) as w:

        @w.on_session_open
        def flaky(client: Wialon, login: LoginResponse) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("registration failed")

        with pytest.raises(RuntimeError, match="registration failed"):
            w.core.search_item(id=UNIT, flags=1)
        assert fake.sessions == {}  # the half-open session was logged out
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
    assert attempts == [1, 1]
    assert methods(fake)[:3] == ["token/login", "core/logout", "token/login"]


def test_a_hook_whose_own_call_finds_the_session_gone_does_not_hang(fake: FakeWialon, mode: str) -> None:
    # The hook's call gets error 1 inside the login: it fails (no nested login under the held lock),
    # the half-open session is dropped, and the waiting call logs in afresh.
    runs: list[int] = []
    with connect(fake, mode, max_retries=0) as w:

        @w.on_session_open
        def opened(client: Wialon, login: LoginResponse) -> None:
            runs.append(1)
            if len(runs) == 1:
                fake.expire_session()  # the session dies while its hook runs
            client.core.update_data_flags(spec=REGISTER)

        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
    assert methods(fake) == [
        "token/login",
        "core/update_data_flags",  # error 1
        "core/logout",
        "token/login",
        "core/update_data_flags",
        "core/search_item",
        "core/logout",
    ]


def test_a_hook_that_keeps_losing_its_session_fails_the_call(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, max_retries=0) as w:

        @w.on_session_open
        def opened(client: Wialon, login: LoginResponse) -> None:
            fake.expire_session()
            client.core.update_data_flags(spec=REGISTER)

        with pytest.raises(InvalidSessionError):
            w.core.search_item(id=UNIT, flags=1)
    assert methods(fake).count("token/login") <= 4  # bounded: a few recoveries, then the error
    assert "core/search_item" not in methods(fake)


async def test_async_hooks_run_inside_the_relogin_and_concurrent_calls_wait(fake: FakeWialon, mode: str) -> None:
    log: list[str] = []
    async with aconnect(fake, mode) as w:

        @w.on_session_open
        async def opened(client: AsyncWialon, login: LoginResponse) -> None:
            log.append("hook started")
            await asyncio.sleep(0)  # give waiting calls every chance to overtake
            await client.core.update_data_flags(spec=REGISTER)
            log.append("hook done")

        @w.on_session_close
        def closing(client: AsyncWialon) -> None:  # a sync hook works with the async client too
            log.append("closing")

        await w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()
        fake.reset_calls()
        results = await asyncio.gather(*(w.core.search_item(id=UNIT, flags=1) for _ in range(5)))
        assert [r.item.id for r in results] == [UNIT] * 5

    assert methods(fake).count("token/login") == 1  # one re-login for the five calls
    # In the new session the hook's call came first: the five waited for it.
    second = [svc for svc, number in fake.served if number == 2]
    assert second == ["core/update_data_flags"] + ["core/search_item"] * 5 + ["core/logout"]
    assert log == ["hook started", "hook done", "hook started", "hook done", "closing"]


# Secrets.


def test_the_session_id_never_appears_in_logs_or_reprs(
    fake: FakeWialon, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # apiforge, httpx and httpcore, everything
    sids: list[str] = []
    with connect(fake, mode, max_retries=1) as w:
        w.on_session_open(lambda client, login: sids.append(login.eid))
        w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()
        w.core.search_item(id=UNIT, flags=1)  # error 1, re-login, replay
        w.unit.upload_image(item_id=UNIT, file=b"\x89PNG")  # multipart
        with pytest.raises(AccessDeniedError) as caught:
            w.core.search_item(id=1, flags=1)
        texts = [repr(w), repr(w._session), str(caught.value), repr(caught.value), repr(w.with_options())]

    assert len(sids) == 2
    logged = caplog.text
    assert "HTTP Request" in logged or mode == "inprocess"
    for sid in sids:
        assert sid not in logged
        for text in texts:
            assert sid not in text
    assert TOKEN not in logged
    # No request carried the session id in its URL (where HTTP logs and proxies show it).
    assert all("sid" not in call.query for call in fake.calls)


# Duplicate, operateAs, Wialon Local.


def test_duplicate_gives_a_client_on_a_new_session(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        original = only_sid(fake)
        with w.duplicate(operate_as=SUB_USER) as twin:
            assert isinstance(twin, Wialon)
            assert twin._driver.http is w._driver.http  # one connection pool
            assert twin.core.search_item(id=UNIT, flags=1).item.id == UNIT
            assert set(fake.sessions) - {original} != set()
            (copy,) = set(fake.sessions) - {original}
            assert fake.sessions[copy].user == SUB_USER
            assert fake.sessions[original].user == "demo"  # continued
        assert set(fake.sessions) == {original}  # the twin logged out its own session only
        w.core.search_item(id=UNIT, flags=1)
    assert methods(fake).count("token/login") == 1
    duplicate = fake.calls_to("core/duplicate")[0].params["params"]
    assert duplicate == {"operateAs": SUB_USER, "continueCurrentSession": True}


def test_duplicate_without_continuing_ends_this_session(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        original = only_sid(fake)
        twin = w.duplicate(continue_current=False)
        assert original not in fake.sessions
        twin.core.search_item(id=UNIT, flags=1)
        w.core.search_item(id=UNIT, flags=1)  # logs in again, without a failed call first
        twin.close()
    assert methods(fake).count("token/login") == 2
    assert len(fake.calls_to("core/search_item")) == 3


async def test_async_duplicate(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w, await w.duplicate(operate_as=SUB_USER) as twin:
        assert isinstance(twin, AsyncWialon)
        item = await twin.core.search_item(id=UNIT, flags=1)
        assert item.item.id == UNIT
        assert {s.user for s in fake.sessions.values()} == {"demo", SUB_USER}
    assert fake.sessions == {}


def test_operate_as_logs_in_as_the_sub_user(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, operate_as=SUB_USER) as w:
        w.core.search_item(id=UNIT, flags=1)
        (session,) = fake.sessions.values()
        assert session.user == SUB_USER
    assert fake.calls[0].params["params"]["operateAs"] == SUB_USER


def test_operate_as_an_unknown_user_is_refused(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, operate_as="stranger", max_retries=0) as w, pytest.raises(AccessDeniedError):
        w.core.search_item(id=UNIT, flags=1)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_wialon_local_at_a_path_less_base_url(suffix: str, clock: ManualClock) -> None:
    # A Wialon Local site is just a host (and port): the client adds /wialon/ajax.html and /avl_evts.
    with FakeWialon(clock=clock) as fake, Wialon(token=fake.token, base_url=fake.url + suffix) as w:
        assert w.core.search_item(id=UNIT, flags=1).item.nm == "Truck 01"
    assert {call.path for call in fake.calls} == {"/wialon/ajax.html"}


def test_sessions_expire_after_five_idle_minutes(fake: FakeWialon, mode: str, clock: ManualClock) -> None:
    with connect(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        clock.advance(299)
        w.core.search_item(id=UNIT, flags=1)  # still alive, and refreshed
        clock.advance(299)
        w.core.search_item(id=UNIT, flags=1)
        assert fake.logins == 1
        clock.advance(301)
        w.core.search_item(id=UNIT, flags=1)  # expired: re-login and replay
        assert fake.logins == 2


def test_login_without_a_token_is_a_configuration_error(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, token=None) as w, pytest.raises(ConfigurationError, match="token"):
        w.core.search_item(id=UNIT, flags=1)
    assert fake.calls == []


def test_a_shared_http_client_is_not_closed_by_the_duplicate(clock: ManualClock) -> None:
    fake = FakeWialon(clock=clock)
    http = httpx.Client(transport=fake.transport())
    with Wialon(token=TOKEN, base_url="http://fake", http_client=http) as w:
        w.duplicate().close()
        w.core.search_item(id=UNIT, flags=1)
    assert not http.is_closed
    http.close()


# Error 1011 (IP changed or session expired): one re-login and a replay, like error 1.
#
# The fake's fault injection knows `wialon_1` but no 1011, so these tests make one of the fake's services
# answer {"error": 1011} for the sessions it names (by `Session.number`: 1 = the first login), through
# the fake's `services` table; the AVL poll, which is no service, gets it from a wrapping transport.


def answer_1011(fake: FakeWialon, *numbers: int, svc: str = "core/search_item") -> list[int]:
    """Make `svc` answer `{"error": 1011}` to calls of the sessions numbered `numbers`; returns the strikes."""
    served = fake.services[svc]
    struck: list[int] = []

    def invalid_session(session: Session, params: dict[str, Any]) -> object:
        if session.number in numbers:
            struck.append(session.number)
            raise WialonFault(1011)
        return served(session, params)

    fake.services[svc] = invalid_session
    return struck


def in_session(fake: FakeWialon, number: int) -> list[str]:
    """The services the fake answered within the session numbered `number`, in order."""
    return [svc for svc, n in fake.served if n == number]


def test_error_1011_logs_in_again_once_and_replays(fake: FakeWialon, mode: str) -> None:
    opened: list[str] = []
    with connect(fake, mode, max_retries=0) as w:  # no retries: the replay is the recovery, not a retry
        w.on_session_open(lambda client, login: opened.append(login.eid))
        w.core.search_item(id=UNIT, flags=1)
        struck = answer_1011(fake, 1)
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT  # the new session goes on
    assert struck == [1]
    assert ERRORS_BY_CODE[1011] is SessionExpiredError
    assert len(opened) == 2 and opened[0] != opened[1]
    assert methods(fake) == [
        "token/login",
        "core/search_item",
        "core/search_item",  # error 1011
        "token/login",
        "core/search_item",  # the replay
        "core/search_item",
        "core/logout",
    ]
    assert in_session(fake, 2) == ["core/search_item", "core/search_item", "core/logout"]


def test_error_1011_that_persists_after_the_relogin_raises_the_typed_error(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, max_retries=0) as w:
        struck = answer_1011(fake, *range(1, 20))  # every session this test can open
        with pytest.raises(SessionExpiredError) as caught:
            w.core.search_item(id=UNIT, flags=1)
    assert caught.value.code == 1011
    assert 2 <= fake.logins <= 4  # re-logins are bounded: no login loop that would get the IP blocked
    assert len(struck) == fake.logins  # one call per session, each refused, nothing else sent
    assert methods(fake).count("core/search_item") == fake.logins


def test_error_1011_in_an_open_hook_does_not_log_in_from_inside_the_login(fake: FakeWialon, mode: str) -> None:
    # The hook's own call finds its new session invalid: the hook fails, the half-open session is
    # dropped, and the waiting call logs in afresh (as with error 1).
    struck = answer_1011(fake, 1, svc="core/update_data_flags")
    with connect(fake, mode, max_retries=0) as w:
        w.on_session_open(lambda client, login: client.core.update_data_flags(spec=REGISTER))
        assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
    assert struck == [1]
    assert methods(fake) == [
        "token/login",
        "core/update_data_flags",  # error 1011
        "core/logout",
        "token/login",
        "core/update_data_flags",
        "core/search_item",
        "core/logout",
    ]


async def test_async_error_1011_logs_in_again_once_and_replays(fake: FakeWialon, mode: str) -> None:
    opened: list[str] = []
    async with aconnect(fake, mode, max_retries=0) as w:

        @w.on_session_open
        async def registered(client: AsyncWialon, login: LoginResponse) -> None:
            opened.append(login.eid)
            await client.core.update_data_flags(spec=REGISTER)

        await w.core.search_item(id=UNIT, flags=1)
        struck = answer_1011(fake, 1)
        assert (await w.core.search_item(id=UNIT, flags=1)).item.id == UNIT
    assert struck == [1]
    assert len(opened) == 2
    assert fake.logins == 2
    assert in_session(fake, 1) == ["core/update_data_flags", "core/search_item", "core/search_item"]
    assert in_session(fake, 2) == ["core/update_data_flags", "core/search_item", "core/logout"]


async def test_async_concurrent_calls_refused_with_1011_share_one_relogin(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode, max_retries=0) as w:
        await w.core.search_item(id=UNIT, flags=1)
        struck = answer_1011(fake, 1)
        ids = [UNIT, UNIT + 1, UNIT + 2, UNIT, UNIT + 1]
        results = await asyncio.gather(*(w.core.search_item(id=i, flags=1) for i in ids))
        assert [r.item.id for r in results] == ids
    assert fake.logins == 2  # the first login and exactly one re-login for the five calls
    assert struck and set(struck) == {1}
    assert in_session(fake, 2) == ["core/search_item"] * 5 + ["core/logout"]


async def test_async_error_1011_that_persists_raises_the_typed_error(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode, max_retries=0) as w:
        answer_1011(fake, *range(1, 20))
        with pytest.raises(SessionExpiredError):
            await w.core.search_item(id=UNIT, flags=1)
    assert 2 <= fake.logins <= 4


class _Refuse1011(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers the next `times` requests to `path` with `{"error": 1011}`; passes everything else on."""

    def __init__(self, sync: httpx.BaseTransport | None, asynchronous: httpx.AsyncBaseTransport | None) -> None:
        self.sync, self.asynchronous = sync, asynchronous
        self.path = "/avl_evts"
        self.times = 0

    def _refuse(self, request: httpx.Request) -> httpx.Response | None:
        if self.times and request.url.path == self.path:
            self.times -= 1
            return httpx.Response(200, json={"error": 1011})
        return None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert self.sync is not None
        return self._refuse(request) or self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.asynchronous is not None
        return self._refuse(request) or await self.asynchronous.handle_async_request(request)


def test_a_poll_refused_with_1011_logs_in_again_and_registers_again(fake: FakeWialon, mode: str) -> None:
    inner = httpx.HTTPTransport() if mode == "http" else fake.transport()
    refuse = _Refuse1011(inner, None)
    base_url = fake.url if mode == "http" else "http://fake"
    with Wialon(token=TOKEN, base_url=base_url, http_client=httpx.Client(transport=refuse)) as w:
        poller = AvlPoller(w, sleep=lambda seconds: None)
        got: list[int] = []
        poller.on("m")(lambda event: got.append(event.i))
        poller.subscribe(REGISTER[0])
        poller.poll_once()
        refuse.times = 1
        poller.poll_once()  # 1011 -> login -> the open steps register the unit again -> poll again
        assert refuse.times == 0
        fake.push_message(UNIT, x=1.0, y=1.0)
        poller.poll_once()
    assert got == [UNIT]
    assert fake.logins == 2
    assert in_session(fake, 2)[:2] == ["core/update_data_flags", "avl_evts"]


async def test_async_a_poll_refused_with_1011_logs_in_again_and_registers_again(fake: FakeWialon, mode: str) -> None:
    inner = httpx.AsyncHTTPTransport() if mode == "http" else fake.async_transport()
    refuse = _Refuse1011(None, inner)
    base_url = fake.url if mode == "http" else "http://fake"
    async with AsyncWialon(token=TOKEN, base_url=base_url, http_client=httpx.AsyncClient(transport=refuse)) as w:
        poller = AsyncAvlPoller(w)
        got: list[int] = []
        poller.on("m")(lambda event: got.append(event.i))
        poller.subscribe(REGISTER[0])
        await poller.poll_once()
        refuse.times = 1
        await poller.poll_once()
        assert refuse.times == 0
        fake.push_message(UNIT, x=1.0, y=1.0)
        await poller.poll_once()
    assert got == [UNIT]
    assert fake.logins == 2
    assert in_session(fake, 2)[:2] == ["core/update_data_flags", "avl_evts"]
