"""Helpers of the Wialon tests: clients bound to the fake, a manual clock."""

from __future__ import annotations

from typing import Any

import httpx

from apiforge.testing.wialon import DEFAULT_TOKEN, FakeWialon
from apiforge.wialon import AsyncWialon, Wialon

TOKEN = DEFAULT_TOKEN
UNIT = 734455
SUB_USER = "dispatcher"


class ManualClock:
    """A clock that moves only when told: session expiry and poll intervals without sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def connect(fake: FakeWialon, mode: str, **options: Any) -> Wialon:
    """A sync client of `fake`: over HTTP, or through the in-process transport."""
    options.setdefault("token", TOKEN)
    if mode == "http":
        return Wialon(base_url=fake.url, **options)
    return Wialon(base_url="http://fake", http_client=httpx.Client(transport=fake.transport()), **options)


def aconnect(fake: FakeWialon, mode: str, **options: Any) -> AsyncWialon:
    """An async client of `fake`: over HTTP, or through the in-process transport."""
    options.setdefault("token", TOKEN)
    if mode == "http":
        return AsyncWialon(base_url=fake.url, **options)
    return AsyncWialon(
        base_url="http://fake", http_client=httpx.AsyncClient(transport=fake.async_transport()), **options
    )


def methods(fake: FakeWialon) -> list[str]:
    """The services the fake received, in order (logins, calls, event polls)."""
    return [call.method for call in fake.calls]


def only_sid(fake: FakeWialon) -> str:
    (sid,) = fake.sessions
    return sid
