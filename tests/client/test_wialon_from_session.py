"""`Wialon.from_session(sid=...)`: join a session opened elsewhere; no login, no logout unless asked."""

from __future__ import annotations

import httpx
import pytest

from apiforge.core.errors import ConfigurationError
from apiforge.testing import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon


def open_session(fake: FakeWialon) -> str:
    """A session another process opened: a token/login made directly over HTTP."""
    answer = httpx.post(
        f"{fake.url}/wialon/ajax.html", data={"svc": "token/login", "params": f'{{"token":"{fake.token}"}}'}
    )
    sid: str = answer.json()["eid"]
    return sid


def test_joins_the_session_without_login_and_leaves_it_open() -> None:
    with FakeWialon() as fake:
        sid = open_session(fake)
        fake.reset_calls()
        with Wialon.from_session(sid, base_url=fake.url) as w:
            w.core.search_item(id=next(iter(fake.units)), flags=1)
            assert sid not in repr(w)
        assert [c.method for c in fake.calls] == ["core/search_item"]  # no token/login, no core/logout
        assert sid in fake.sessions


def test_logout_on_close_when_asked() -> None:
    with FakeWialon() as fake:
        sid = open_session(fake)
        fake.reset_calls()
        with Wialon.from_session(sid, base_url=fake.url, logout_on_close=True) as w:
            w.core.search_item(id=next(iter(fake.units)), flags=1)
        assert [c.method for c in fake.calls] == ["core/search_item", "core/logout"]
        assert sid not in fake.sessions


def test_an_expired_adopted_session_without_a_token_is_a_clear_error() -> None:
    with FakeWialon() as fake:
        sid = open_session(fake)
        with Wialon.from_session(sid, base_url=fake.url) as w:
            fake.expire_session(sid)
            with pytest.raises(ConfigurationError, match="adopted Wialon session has ended"):
                w.core.search_item(id=next(iter(fake.units)), flags=1)


async def test_async_with_a_token_logs_in_after_expiry_and_logs_that_session_out() -> None:
    with FakeWialon() as fake:
        sid = open_session(fake)
        fake.reset_calls()
        async with AsyncWialon.from_session(sid, base_url=fake.url, token=fake.token) as w:
            await w.core.search_item(id=next(iter(fake.units)), flags=1)
            fake.expire_session(sid)
            await w.core.search_item(id=next(iter(fake.units)), flags=1)
        methods = [c.method for c in fake.calls]
        assert methods == ["core/search_item", "core/search_item", "token/login", "core/search_item", "core/logout"]
        assert fake.sessions == {}  # its own session (the new one) was logged out; the adopted one had expired
