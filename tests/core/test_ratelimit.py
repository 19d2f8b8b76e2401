"""Sliding-window limits with spacing and a margin, on a fake clock: how long each call is told to wait."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiforge.core.ratelimit import LocalBackend, RateLimiter, Window, next_slot, spacing
from apiforge.testing.ratelimits import busiest


def drive(limiter: RateLimiter, count: int, *, key: str = "k", start: float = 0.0) -> list[float]:
    """Send `count` calls back to back, each at the time the limiter allows; return the send times."""
    now = start
    times = []
    for _ in range(count):
        now += limiter.reserve(key, now)
        times.append(now)
    return times


def test_requests_are_spaced_never_booked_for_one_instant() -> None:
    limiter = RateLimiter.per_second(3)  # 3 per 1.1 s with the default margin
    waits = [limiter.reserve("k", 0.0) for _ in range(4)]
    assert waits == [0.0, pytest.approx(1.1 / 3), pytest.approx(2.2 / 3), pytest.approx(1.1)]


def test_without_a_margin_the_spacing_is_the_window_over_the_limit() -> None:
    limiter = RateLimiter.per_second(4, margin=0)
    assert [limiter.reserve("k", 0.0) for _ in range(5)] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_time_frees_the_window() -> None:
    limiter = RateLimiter.per_second(3)
    for _ in range(3):
        limiter.reserve("k", 0.0)
    assert limiter.reserve("k", 1.1) == 0.0
    assert limiter.reserve("k", 10.0) == 0.0
    assert limiter.reserve("k", 10.0) == pytest.approx(1.1 / 3)


def test_steady_rate_never_exceeds_the_limit() -> None:
    times = drive(RateLimiter.per_second(3), 30)
    assert times[-1] == pytest.approx(29 * 1.1 / 3)
    assert busiest(times, 1.1 - 1e-9) == 3


def test_keys_are_independent() -> None:
    limiter = RateLimiter.per_second(1)
    assert limiter.reserve("a", 0.0) == 0.0
    assert limiter.reserve("b", 0.0) == 0.0
    assert limiter.reserve("a", 0.0) == pytest.approx(1.1)


def test_rate_override_applies_to_the_first_window() -> None:
    limiter = RateLimiter.per_second(3)
    waits = [limiter.reserve("g", 0.0, rate=20) for _ in range(21)]
    assert waits[1] == pytest.approx(1.1 / 20)
    assert waits[20] == pytest.approx(1.1)


def test_fractional_rate_means_one_per_longer_window() -> None:
    limiter = RateLimiter.per_second(0.5)
    assert limiter.reserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == pytest.approx(2.1)
    assert Window(2.5).normalized() == (2, pytest.approx(0.8))


def test_five_per_second_and_two_hundred_per_minute() -> None:
    limiter = RateLimiter([Window(5), Window(200, 60)])
    times = drive(limiter, 1000)
    assert times[:2] == [0.0, pytest.approx(0.22)]  # spaced at the per-second window's pace
    # Both limits hold in every window, margin included, from the very first minute on.
    assert busiest(times, 1.1 - 1e-9) == 5
    assert busiest(times, 60.1 - 1e-9) == 200
    assert times[200] == pytest.approx(60.1)  # the 201st waits a whole minute (and the margin) after the 1st


def test_the_slowest_window_decides() -> None:
    limiter = RateLimiter([Window(100), Window(2, 10)])
    assert limiter.reserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == pytest.approx(0.011)
    assert limiter.reserve("k", 0.0) == pytest.approx(10.1)


def test_a_shared_backend_sees_every_limiter() -> None:
    backend = LocalBackend()
    one, two = RateLimiter.per_second(1, backend), RateLimiter.per_second(1, backend)
    assert one.reserve("k", 0.0) == 0.0
    assert two.reserve("k", 0.0) == pytest.approx(1.1)


async def test_the_async_reservation_books_in_the_same_schedule() -> None:
    limiter = RateLimiter.per_second(2, margin=0)
    assert await limiter.areserve("k", 0.0) == 0.0
    assert limiter.reserve("k", 0.0) == 0.5
    assert await limiter.areserve("k", 0.0) == 1.0


def test_a_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter.per_second(0).reserve("k", 0.0)
    with pytest.raises(ValueError, match="margin must be >= 0 seconds, got -1"):
        RateLimiter.per_second(1, margin=-1)


def test_the_booking_rule() -> None:
    windows = [(5, 1.1), (200, 60.1)]
    assert spacing(windows) == pytest.approx(0.22)
    assert next_slot(3.0, None, [None, None], windows) == 3.0
    assert next_slot(3.0, 2.9, [None, None], windows) == pytest.approx(3.12)
    assert next_slot(3.0, 2.9, [2.5, None], windows) == pytest.approx(3.6)
    assert next_slot(3.0, 2.9, [2.5, 0.0], windows) == pytest.approx(60.1)


@given(
    st.sampled_from([(3, 1.0), (5, 1.0), (20, 1.0), (4, 2.0)]),
    st.lists(st.floats(0.0, 0.5), min_size=5, max_size=60),
    st.lists(st.floats(0.0, 0.0999), min_size=60, max_size=60),
)
def test_jitter_below_the_margin_never_shows_at_the_server(
    limit: tuple[int, float], gaps: list[float], jitter: list[float]
) -> None:
    # Calls come whenever they like (gaps); each reaches the server late by up to the margin (0.1 s).
    requests, seconds = limit
    limiter = RateLimiter([Window(requests, seconds)])
    now, arrivals = 0.0, []
    for gap, late in zip(gaps, jitter, strict=False):
        now += gap
        booked = now + limiter.reserve("k", now)
        arrivals.append(booked + late)
    assert busiest(arrivals, seconds) <= requests
