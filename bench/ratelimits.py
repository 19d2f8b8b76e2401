"""Rate limits as the server sees them: long runs of many callers against the fakes, over real HTTP.

    python -m bench.ratelimits                 # 75 s per run, 8 runs (about 11 minutes)
    python -m bench.ratelimits --seconds 10    # shorter

Each run puts 20 async callers (one AsyncClient) or 8 threads (one Client) on one token for
`--seconds`, with the clients' default retries, against a fake that stamps every request on its own
clock and enforces the published limit. It prints the busiest 1 s (and 60 s) at the server, how many
requests the fake refused (429 / VK error 6) and how many errors reached a caller, for:

- "before": the limiter as it was (a window's worth booked for one instant; no margin for
  YCLIENTS, a 1.1 s window for VK), rebuilt here as `BurstBackend` for the comparison;
- "after": the clients' default limiter (spaced, a 0.1 s margin, late turns booked again), or the
  same with `--margin` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from apiforge.core import DEFAULT, APIError, RateLimiter, VKRateLimiter, Window
from apiforge.testing.ratelimits import Arrivals
from apiforge.testing.vk import FakeVK
from apiforge.testing.yclients import FakeYclients
from apiforge.vk import VK, AsyncVK
from apiforge.yclients import AsyncYclients, Yclients

PARTNER = "bench-partner-token"
GROUP = "bench-group-token"


class BurstBackend:
    """The booking before the fix: `limit` requests at one instant, the next a whole window after the first."""

    def __init__(self) -> None:
        self._schedules: dict[tuple[str, int, float], deque[float]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, windows: Sequence[tuple[int, float]], now: float) -> float:
        with self._lock:
            logs, start = [], now
            for limit, seconds in windows:
                booked = self._schedules.setdefault((key, limit, seconds), deque(maxlen=limit))
                logs.append(booked)
                if len(booked) == limit:
                    start = max(start, booked[0] + seconds)
            for booked in logs:
                booked.append(start)
            return start - now


def limiter(api: str, algorithm: str, margin: float | None = None) -> Any:
    if algorithm == "after":
        if margin is None:
            return DEFAULT
        if api == "yclients":
            return RateLimiter([Window(5), Window(200, 60)], margin=margin)
        return VKRateLimiter({"group": 20}, margin=margin)
    if api == "yclients":
        return RateLimiter([Window(5), Window(200, 60)], BurstBackend(), margin=0)
    return RateLimiter([Window(20, 1.1)], BurstBackend(), margin=0)


def run(api: str, mode: str, algorithm: str, seconds: float, margin: float | None = None) -> dict[str, Any]:
    fake = FakeYclients(partner_tokens=[PARTNER]) if api == "yclients" else FakeVK(token_kinds={GROUP: "group"})
    errors: list[str] = []
    with fake:
        _warm_up(api, fake.url)
        fake.enforce_limits = True
        arrivals = Arrivals.of(fake)
        deadline = time.monotonic() + seconds
        if mode == "async":
            asyncio.run(_async_callers(api, fake.url, limiter(api, algorithm, margin), deadline, errors))
        else:
            _threads(api, fake.url, limiter(api, algorithm, margin), deadline, errors)
    return {
        "calls": len(arrivals.times),
        "busiest_1s": arrivals.busiest(1.0),
        "busiest_60s": arrivals.busiest(60.0),
        "refused": fake.refused,
        "caller_errors": len(errors),
    }


def _warm_up(api: str, url: str) -> None:
    if api == "yclients":
        with Yclients(partner_token=PARTNER, base_url=url, rate_limit=None) as yc:
            yc.companies.list()
    else:
        with VK(token=GROUP, token_kind="group", base_url=url, rate_limit=None) as vk:
            vk.groups.get_token_permissions()


async def _async_callers(api: str, url: str, rate_limit: Any, deadline: float, errors: list[str]) -> None:
    client: Any
    if api == "yclients":
        client = AsyncYclients(partner_token=PARTNER, base_url=url, rate_limit=rate_limit)
        call: Callable[[], Any] = client.companies.list
    else:
        client = AsyncVK(token=GROUP, token_kind="group", base_url=url, rate_limit=rate_limit)
        call = client.groups.get_token_permissions

    async def caller() -> None:
        while time.monotonic() < deadline:
            try:
                await call()
            except APIError as error:
                errors.append(type(error).__name__)

    async with client:
        await asyncio.gather(*(caller() for _ in range(20)))


def _threads(api: str, url: str, rate_limit: Any, deadline: float, errors: list[str]) -> None:
    client: Any
    if api == "yclients":
        client = Yclients(partner_token=PARTNER, base_url=url, rate_limit=rate_limit)
        call: Callable[[], Any] = client.companies.list
    else:
        client = VK(token=GROUP, token_kind="group", base_url=url, rate_limit=rate_limit)
        call = client.groups.get_token_permissions

    def caller() -> None:
        while time.monotonic() < deadline:
            try:
                call()
            except APIError as error:
                errors.append(type(error).__name__)

    with client:
        threads = [threading.Thread(target=caller) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ratelimits", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=75.0)
    parser.add_argument("--only", choices=("yclients", "vk"), nargs="+", default=["yclients", "vk"])
    parser.add_argument("--margin", type=float, default=None, help="the margin of 'after' (default: the clients')")
    parser.add_argument("--modes", choices=("async", "threads"), nargs="+", default=["async", "threads"])
    parser.add_argument("--algorithms", choices=("before", "after"), nargs="+", default=["before", "after"])
    args = parser.parse_args(argv)
    limits = {"yclients": "5 / 1 s, 200 / 60 s", "vk": "20 / 1 s (group token)"}
    print(
        f"{'api':9} {'callers':9} {'limiter':7} {'calls':>6} {'max 1s':>7} {'max 60s':>8} {'refused':>8} {'errors':>7}"
    )
    for api in args.only:
        for mode in args.modes:
            for algorithm in args.algorithms:
                r = run(api, mode, algorithm, args.seconds, args.margin)
                callers = "20 async" if mode == "async" else "8 threads"
                print(
                    f"{api:9} {callers:9} {algorithm:7} {r['calls']:>6} {r['busiest_1s']:>7} {r['busiest_60s']:>8}"
                    f" {r['refused']:>8} {r['caller_errors']:>7}",
                    flush=True,
                )
        print(f"  (published limit: {limits[api]}; {args.seconds:.0f} s per run, load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
