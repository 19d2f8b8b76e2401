"""A session that expires under load: one re-login, no call without a session id, no call lost.

200 concurrent async calls (and 30 threads of a sync client) run into a session the server has
ended, then into more expiries while they are being served. Counted at the server (FakeWialon
over real HTTP on 127.0.0.1): the `token/login` calls, the requests that went out without a
session id, the sessions left open, the requests sent in a session that had already ended; and
at the client, the calls that failed and the semaphores its driver still keeps.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

from apiforge.core.errors import APIForgeError
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon

from .support import TOKEN, UNIT

CONCURRENT_CALLS = 200
THREADS = 30
CALLS_PER_THREAD = 7
LATER_EXPIRIES = (50, 100, 150)
"""Answered calls after which the server ends the session again, while the burst is being served."""
NO_SESSION = frozenset({"token/login", "core/use_auth_hash"})
MAX_IN_FLIGHT = 10  # Wialon's per-session limit, which the client keeps


class ExpiringWialon(FakeWialon):
    """A FakeWialon that ends every session once it has answered so many calls in live sessions."""

    def __init__(self, expire_after: Iterable[int] = (), **options: Any) -> None:
        super().__init__(tokens={TOKEN}, **options)
        self.expire_after = sorted(expire_after)
        self.expiries = 0
        self.dead_session_answers = 0
        """Requests answered error 1: they carried the id of a session that had ended, or none."""

    def answer(self, svc: str, params: dict[str, Any], sid: str | None) -> object:
        result = super().answer(svc, params, sid)
        if result == {"error": 1}:
            self.dead_session_answers += 1
        if self.expire_after and len(self.served) >= self.expire_after[0]:
            self.expire_after.pop(0)
            self.sessions.clear()
            self.expiries += 1
        return result

    def sidless_requests(self) -> int:
        """Requests for services that need a session which carried no session id."""
        with self.lock:
            return sum(1 for call in self.calls if call.method not in NO_SESSION and "sid" not in call.params)


async def _async_burst(fake: ExpiringWialon) -> tuple[list[BaseException], int, list[str]]:
    async with AsyncWialon(token=TOKEN, base_url=fake.url) as w:
        await w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()
        results = await asyncio.gather(
            *(w.core.search_item(id=UNIT, flags=1) for _ in range(CONCURRENT_CALLS)), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        assert all(r.item.id == UNIT for r in results if not isinstance(r, BaseException))
        open_sessions = len(fake.sessions)
        semaphores = w._driver.semaphores.names()
    return failed, open_sessions, semaphores


def _sync_burst(fake: ExpiringWialon) -> tuple[list[BaseException], int, list[str]]:
    failed: list[BaseException] = []
    with Wialon(token=TOKEN, base_url=fake.url) as w:
        w.core.search_item(id=UNIT, flags=1)
        fake.expire_session()
        start = threading.Barrier(THREADS)

        def work() -> None:
            start.wait()
            for _ in range(CALLS_PER_THREAD):
                try:
                    assert w.core.search_item(id=UNIT, flags=1).item.id == UNIT
                except APIForgeError as error:
                    failed.append(error)

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)
        open_sessions = len(fake.sessions)
        semaphores = w._driver.semaphores.names()
    return failed, open_sessions, semaphores


def _check(fake: ExpiringWialon, failed: list[BaseException], open_sessions: int, semaphores: list[str]) -> None:
    expiries = 1 + fake.expiries  # the one before the burst, and those during it
    assert failed == []
    assert fake.logins == 1 + expiries  # the first login, then exactly one per expiry
    assert fake.sidless_requests() == 0
    assert open_sessions == 1  # while the client is open; it logs out on close
    assert fake.sessions == {}
    # Only requests in flight when a session ended went out in it (up to 10), and those that took
    # the slot of an answer that came back before the expiry but was read after it (up to 10 more):
    # the calls waiting for slots of the dead session (190 at the first expiry) waited for the new one.
    assert fake.dead_session_answers <= 2 * MAX_IN_FLIGHT * expiries
    assert semaphores == []  # the semaphores of ended sessions are gone (and nobody holds a slot)


async def test_200_concurrent_calls_after_an_expiry_make_one_login() -> None:
    with ExpiringWialon() as fake:
        failed, open_sessions, semaphores = await _async_burst(fake)
    _check(fake, failed, open_sessions, semaphores)
    assert fake.logins == 2


async def test_200_concurrent_calls_ride_out_repeated_expiries() -> None:
    with ExpiringWialon(LATER_EXPIRIES) as fake:
        failed, open_sessions, semaphores = await _async_burst(fake)
    assert fake.expiries == len(LATER_EXPIRIES)
    _check(fake, failed, open_sessions, semaphores)


def test_30_threads_after_an_expiry_make_one_login() -> None:
    with ExpiringWialon() as fake:
        failed, open_sessions, semaphores = _sync_burst(fake)
    _check(fake, failed, open_sessions, semaphores)
    assert fake.logins == 2


def test_30_threads_ride_out_repeated_expiries() -> None:
    with ExpiringWialon(LATER_EXPIRIES) as fake:
        failed, open_sessions, semaphores = _sync_burst(fake)
    assert fake.expiries == len(LATER_EXPIRIES)
    _check(fake, failed, open_sessions, semaphores)
