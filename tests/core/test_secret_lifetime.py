"""Secrets are tracked while a client, session or Token holds them, and dropped when it closes."""

from __future__ import annotations

import asyncio
import gc
import uuid

import httpx
import pytest

from apiforge.core import redact
from apiforge.core.redact import MASK, SecretRegistry, redact_text, tracked_secrets
from apiforge.testing.vk import FakeVK
from apiforge.testing.wialon import FakeWialon
from apiforge.testing.yclients import FakeYclients
from apiforge.vk import VK
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.yclients import AsyncYclients, Yclients


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redact, "_registry", SecretRegistry())


def _token(length: int = 72) -> str:
    return (uuid.uuid4().hex * 3)[:length]


def test_wialon_session_ids_are_dropped_when_sessions_end() -> None:
    tokens = [_token() for _ in range(20)]
    fake = FakeWialon(tokens=tokens)
    sids: list[str] = []
    for token in tokens:
        with Wialon(token, base_url="http://wialon.test", http_client=httpx.Client(transport=fake.transport())) as w:
            w.core.search_item(id=next(iter(fake.units)), flags=1)
            sid = w._protocol.sid  # type: ignore[attr-defined]
            assert isinstance(sid, str)
            sids.append(sid)
            assert redact_text(f"{token} {sid}") == f"{MASK} {MASK}"
            assert tracked_secrets() == 2
    assert len(set(sids)) == 20
    assert tracked_secrets() == 0
    assert redact_text(sids[0]) == sids[0]


def test_async_wialon_drops_its_secrets_on_close() -> None:
    token = _token()
    fake = FakeWialon(tokens=[token])

    async def main() -> str:
        async with AsyncWialon(
            token, base_url="http://wialon.test", http_client=httpx.AsyncClient(transport=fake.async_transport())
        ) as w:
            await w.core.search_item(id=next(iter(fake.units)), flags=1)
            sid = w._protocol.sid  # type: ignore[attr-defined]
            assert isinstance(sid, str) and redact_text(sid) == MASK
            return sid

    sid = asyncio.run(main())
    assert tracked_secrets() == 0
    assert redact_text(sid) == sid


def test_yclients_tokens_and_password_are_held_until_close() -> None:
    fake = FakeYclients(partner_tokens=["partner-token-1"])
    with Yclients(
        "partner-token-1", base_url="http://yc.test", http_client=httpx.Client(transport=fake.transport())
    ) as yc:
        yc.login("admin", "secret")
        first = yc.user_token
        assert first is not None
        assert redact_text("partner-token-1 secret " + first) == f"{MASK} {MASK} {MASK}"
        yc.login("admin", "secret")  # a new user token replaces the first
        assert yc.user_token != first
        assert redact_text(first) == first
        assert tracked_secrets() == 3  # partner token, password, the current user token
    assert tracked_secrets() == 0


def test_async_yclients_drops_its_secrets_on_close() -> None:
    fake = FakeYclients(partner_tokens=["partner-token-2"])

    async def main() -> None:
        async with AsyncYclients(
            "partner-token-2",
            "user-token-22",
            base_url="http://yc.test",
            http_client=httpx.AsyncClient(transport=fake.async_transport()),
        ):
            assert redact_text("partner-token-2 user-token-22") == f"{MASK} {MASK}"

    asyncio.run(main())
    assert tracked_secrets() == 0


def test_vk_tokens_are_dropped_with_their_client() -> None:
    values = [_token(85) for _ in range(50)]
    fake = FakeVK(tokens=values)
    for value in values:
        with VK(value, base_url="http://vk.test", http_client=httpx.Client(transport=fake.transport())) as vk:
            vk.users.get(user_ids=[1])
            assert redact_text(value) == MASK
        del vk
    gc.collect()
    assert tracked_secrets() == 0


def test_a_secret_two_clients_share_stays_masked_until_both_close() -> None:
    fake = FakeYclients(partner_tokens=["shared-partner"])
    one = Yclients("shared-partner", base_url="http://yc.test", http_client=httpx.Client(transport=fake.transport()))
    two = Yclients("shared-partner", base_url="http://yc.test", http_client=httpx.Client(transport=fake.transport()))
    one.close()
    assert redact_text("shared-partner") == MASK
    two.close()
    assert redact_text("shared-partner") == "shared-partner"
