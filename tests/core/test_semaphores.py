"""The drivers' named semaphores: slots held per owner, idempotent release, unused ones dropped."""

from __future__ import annotations

import asyncio
import threading

import pytest

from apiforge.core.semaphores import AwaitingSemaphores, BlockingSemaphores

WAIT = 60.0


def test_a_slot_is_held_by_its_owner_and_released_once() -> None:
    table = BlockingSemaphores()
    a, b = object(), object()
    table.acquire("s", 2, a)
    table.acquire("s", 2, b)
    assert table.held_by(a) == ["s"] and table.held_by(b) == ["s"]
    assert table.release("s", a) is True
    assert table.release("s", a) is False  # a holds nothing more: nothing happens
    assert table.release("other", a) is False
    assert table.names() == ["s"]  # b still holds one
    assert table.release("s", b) is True
    assert table.names() == []  # nobody holds or waits: dropped


def test_release_all_gives_back_every_slot_of_an_owner() -> None:
    table = BlockingSemaphores()
    run, other = object(), object()
    for name in ("lock", "heavy", "requests"):
        table.acquire(name, 3, run)
    table.acquire("requests", 3, other)
    assert table.release_all(run) == 3
    assert table.names() == ["requests"]
    assert table.held_by(other) == ["requests"]


def test_a_dropped_semaphore_comes_back_full() -> None:
    table = BlockingSemaphores()
    owners = [object() for _ in range(3)]
    for owner in owners:
        table.acquire("s", 3, owner)
    for owner in owners:
        table.release("s", owner)
    assert table.names() == []
    again = [object() for _ in range(3)]
    for owner in again:
        table.acquire("s", 3, owner)  # would block if a slot had been lost
    assert len(table.held_by(again[0]) + table.held_by(again[1]) + table.held_by(again[2])) == 3


def test_a_thread_waits_for_a_slot_and_gets_it_on_release() -> None:
    table = BlockingSemaphores()
    holder, waiter = object(), object()
    table.acquire("s", 1, holder)
    got = threading.Event()

    def wait() -> None:
        table.acquire("s", 1, waiter)
        got.set()

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    assert not got.wait(0.2)
    table.release("s", holder)
    assert got.wait(WAIT)
    assert table.held_by(waiter) == ["s"]


def test_every_waiting_thread_gets_its_turn() -> None:
    table = BlockingSemaphores()
    holder = object()
    table.acquire("s", 1, holder)
    done: list[str] = []

    def waiter(name: str) -> None:
        table.acquire("s", 1, name)
        done.append(name)
        table.release("s", name)

    threads = [threading.Thread(target=waiter, args=(f"t{i}",), daemon=True) for i in range(5)]
    for thread in threads:
        thread.start()
    for _ in range(6000):  # until all five wait (at most a minute)
        with table._lock:
            if table._slots["s"].waiting == 5:
                break
        threading.Event().wait(0.01)
    table.release("s", holder)
    for thread in threads:
        thread.join(WAIT)
    assert sorted(done) == [f"t{i}" for i in range(5)]
    assert table.names() == []


async def test_tasks_wait_in_order_and_a_cancelled_waiter_takes_nothing() -> None:
    table = AwaitingSemaphores()
    holder = object()
    await table.acquire("s", 1, holder)
    order: list[int] = []

    async def take(n: int) -> None:
        await table.acquire("s", 1, n)
        order.append(n)
        table.release("s", n)

    tasks = [asyncio.ensure_future(take(n)) for n in range(4)]
    await asyncio.sleep(0)
    tasks[1].cancel()
    table.release("s", holder)
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT)
    assert isinstance(results[1], asyncio.CancelledError)
    assert order == [0, 2, 3]
    assert table.names() == []


async def test_a_task_cancelled_just_after_it_was_woken_passes_the_slot_on() -> None:
    table = AwaitingSemaphores()
    holder, first, second = object(), object(), object()
    await table.acquire("s", 1, holder)
    woken = asyncio.ensure_future(table.acquire("s", 1, first))
    later = asyncio.ensure_future(table.acquire("s", 1, second))
    await asyncio.sleep(0)
    table.release("s", holder)  # wakes `woken` ...
    woken.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await woken
    await asyncio.wait_for(later, WAIT)
    assert table.held_by(second) == ["s"] and table.held_by(first) == []
