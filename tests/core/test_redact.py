"""Secrets never reach logs, reprs or exception texts."""

from __future__ import annotations

import uuid

import pytest

from apiforge.core.errors import APIError, TransportError
from apiforge.core.redact import MASK, mask, redact_text, register_secret


def _secret() -> str:
    return f"tok-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry is process-wide: each test here starts from an empty one, whatever other tests registered.
    import apiforge.core.redact as redact

    monkeypatch.setattr(redact, "_secrets", set())
    monkeypatch.setattr(redact, "_pattern", None)


def test_registered_secrets_are_masked_anywhere() -> None:
    secret = _secret()
    assert redact_text(f"before {secret} after") == f"before {secret} after"
    register_secret(secret)
    assert redact_text(f"before {secret} after {secret}") == f"before {MASK} after {MASK}"
    assert redact_text(f"https://x/?q={secret}x") == f"https://x/?q={MASK}x"


def test_longer_secrets_win_over_their_prefixes() -> None:
    short = _secret()
    long = short + "-extended"
    register_secret(short)
    register_secret(long)
    assert redact_text(long) == MASK


def test_tiny_and_empty_secrets_are_ignored() -> None:
    register_secret("ab")
    register_secret("")
    register_secret(None)
    assert redact_text("ab cab") == "ab cab"


def test_keyed_values_are_masked_without_registration() -> None:
    text = "POST /method/users.get?access_token=abc123&v=5.199"
    assert redact_text(text) == f"POST /method/users.get?access_token={MASK}&v=5.199"
    assert redact_text('{"password": "hunter22", "login": "me"}') == f'{{"password": "{MASK}", "login": "me"}}'
    assert redact_text("sid=0123abcd eid: 'zz99'") == f"sid={MASK} eid: '{MASK}'"
    assert redact_text("user_token=U1, partner=p") == f"user_token={MASK}, partner=p"


def test_nothing_to_mask() -> None:
    assert redact_text("plain text, no secrets") == "plain text, no secrets"


def test_mask_never_shows_the_value() -> None:
    assert mask("abc") == MASK
    assert mask(None) == "None"


def test_errors_redact_their_text() -> None:
    secret = _secret()
    register_secret(secret)
    error = APIError("users.get", 5, f"bad token {secret}")
    assert secret not in str(error)
    assert secret not in repr(error)
    transport = TransportError("users.get", f"connect to https://x/?access_token={secret} failed", sent=False)
    assert secret not in str(transport)
