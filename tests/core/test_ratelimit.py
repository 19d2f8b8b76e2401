"""Sliding-window limits with a fake clock: how long each call is told to wait (nothing sleeps)."""

from __future__ import annotations

import pytest

from apiforge.core.ratelimit import LocalBackend, RateLimiter, Window


def drive(limiter: RateLimiter, count: int, *, key: str = "k", start: float = 0.0) -> list[float]:
    """Send `count` calls back to back, each at the time the limiter allows; return the send times."""
    now = start
    times = []
    for _ in range(count):
        now += limiter.reserve(key, now)
        times.append(now)
    return times


def test_three_per_second_the_fourth_waits_for_the_window() -> None:
    limiter = RateLimiter.per_second(3)
    assert [limiter.reserve("k", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    # No second may hold a fourth request: the next one goes a whole window after the first.
    assert limiter.reserve("k", 0.0) == pytest.approx(1.0)
    # Callers queue: the next three share that slot's window, the seventh waits another second.
    assert [limiter.reserve("k", 0.0) for _ in range(2)] == [pytest.approx(1.0)] * 2
    assert limiter.reserve("k", 0.0) == pytest.approx(2.0)


def test_time_frees_the_window() -> None:
    limiter = RateLimiter.per_second(3)
    for _ in range(3):
        limiter.reserve("k", 0.0)
    assert limiter.reserve("k", 1.0) == 0.0
    assert limiter.reserve("k", 10.0) == 0.0
    # An idle limiter never allows more than the limit in one window.
    assert [limiter.reserve("k", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve("k", 100.0) == pytest.approx(1.0)


def _max_in_any_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for u in times if t <= u < t + seconds - 1e-9) for t in times)


def test_steady_rate_never_exceeds_the_limit() -> None:
    times = drive(RateLimiter.per_second(3), 30)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[-1] == pytest.approx(9.0)
    assert _max_in_any_window(times, 1.0) == 3


def test_keys_are_independent() -> None:
    limiter = RateLimiter.per_second(1)
    assert limiter.reserve("a", 0.0) == 0.0
    assert limiter.reserve("b", 0.0) == 0.0
    assert limiter.reserve("a", 0.0) == pytest.approx(1.0)


def test_rate_override_applies_to_the_first_window() -> None:
    limiter = RateLimiter.per_second(3)
    waits = [limiter.reserve("g", 0.0, rate=20) for _ in range(21)]
    assert waits[:20] == [0.0] * 20
    assert waits[20] == pytest.approx(1.0)


def test_fractional_rate_means_one_per_longer_window() -> None:
    limiter = RateLimiter.per_second(0.5)
    assert limiter.reserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == pytest.approx(2.0)
    assert Window(2.5).normalized() == (2, pytest.approx(0.8))


def test_five_per_second_and_two_hundred_per_minute() -> None:
    limiter = RateLimiter([Window(5), Window(200, 60)])
    times = drive(limiter, 1000)
    assert times[:5] == [0.0] * 5
    assert times[5] == pytest.approx(1.0)
    # Both limits hold in every window, from the very first minute on.
    assert _max_in_any_window(times, 1.0) == 5
    assert _max_in_any_window(times, 60.0) == 200
    assert times[200] == pytest.approx(60.0)


def test_the_slowest_window_decides() -> None:
    limiter = RateLimiter([Window(100), Window(2, 10)])
    assert limiter.reserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == pytest.approx(10.0)


def test_a_shared_backend_sees_every_limiter() -> None:
    backend = LocalBackend()
    one, two = RateLimiter.per_second(1, backend), RateLimiter.per_second(1, backend)
    assert one.reserve("k", 0.0) == 0.0
    assert two.reserve("k", 0.0) == pytest.approx(1.0)


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter.per_second(0).reserve("k", 0.0)
