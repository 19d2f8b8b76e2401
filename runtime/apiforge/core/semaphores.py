"""The named semaphores behind the `Acquire` and `Release` effects, as the two drivers keep them.

A slot is taken for an *owner* (one run of a pipeline) and recorded against it in the same step
that takes it: whatever exception lands next (a KeyboardInterrupt in a thread, the cancellation
of a task), the driver knows what the run holds and gives all of it back when the run ends.
`release` of a slot the owner does not hold does nothing, so a pipeline may release in a
`finally` without knowing whether its `Acquire` completed.

A semaphore that nobody holds or waits for is dropped (it is recreated, full, on next use): names
that carry a session serial do not pile up as sessions come and go.

The bookkeeping is written once (`SemaphoreTable`); the two flavours add only how to wait: a
condition for threads (`BlockingSemaphores`), futures for tasks (`AwaitingSemaphores`).
"""

from __future__ import annotations

import threading
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import asyncio

W = TypeVar("W")
"""How waiters of one semaphore are woken: a threading.Condition, or a queue of futures."""


class Slot(Generic[W]):
    """One named semaphore: its size, who holds its slots, how many wait, and how to wake them."""

    __slots__ = ("holders", "size", "waiting", "wakeup")

    def __init__(self, size: int, wakeup: W) -> None:
        self.size = size
        self.holders: list[object] = []
        """One entry per slot taken, naming its owner (an owner may appear more than once)."""
        self.waiting = 0
        self.wakeup = wakeup

    def take(self, owner: object) -> bool:
        """Take a slot for `owner` if one is free.

        The slot is taken and recorded with one call (`list.append`), so an interrupt lands
        either before it (nothing taken) or after it (taken and known to be `owner`'s).
        """
        if len(self.holders) >= self.size:
            return False
        self.holders.append(owner)
        return True

    @property
    def free(self) -> bool:
        return len(self.holders) < self.size


class SemaphoreTable(Generic[W]):
    """Named semaphores, created on first use and dropped when unused; slots held per owner."""

    def __init__(self) -> None:
        self._slots: dict[str, Slot[W]] = {}

    def names(self) -> list[str]:
        """The semaphores that exist now (held or waited for by someone)."""
        with self._locked():
            return sorted(self._slots)

    def held_by(self, owner: object) -> list[str]:
        """The semaphores `owner` holds a slot of (once per slot)."""
        with self._locked():
            return [name for name, slot in self._slots.items() for holder in slot.holders if holder is owner]

    def release(self, name: str, owner: object) -> bool:
        """Give back one slot of `name` that `owner` holds; False (and nothing done) when it holds none."""
        with self._locked():
            slot = self._slots.get(name)
            if slot is None or not _remove(slot.holders, owner):
                return False
            self._wake(slot)
            self._drop_if_unused(name, slot)
            return True

    def release_all(self, owner: object) -> int:
        """Give back every slot `owner` still holds (a run that ended); returns how many there were."""
        released = 0
        for name in self.held_by(owner):
            released += self.release(name, owner)
        return released

    # Shared by the two flavours' acquire.

    def _enter(self, name: str, size: int) -> Slot[W]:
        slot = self._slots.get(name)
        if slot is None:
            slot = self._slots[name] = Slot(size, self._new_wakeup())
        slot.waiting += 1
        return slot

    def _leave(self, name: str, slot: Slot[W]) -> None:
        slot.waiting -= 1
        if slot.free and slot.waiting:
            # A waiter that was woken and then interrupted passes its wake-up on.
            self._wake(slot)
        self._drop_if_unused(name, slot)

    def _drop_if_unused(self, name: str, slot: Slot[W]) -> None:
        if not slot.holders and not slot.waiting and self._slots.get(name) is slot:
            del self._slots[name]

    # What a flavour provides.

    def _locked(self) -> AbstractContextManager[object]:
        return nullcontext()

    def _new_wakeup(self) -> W:
        raise NotImplementedError

    def _wake(self, slot: Slot[W]) -> None:
        raise NotImplementedError


class BlockingSemaphores(SemaphoreTable[threading.Condition]):
    """The sync driver's semaphores: threads wait on a condition of the table's lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def acquire(self, name: str, size: int, owner: object) -> None:
        """Block until a slot of `name` (`size` slots when new) is free, and take it for `owner`."""
        with self._lock:
            slot = self._enter(name, size)
            try:
                while not slot.take(owner):
                    slot.wakeup.wait()
            finally:
                self._leave(name, slot)

    def _locked(self) -> AbstractContextManager[object]:
        return self._lock

    def _new_wakeup(self) -> threading.Condition:
        return threading.Condition(self._lock)

    def _wake(self, slot: Slot[threading.Condition]) -> None:
        slot.wakeup.notify()


class AwaitingSemaphores(SemaphoreTable["deque[asyncio.Future[None]]"]):
    """The async driver's semaphores: tasks wait on futures, woken in the order they came."""

    async def acquire(self, name: str, size: int, owner: object) -> None:
        """Wait until a slot of `name` (`size` slots when new) is free, and take it for `owner`."""
        import asyncio

        slot = self._enter(name, size)
        try:
            while not slot.take(owner):
                future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                slot.wakeup.append(future)
                try:
                    await future
                finally:
                    if not future.done():
                        future.cancel()  # cancelled while waiting: wakers skip it
        finally:
            self._leave(name, slot)

    def _new_wakeup(self) -> deque[asyncio.Future[None]]:
        return deque()

    def _wake(self, slot: Slot[deque[asyncio.Future[None]]]) -> None:
        while slot.wakeup:
            future = slot.wakeup.popleft()
            if not future.done():
                future.set_result(None)
                return


def _remove(holders: list[object], owner: object) -> bool:
    for index, holder in enumerate(holders):
        if holder is owner:
            del holders[index]
            return True
    return False


__all__ = ["AwaitingSemaphores", "BlockingSemaphores", "SemaphoreTable", "Slot"]
