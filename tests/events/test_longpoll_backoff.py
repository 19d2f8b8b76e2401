"""`failed` answers in a row back off: none after the first, then doubling up to the cap; reset by updates.

Before, a server that kept answering `failed: 1` or `failed: 2` was polled in a tight loop (200
polls in 9 s). The waits are read on a fake clock: the driver's sleep only records them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apiforge.core.effects import Sleep
from apiforge.core.events import BotLongPoll
from apiforge.core.events.longpoll import FetchServer
from apiforge.core.retry import RetryPolicy
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK
from tests.events.eventkit import GROUP_ID, TOKEN
from tests.events.test_longpoll_machine import BACKOFF, SERVER, connected, join, reply

CAPPED = RetryPolicy(backoff_base=0.5, backoff_max=4.0, jitter=0.0)


def waits_after(lp: Any, answers: list[dict[str, Any]]) -> list[float | None]:
    """The wait the machine asks for after each answer before its next request (None: none)."""
    out: list[float | None] = []
    for answer in answers:
        lp.on_reply(reply(answer))
        action = lp.next_action()
        wait = None
        if isinstance(action, Sleep):
            wait = action.seconds
            action = lp.next_action()
        if isinstance(action, FetchServer):
            lp.on_server(SERVER)
        out.append(wait)
    return out


@pytest.mark.parametrize("failed", [1, 2])
def test_failed_answers_in_a_row_back_off_exponentially_up_to_the_cap(failed: int) -> None:
    lp = connected()
    answer = {"failed": failed, "ts": "10"}
    waits = waits_after(lp, [answer] * 8)
    # BACKOFF: base 1 s, cap 8 s, no jitter. The first failed answer is acted on at once.
    assert waits == [None, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert lp.failed_in_a_row == 8


def test_a_reply_with_updates_resets_the_backoff() -> None:
    lp = connected()
    assert waits_after(lp, [{"failed": 1, "ts": "10"}] * 4) == [None, 1.0, 2.0, 4.0]
    assert waits_after(lp, [{"ts": "11", "updates": [join(1)]}]) == [None]
    assert lp.failed_in_a_row == 0
    while lp.pending:
        lp.next_action()
    assert waits_after(lp, [{"failed": 2}] * 3) == [None, 1.0, 2.0]


def test_mixed_failed_codes_count_together() -> None:
    lp = connected()
    answers = [{"failed": 1, "ts": "10"}, {"failed": 2}, {"failed": 1, "ts": "10"}, {"failed": 2}]
    assert waits_after(lp, answers) == [None, 1.0, 2.0, 4.0]
    assert BACKOFF.backoff_max == 8.0


def recording_sleep(record: list[float]) -> Any:
    def sleep(seconds: float) -> None:
        record.append(seconds)

    return sleep


def test_bot_long_poll_backs_off_on_repeated_failed_answers_sync() -> None:
    fake = FakeVK(tokens={TOKEN})
    fake.longpoll.rewind = 0
    slept: list[float] = []
    with (
        httpx.Client(transport=fake.transport()) as http,
        VK(token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http) as vk,
    ):
        vk._driver.sleep = recording_sleep(slept)
        poller = BotLongPoll(vk, group_id=GROUP_ID, retry=CAPPED, ts="1")
        first = fake.longpoll.push("group_join", {"user_id": 1, "join_type": "join"})
        fake.longpoll.fail_next(*["history"] * 12)
        updates = iter(poller)
        assert next(updates).event_id == first["event_id"]
        polls = [c for c in fake.calls if c.method == "longpoll.bots"]
        assert len(polls) == 13  # twelve failed answers, then the update
        assert slept == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
        assert sum(slept) == 35.5  # 13 polls in 35.5 s on the fake clock while failing (none at all before)

        # An update resets it: the next run of failed answers starts again without a wait.
        slept.clear()
        second = fake.longpoll.push("group_join", {"user_id": 2, "join_type": "join"})
        fake.longpoll.fail_next("history", "history", "history")
        assert next(updates).event_id == second["event_id"]
        assert slept == [0.5, 1.0]


async def test_bot_long_poll_backs_off_on_repeated_failed_answers_async() -> None:
    fake = FakeVK(tokens={TOKEN})
    fake.longpoll.rewind = 0
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async with (
        httpx.AsyncClient(transport=fake.async_transport()) as http,
        AsyncVK(token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http) as vk,
    ):
        vk._driver.sleep = sleep
        poller = BotLongPoll(vk, group_id=GROUP_ID, retry=CAPPED, ts="1")
        first = fake.longpoll.push("group_join", {"user_id": 1, "join_type": "join"})
        fake.longpoll.fail_next("expire_key", *["history"] * 6)
        async for update in poller:
            assert update.event_id == first["event_id"]
            break
    assert slept == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
