"""Fixtures of the Wialon tests: the fake (over real HTTP or in-process) on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apiforge.testing.wialon import FakeWialon

from .support import SUB_USER, TOKEN, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def fake(mode: str, clock: ManualClock) -> Iterator[FakeWialon]:
    fake = FakeWialon(tokens={TOKEN}, sub_users={SUB_USER: 28}, clock=clock)
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake
