"""Secrets never reach logs, reprs or exception texts."""

from __future__ import annotations

import gc
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiforge.core.auth.tokens import Token
from apiforge.core.errors import APIError, TransportError
from apiforge.core.redact import (
    MASK,
    SecretHolder,
    SecretRegistry,
    mask,
    redact_text,
    register_secret,
    release_secret,
    tracked_secrets,
)


def _secret() -> str:
    return f"tok-{uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry is process-wide: each test here starts from an empty one, whatever other tests registered.
    import apiforge.core.redact as redact

    monkeypatch.setattr(redact, "_registry", SecretRegistry())


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


@pytest.mark.parametrize("length", [4, 5, 6, 7, 8, 14, 15, 16, 32, 72, 85])
def test_a_secret_of_any_length_is_masked_at_every_position(length: int) -> None:
    # The scan looks only at every K-th position of a text: each shift of the secret must still be found.
    secret = uuid.uuid4().hex * 3
    secret = secret[:length]
    register_secret(secret)
    for shift in range(20):
        text = "x" * shift + secret + "y" * (19 - shift)
        assert redact_text(text) == "x" * shift + MASK + "y" * (19 - shift), (length, shift)
    assert redact_text(secret) == MASK
    assert redact_text(secret[:-1]) == secret[:-1]  # a piece of a secret is not the secret


def test_overlapping_secrets_are_masked_as_one_span() -> None:
    first = "abcdefghijklmnop"
    second = "klmnopqrstuvwxyz"  # starts inside `first`
    register_secret(first)
    register_secret(second)
    assert redact_text(f"<{first[:10]}{second}>") == f"<{MASK}>"
    assert redact_text(f"<{first}>") == f"<{MASK}>"
    assert redact_text(f"<{second}|{first}>") == f"<{MASK}|{MASK}>"


def test_secrets_sharing_grams_are_told_apart() -> None:
    base = "0123456789abcdef0123"
    one, two = base + "one!", base + "two!"
    register_secret(one)
    register_secret(two)
    assert redact_text(f"{two} {one} {base}") == f"{MASK} {MASK} {base}"


@given(
    secrets=st.lists(st.text(alphabet="abc01 ", min_size=4, max_size=24), min_size=1, max_size=6),
    text=st.text(alphabet="abc01 x", max_size=120),
)
def test_no_character_of_a_secret_occurrence_survives(secrets: list[str], text: str) -> None:
    # Small alphabets make secrets overlap, repeat and nest: the mask must cover every occurrence.
    registry = SecretRegistry()
    for secret in secrets:
        registry.add(secret)
    spans = registry.spans(text)
    covered = {i for start, stop in spans for i in range(start, stop)}
    expected = {
        i
        for secret in secrets
        for s in range(len(text))
        if text.startswith(secret, s)
        for i in range(s, s + len(secret))
    }
    assert covered == expected
    for secret in secrets:
        assert secret not in registry.redact(text).replace(MASK, "\x00")


def test_a_secret_is_tracked_while_anyone_holds_it() -> None:
    secret = _secret()
    register_secret(secret)
    register_secret(secret)
    release_secret(secret)
    assert redact_text(secret) == MASK
    release_secret(secret)
    assert redact_text(secret) == secret
    assert tracked_secrets() == 0
    release_secret(secret)  # releasing what nobody holds is harmless
    assert tracked_secrets() == 0


def test_a_secret_with_an_owner_is_dropped_with_it() -> None:
    token = Token(_secret())
    value = token.value
    assert redact_text(value) == MASK
    del token
    gc.collect()
    assert redact_text(value) == value
    assert tracked_secrets() == 0


def test_a_holder_releases_what_it_holds() -> None:
    holder = SecretHolder()
    kept, replaced = _secret(), _secret()
    holder.hold(kept)
    holder.hold(replaced)
    register_secret(kept)  # someone else holds it too
    holder.drop(replaced)
    assert redact_text(replaced) == replaced
    holder.release_all()
    assert redact_text(kept) == MASK
    release_secret(kept)
    assert tracked_secrets() == 0
    assert "tok-" not in repr(holder)


def test_many_registrations_and_releases_leave_nothing_behind() -> None:
    values = [_secret() * 2 for _ in range(2000)]
    for value in values:
        register_secret(value)
    text = " ".join(values[::100])
    assert redact_text(text) == " ".join([MASK] * 20)
    for value in values:
        release_secret(value)
    assert tracked_secrets() == 0
    assert redact_text(text) == text
    import apiforge.core.redact as redact

    assert all(not index for index in redact._registry._index.values())


def test_a_finalizer_run_inside_the_registry_lock_does_not_deadlock() -> None:
    # The garbage collector may run a Token's finalizer in a thread that holds the registry's lock
    # (any allocation in `add` can trigger a collection): the release must not wait for that lock.
    import threading

    import apiforge.core.redact as redact

    token = Token(_secret())
    value = token.value
    done = threading.Event()

    def collect_inside_the_lock() -> None:
        nonlocal token
        with redact._registry._lock:
            del token
            gc.collect()
        done.set()

    worker = threading.Thread(target=collect_inside_the_lock, daemon=True)
    worker.start()
    assert done.wait(60), "the release waited for a lock its own thread holds"
    assert redact_text(value) == value
    assert tracked_secrets() == 0
