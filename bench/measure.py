"""Timing: many iterations after a warm-up, per-iteration wall time (median, p90) and CPU time per call.

Wall time is `time.perf_counter` around each call; CPU time is `time.process_time` over the whole
loop divided by the iterations (the servers run in other processes, so this is the client's own
work). Garbage collection stays as the caller set it; `gc_disabled()` turns it off for a block.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import attrs


@attrs.frozen
class Timing:
    """Figures of one measured operation, in seconds."""

    median: float
    p90: float
    cpu: float
    """CPU seconds of this process per iteration."""
    iterations: int

    def ratio(self, floor: Timing) -> float:
        """This median over the floor's median."""
        return self.median / floor.median


def summarize(samples: list[float], cpu_total: float) -> Timing:
    """Median and 90th percentile of `samples`, and the CPU time per sample."""
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered), p90, cpu_total / len(ordered), len(ordered))


def time_sync(operation: Callable[[], object], *, iterations: int, warmup: int) -> Timing:
    """Run `operation` `warmup` times unmeasured, then `iterations` times measured."""
    for _ in range(warmup):
        operation()
    samples: list[float] = []
    clock = time.perf_counter
    cpu0 = time.process_time()
    for _ in range(iterations):
        started = clock()
        operation()
        samples.append(clock() - started)
    return summarize(samples, time.process_time() - cpu0)


async def time_async(operation: Callable[[], Awaitable[object]], *, iterations: int, warmup: int) -> Timing:
    """The async form of `time_sync`: each iteration awaits one operation, one after the other."""
    for _ in range(warmup):
        await operation()
    samples: list[float] = []
    clock = time.perf_counter
    cpu0 = time.process_time()
    for _ in range(iterations):
        started = clock()
        await operation()
        samples.append(clock() - started)
    return summarize(samples, time.process_time() - cpu0)


def run_async(
    setup: Callable[[], Awaitable[Callable[[], Awaitable[object]]]],
    teardown: Callable[[], Awaitable[None]],
    *,
    iterations: int,
    warmup: int,
) -> Timing:
    """Build the operation inside a fresh event loop (clients bind to their loop), time it, tear down."""

    async def main() -> Timing:
        operation = await setup()
        try:
            return await time_async(operation, iterations=iterations, warmup=warmup)
        finally:
            await teardown()

    return asyncio.run(main())


@contextmanager
def gc_disabled() -> Iterator[None]:
    """Garbage collection off inside the block (after a full collection), restored after."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
