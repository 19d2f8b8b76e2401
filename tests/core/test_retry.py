"""RetryPolicy: environment defaults, backoff, Retry-After, and which failures are retried."""

from __future__ import annotations

import email.utils
import random

import pytest

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
