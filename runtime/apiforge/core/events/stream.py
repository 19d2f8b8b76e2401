"""Streams written once as generators of effects, consumed as sync or async iterators.

A stream is a generator that yields the pipeline's effects (Send, Sleep, ...) and, in between,
`Emit(item)` for each item it hands to its consumer. `iterate` carries the effects out with the
sync driver and yields the items; `aiterate` does the same with the async driver. Like the
call pipeline, the logic lives in the generator; these two loops are the only difference.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any, Generic, TypeAlias, TypeVar

import attrs

from apiforge.core.drivers import AsyncDriver, Step, SyncDriver
from apiforge.core.effects import Effect

T = TypeVar("T")


@attrs.frozen(slots=True)
class Emit(Generic[T]):
    """Hand `item` to the consumer of the stream (not an effect: the driver yields it)."""

    item: T


Steps: TypeAlias = Generator[Effect | Emit[T], Any, None]
"""A stream: effects for the driver and items for the consumer."""


def iterate(driver: SyncDriver, steps: Steps[T]) -> Iterator[T]:
    """The items of `steps`, carrying out its effects with blocking calls."""
    owner = object()  # holds the stream's semaphore slots, all given back when it ends
    step: Step[Effect | Emit[T], None] = Step(steps)
    try:
        while (yielded := step.next()) is not None:
            if isinstance(yielded, Emit):
                yield yielded.item
                continue
            try:
                step.outcome = driver.perform(yielded, owner)
            except BaseException as exc:  # noqa: BLE001 - handed to the stream, which decides
                step.error = exc
    finally:
        steps.close()
        driver.semaphores.release_all(owner)


async def aiterate(driver: AsyncDriver, steps: Steps[T]) -> AsyncIterator[T]:
    """The items of `steps`, carrying out its effects with awaits."""
    owner = object()
    step: Step[Effect | Emit[T], None] = Step(steps)
    try:
        while (yielded := step.next()) is not None:
            if isinstance(yielded, Emit):
                yield yielded.item
                continue
            try:
                step.outcome = await driver.perform(yielded, owner)
            except BaseException as exc:  # noqa: BLE001 - handed to the stream (cancellation goes straight through it)
                step.error = exc
    finally:
        steps.close()
        driver.semaphores.release_all(owner)


__all__ = ["Emit", "Steps", "aiterate", "iterate"]
