"""An interrupted call gives back every semaphore slot it took, wherever the interrupt lands.

A KeyboardInterrupt (sync client) or a cancellation (async client) is injected just after the
driver carried out the n-th effect of a call, for every n: just after it took the login lock or
a per-session slot (the exception is then thrown into the pipeline at its `yield Acquire`), just
after a send, a hook, a release. The interrupted call fails with that exception; afterwards no
slot is held and the next calls of the same client go through (before the fix, an interrupt just
after an Acquire leaked the slot and every later call blocked forever).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from apiforge.core.effects import Acquire, Effect
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.models.session import LoginResponse

from .support import UNIT, aconnect, connect

WAIT = 60.0  # seconds a call that should finish at once may take on a loaded machine


def _first_call_effects(fake: FakeWialon, mode: str) -> list[Effect]:
    """The effects a fresh client's first heavy call goes through (login, open hook, the call)."""
    seen: list[Effect] = []
    with connect(fake, mode) as w:
        _hook(w)
        perform = w._driver.perform

        def record(effect: Effect, owner: object = None) -> Any:
            seen.append(effect)
            return perform(effect, owner)

        w._driver.perform = record  # type: ignore[method-assign]
        _heavy_call(w)
        return list(seen)  # not the logout of the close


def _hook(w: Wialon) -> None:
    @w.on_session_open
    def opened(client: Wialon, login: LoginResponse) -> None:
        return None


def _heavy_call(w: Wialon) -> None:
    # Heavy and in an exclusive group: three slots of the session besides the login lock.
    w.messages.load_last(item_id=UNIT, last_time=0, last_count=1, flags=0, flags_mask=0, load_count=1)


def _in_thread(function: Any) -> bool:
    """Run `function` in a thread; False when it has not finished after WAIT seconds (it blocked)."""
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    thread.join(WAIT)
    return not thread.is_alive()


def test_a_keyboard_interrupt_after_any_effect_leaks_no_slot(fake: FakeWialon, mode: str) -> None:
    effects = _first_call_effects(fake, mode)
    assert sum(isinstance(effect, Acquire) for effect in effects) == 4  # login lock, exclusive, heavy, any
    for n in range(1, len(effects) + 1):
        _interrupt_after(fake, mode, n, effects[n - 1])


def _interrupt_after(fake: FakeWialon, mode: str, n: int, effect_n: Effect) -> None:
    with connect(fake, mode) as w:
        _hook(w)
        perform = w._driver.perform
        count = 0

        def interrupted(effect: Effect, owner: object = None) -> Any:
            nonlocal count
            result = perform(effect, owner)
            count += 1
            if count == n:
                raise KeyboardInterrupt  # lands just after the driver carried out the n-th effect
            return result

        w._driver.perform = interrupted  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            _heavy_call(w)
        w._driver.perform = perform  # type: ignore[method-assign]
        assert w._driver.semaphores.names() == [], f"a slot leaked after effect {n}: {effect_n}"
        # The next calls go through (from another thread: a leaked slot would block it forever).
        assert _in_thread(lambda: (_heavy_call(w), _heavy_call(w))), f"blocked after effect {n}: {effect_n}"
        assert w._driver.semaphores.names() == []


def test_a_keyboard_interrupt_while_other_threads_wait_for_the_slots(fake: FakeWialon, mode: str) -> None:
    # The interrupted call held a slot others were waiting for: they get it.
    with connect(fake, mode) as w:
        w.core.search_item(id=UNIT, flags=1)
        acquire = w._driver.semaphores.acquire
        main = threading.get_ident()

        def interrupted(name: str, size: int, owner: object) -> None:
            acquire(name, size, owner)
            if threading.get_ident() == main and name.endswith(":requests"):
                raise KeyboardInterrupt

        w._driver.semaphores.acquire = interrupted  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            w.core.search_item(id=UNIT, flags=1)
        others = [lambda: [w.core.search_item(id=UNIT, flags=1) for _ in range(5)] for _ in range(12)]
        assert all(_in_thread(work) for work in others)
        assert w._driver.semaphores.names() == []


async def test_a_cancellation_after_any_effect_leaks_no_slot(fake: FakeWialon, mode: str) -> None:
    effects = _first_call_effects(fake, mode)
    for n in range(1, len(effects) + 1):
        await _cancel_after(fake, mode, n, effects[n - 1])


async def _cancel_after(fake: FakeWialon, mode: str, n: int, effect_n: Effect) -> None:
    async with aconnect(fake, mode) as w:
        w.on_session_open(lambda client, login: None)
        perform = w._driver.perform
        count = 0

        async def cancelled(effect: Effect, owner: object = None) -> Any:
            nonlocal count
            result = await perform(effect, owner)
            count += 1
            if count == n:
                raise asyncio.CancelledError  # as if the task was cancelled just after the effect
            return result

        w._driver.perform = cancelled  # type: ignore[method-assign]
        with pytest.raises(asyncio.CancelledError):
            await _async_heavy_call(w)
        w._driver.perform = perform  # type: ignore[method-assign]
        assert w._driver.semaphores.names() == [], f"a slot leaked after effect {n}: {effect_n}"
        await asyncio.wait_for(asyncio.gather(_async_heavy_call(w), _async_heavy_call(w)), WAIT)
        assert w._driver.semaphores.names() == []


async def test_a_task_cancelled_while_it_waits_for_a_slot_takes_none(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        await w.core.search_item(id=UNIT, flags=1)
        fake.hold()
        try:
            busy = [asyncio.ensure_future(w.core.search_item(id=UNIT, flags=1)) for _ in range(10)]
            waiting = asyncio.ensure_future(w.core.search_item(id=UNIT, flags=1))
            for _ in range(6000):  # until the eleventh call waits for a slot (at most a minute)
                if _waiting(w):
                    break
                await asyncio.sleep(0.01)
            assert _waiting(w)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        finally:
            fake.release()
        await asyncio.wait_for(asyncio.gather(*busy), WAIT)
        await asyncio.wait_for(w.core.search_item(id=UNIT, flags=1), WAIT)
        assert w._driver.semaphores.names() == []


def _waiting(w: AsyncWialon) -> bool:
    """Does a task wait for a slot of the session's request semaphore?"""
    return any(slot.waiting for slot in w._driver.semaphores._slots.values())


async def _async_heavy_call(w: AsyncWialon) -> None:
    await w.messages.load_last(item_id=UNIT, last_time=0, last_count=1, flags=0, flags_mask=0, load_count=1)
