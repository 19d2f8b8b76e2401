"""RetryPolicy: environment defaults, backoff, Retry-After, and which failures are retried."""

from __future__ import annotations

import email.utils
import random

import pytest

from apiforge.core.client import make_retry
from apiforge.core.errors import APIError, ConfigurationError, DecodeError, HTTPStatusError, TransportError
from apiforge.core.retry import RetryPolicy, classify, retry_after_seconds

ENV = ("APIFORGE_MAX_RETRIES", "APIFORGE_BACKOFF_BASE", "APIFORGE_BACKOFF_MAX", "APIFORGE_RETRY_JITTER")


class FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_environment() -> None:
    assert RetryPolicy.from_env() == RetryPolicy()


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "7")
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "0.25")
    monkeypatch.setenv("APIFORGE_BACKOFF_MAX", "4")
    monkeypatch.setenv("APIFORGE_RETRY_JITTER", "0")
    policy = RetryPolicy.from_env()
    assert (policy.max_retries, policy.backoff_base, policy.backoff_max, policy.jitter) == (7, 0.25, 4.0, 0.0)


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "7")
    assert RetryPolicy.from_env(max_retries=1).max_retries == 1
    assert RetryPolicy.from_env(max_retries=None).max_retries == 7
    assert RetryPolicy.from_env(max_retries=0).max_retries == 0


def test_empty_variable_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_BACKOFF_BASE", "")
    assert RetryPolicy.from_env().backoff_base == RetryPolicy().backoff_base


def test_bad_variable_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_MAX_RETRIES", "lots")
    with pytest.raises(ValueError, match="APIFORGE_MAX_RETRIES"):
        RetryPolicy.from_env()


def test_a_policy_knows_the_settings_it_was_given() -> None:
    assert RetryPolicy().given == frozenset()
    assert RetryPolicy(max_retries=3, deadline=None).given == {"max_retries", "deadline"}
    # Given its default value, a setting is still given (it overrides what lies below); equality is by value.
    assert RetryPolicy(max_retries=3) == RetryPolicy()
    assert "given" not in repr(RetryPolicy(jitter=0))


def test_settings_are_keyword_only_and_checked() -> None:
    with pytest.raises(TypeError):
        RetryPolicy(3)  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"RetryPolicy: backoff_max must be a number >= 0, got -1"):
        RetryPolicy(backoff_max=-1)
    with pytest.raises(ValueError, match=r"RetryPolicy: jitter must be from 0 to 1, got 2"):
        RetryPolicy(jitter=2)


def test_merge_takes_only_the_settings_the_override_was_given() -> None:
    base = RetryPolicy(max_retries=8, backoff_base=2.0)
    merged = base.merge(RetryPolicy(max_retries=3, deadline=None))
    assert merged == RetryPolicy(max_retries=3, backoff_base=2.0, deadline=None)
    assert merged.given == {"max_retries", "backoff_base", "deadline"}
    assert base.merge(None) is base
    assert base.merge(RetryPolicy()) is base


def test_from_env_gives_what_the_environment_and_the_overrides_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APIFORGE_BACKOFF_MAX", "4")
    policy = RetryPolicy.from_env(jitter=0, max_retries=None)
    assert policy == RetryPolicy(backoff_max=4, jitter=0)
    assert policy.given == {"backoff_max", "jitter"}
    # Layered over a client's policy, it leaves the client's other settings alone.
    assert RetryPolicy(max_retries=9).merge(policy) == RetryPolicy(max_retries=9, backoff_max=4, jitter=0)


def test_make_retry_puts_the_shorthands_on_top() -> None:
    base = RetryPolicy(max_retries=5, backoff_base=2)
    assert make_retry(base) is base
    assert make_retry(base, RetryPolicy(max_retries=2, deadline=5)) == RetryPolicy(
        max_retries=2, backoff_base=2, deadline=5
    )
    layered = make_retry(base, RetryPolicy(max_retries=2, deadline=5), max_retries=6, deadline=None)
    assert layered == RetryPolicy(max_retries=6, backoff_base=2, deadline=None)
    # max_retries=None means "not given"; deadline=None means "no deadline".
    assert make_retry(base, max_retries=None).max_retries == 5


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=3.0, jitter=0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize(("u", "factor"), [(0.0, 0.5), (0.5, 1.0), (0.999999, 1.5)])
def test_jitter_bounds(u: float, factor: float) -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=30, jitter=0.5)
    assert policy.backoff(3, FixedRandom(u)) == pytest.approx(4.0 * factor, rel=1e-5)


def test_jitter_stays_in_range() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0, jitter=0.3)
    rng = random.Random(1234)
    for n in range(1, 10):
        nominal = min(8.0, 2 ** (n - 1))
        for _ in range(50):
            assert nominal * 0.7 <= policy.backoff(n, rng) <= nominal * 1.3


def _api_error(**details: object) -> APIError:
    return APIError("m", 429, "slow down", **details)


def test_retry_after_seconds() -> None:
    assert retry_after_seconds(_api_error(retry_after="5")) == 5.0
    assert retry_after_seconds(_api_error(retry_after=2.5)) == 2.5
    assert retry_after_seconds(_api_error(retry_after="-3")) == 0.0
    assert retry_after_seconds(_api_error()) is None
    assert retry_after_seconds(_api_error(retry_after="soon")) is None
    assert retry_after_seconds(TransportError("m", "reset", sent=False)) is None


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds(_api_error(retry_after=header), now=now) == pytest.approx(30.0)
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert retry_after_seconds(_api_error(retry_after=past), now=now) == 0.0


def test_delay_honours_retry_after_capped() -> None:
    policy = RetryPolicy(backoff_base=0.5, jitter=0, retry_after_cap=10)
    wait = policy.delay(_api_error(retry_after="7"), retry_number=1, idempotent=False, verdict="rejected", elapsed=0)
    assert wait == 7.0
    wait = policy.delay(_api_error(retry_after="600"), retry_number=1, idempotent=False, verdict="rejected", elapsed=0)
    assert wait == 10.0
    # A Retry-After shorter than the backoff does not shorten it.
    wait = policy.delay(_api_error(retry_after="0"), retry_number=3, idempotent=False, verdict="rejected", elapsed=0)
    assert wait == 2.0


def test_delay_stops_after_max_retries_and_at_the_deadline() -> None:
    policy = RetryPolicy(max_retries=2, backoff_base=1, jitter=0, deadline=10)
    error = TransportError("m", "reset", sent=False)
    assert policy.delay(error, retry_number=2, idempotent=False, verdict=None, elapsed=0) == 2.0
    assert policy.delay(error, retry_number=3, idempotent=False, verdict=None, elapsed=0) is None
    assert policy.delay(error, retry_number=1, idempotent=False, verdict=None, elapsed=9.5) is None
    assert RetryPolicy(max_retries=0).delay(error, retry_number=1, idempotent=True, verdict=None, elapsed=0) is None
    no_deadline = RetryPolicy(backoff_base=1, jitter=0, deadline=None)
    assert no_deadline.delay(error, retry_number=1, idempotent=False, verdict=None, elapsed=1e9) == 1.0


def test_delay_none_when_not_retryable() -> None:
    policy = RetryPolicy()
    error = TransportError("m", "reset", sent=True)
    assert policy.delay(error, retry_number=1, idempotent=False, verdict=None, elapsed=0) is None


@pytest.mark.parametrize(
    ("sent", "idempotent", "expected"),
    [(False, False, True), (False, True, True), (True, True, True), (True, False, False)],
)
def test_classify_transport(sent: bool, idempotent: bool, expected: bool) -> None:
    assert classify(TransportError("m", "x", sent=sent), idempotent=idempotent, verdict=None) is expected


@pytest.mark.parametrize(
    ("status", "idempotent", "expected"),
    [
        (429, False, True),
        (429, True, True),
        (500, True, True),
        (503, False, False),
        (404, True, False),
        (400, False, False),
    ],
)
def test_classify_http_status(status: int, idempotent: bool, expected: bool) -> None:
    assert classify(HTTPStatusError("m", status, ""), idempotent=idempotent, verdict=None) is expected


@pytest.mark.parametrize(
    ("verdict", "idempotent", "expected"),
    [
        ("rejected", False, True),
        ("rejected", True, True),
        ("transient", True, True),
        ("transient", False, False),
        (None, True, False),
    ],
)
def test_classify_api_error(verdict: str | None, idempotent: bool, expected: bool) -> None:
    assert classify(APIError("m", 1, "x"), idempotent=idempotent, verdict=verdict) is expected  # type: ignore[arg-type]


def test_classify_never_retries_local_errors() -> None:
    assert not classify(ConfigurationError("no token"), idempotent=True, verdict="rejected")
    assert not classify(DecodeError("m", "$", 1, "bad"), idempotent=True, verdict="rejected")


def test_retry_after_of_a_bare_http_error() -> None:
    # A 429 or 503 with no API envelope still carries the header's delay.
    assert retry_after_seconds(HTTPStatusError("m", 429, "", retry_after="7")) == 7.0
    assert retry_after_seconds(HTTPStatusError("m", 503, "")) is None
