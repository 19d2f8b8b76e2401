"""Batching: 100 VK calls under VK's 3 requests/s limit for user tokens, three ways.

- sequential: 100 `vk.users.get` calls, one request each;
- `vk.batch()`: the same calls queued and sent as `execute` requests of up to 25 calls;
- `AsyncVK.enable_auto_batch(window=...)`: 100 concurrent `await vk.users.get(...)`, coalesced.

The limiter is the client's own (the default 3/s of a user token). It runs on a fake clock that
moves only when the driver sleeps (`Policy(clock=...)` and the driver's `sleep`), so the run
takes well under a second of real time and reports two figures: the *simulated* seconds the
limiter made the calls wait (what the wall time against api.vk.com would be, give or take the
network), and the real seconds spent here. The server is FakeVK over real HTTP on 127.0.0.1,
which counts the requests it received (the floor: ceil(100 / 25) = 4).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import attrs

from bench import payloads

CALLS = 100
WINDOW = 0.01


class FakeClock:
    """A monotonic clock that moves only when the client sleeps; records the sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # still a suspension point: other tasks run (and join an auto-batch window)


@attrs.frozen
class Result:
    """One way of making the calls: requests the server saw, simulated and real seconds."""

    name: str
    requests: int
    simulated: float
    real: float
    results: int


def _on_clock(client: Any, clock: FakeClock, *, is_async: bool) -> None:
    # Reaches into the client, as tests/resilience does: the public constructor takes no clock yet.
    client._policy = attrs.evolve(client._policy, clock=clock)
    client._driver.sleep = clock.async_sleep if is_async else clock.sleep


def _ids() -> list[int]:
    users = payloads.vk_user_ids()
    return [users[i % len(users)] for i in range(CALLS)]


def _sequential(url: str, clock: FakeClock) -> int:
    from apiforge.vk import VK

    with VK(payloads.VK_TOKEN, base_url=url) as vk:
        _on_clock(vk, clock, is_async=False)
        return len([vk.users.get(user_ids=[user]) for user in _ids()])


def _batch(url: str, clock: FakeClock) -> int:
    from apiforge.vk import VK

    with VK(payloads.VK_TOKEN, base_url=url) as vk:
        _on_clock(vk, clock, is_async=False)
        with vk.batch() as b:
            pending = [b.users.get(user_ids=[user]) for user in _ids()]
        return len([p.result() for p in pending])


def _auto_batch(url: str, clock: FakeClock) -> int:
    from apiforge.vk import AsyncVK

    async def main() -> int:
        async with AsyncVK(payloads.VK_TOKEN, base_url=url) as vk:
            _on_clock(vk, clock, is_async=True)
            vk.enable_auto_batch(window=WINDOW)
            answers = await asyncio.gather(*(vk.users.get(user_ids=[user]) for user in _ids()))
            return len(answers)

    return asyncio.run(main())


WAYS: dict[str, Callable[[str, FakeClock], int]] = {
    "sequential": _sequential,
    "vk.batch()": _batch,
    f"AsyncVK auto-batch (window {WINDOW * 1000:g} ms)": _auto_batch,
}


def run() -> list[Result]:
    """Make the 100 calls each way against a fresh FakeVK."""
    from bench.servers import make_fake

    results: list[Result] = []
    for name, way in WAYS.items():
        clock = FakeClock()
        with make_fake("vk") as fake:
            started = time.perf_counter()
            made = way(fake.url, clock)
            real = time.perf_counter() - started
            results.append(Result(name, len(fake.calls), clock.slept, real, made))
    return results
