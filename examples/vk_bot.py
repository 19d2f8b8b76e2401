"""A VK community bot: echoes messages and greets new members — typed handlers over Bots Long Poll.

    APIFORGE_VK_TOKEN=<community token> APIFORGE_VK_GROUP_ID=<community id> python examples/vk_bot.py --idle 0

Against the fake server instead of VK:

    apiforge fake vk --port 8080 --say hello      # a user writes "hello" once the bot listens
    APIFORGE_VK_TOKEN=t python examples/vk_bot.py --base-url http://127.0.0.1:8080

It uses the async client and the router: each handler receives its update typed (`MessageNew`,
`GroupJoin`), a middleware logs how long each took, a failing handler is logged and the bot
goes on. It stops after `max_updates` updates, or after `idle` seconds without one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass, field

from apiforge.core.events import BotLongPoll, Dispatch, Router
from apiforge.vk import AsyncVK
from apiforge.vk.updates import GroupJoin, MessageNew

log = logging.getLogger("vk_bot")


@dataclass
class Summary:
    """What the bot did: updates received by type, and the messages it sent."""

    updates: Counter[str] = field(default_factory=Counter[str])
    sent: list[tuple[int, str]] = field(default_factory=list[tuple[int, str]])


def timing(call: Dispatch) -> Iterator[None]:
    """A middleware: log each handler's duration (and let its errors go on to the router's log)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        log.info(
            "%s handled %s in %.1f ms", call.name, type(call.event).__name__, (time.perf_counter() - started) * 1e3
        )


def make_router(vk: AsyncVK, summary: Summary) -> Router:
    """The bot's handlers."""
    router = Router(middlewares=[timing])

    async def say(peer_id: int, text: str) -> None:
        await vk.messages.send(peer_id=peer_id, message=text)
        summary.sent.append((peer_id, text))

    @router.on(MessageNew, filter=lambda update: update.object.message is not None and bool(update.object.message.text))
    async def echo(update: MessageNew) -> None:
        message = update.object.message
        assert message is not None  # the filter saw to it
        await say(message.peer_id or message.from_id, f"You said: {message.text}")

    @router.on(GroupJoin)
    async def welcome(update: GroupJoin) -> None:
        await say(update.object.user_id, "Welcome to the community!")

    return router


async def counted(
    updates: AsyncIterable[object], summary: Summary, *, max_updates: int | None, idle: float | None
) -> AsyncIterator[object]:
    """The updates, counted, until `max_updates` of them or `idle` seconds without one.

    Waiting for the next update is cancelled when idle; the long poll keeps its place.
    """
    iterator = aiter(updates)
    while max_updates is None or sum(summary.updates.values()) < max_updates:
        try:
            update = await asyncio.wait_for(anext(iterator), idle)
        except (TimeoutError, StopAsyncIteration):
            return
        summary.updates[getattr(update, "type", type(update).__name__)] += 1
        yield update


async def run_bot(
    *, base_url: str, token: str, group_id: int, max_updates: int | None = None, idle: float | None = 5.0
) -> Summary:
    """Run the bot until `max_updates` updates or `idle` seconds without one (both None: forever)."""
    summary = Summary()
    async with AsyncVK(token=token, token_kind="group", base_url=base_url) as vk:
        router = make_router(vk, summary)
        updates = BotLongPoll(vk, group_id=group_id)
        await router.run(counted(updates, summary, max_updates=max_updates, idle=idle))
    return summary


def main(
    base_url: str = "https://api.vk.com",
    token: str | None = None,
    group_id: int | None = None,
    max_updates: int | None = None,
    idle: float | None = 5.0,
) -> Summary:
    """Run the bot; the token defaults to $APIFORGE_VK_TOKEN, the community to $APIFORGE_VK_GROUP_ID (or 1)."""
    token = token or os.environ.get("APIFORGE_VK_TOKEN")
    if not token:
        raise SystemExit("set APIFORGE_VK_TOKEN to a community token (or run it against `apiforge fake vk`)")
    group_id = group_id or int(os.environ.get("APIFORGE_VK_GROUP_ID") or 1)
    summary = asyncio.run(
        run_bot(base_url=base_url, token=token, group_id=group_id, max_updates=max_updates, idle=idle)
    )
    print(f"{sum(summary.updates.values())} updates ({dict(summary.updates)}), {len(summary.sent)} messages sent")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A VK community bot over Bots Long Poll.")
    parser.add_argument("--base-url", default="https://api.vk.com")
    parser.add_argument("--group-id", type=int, help="the community (default: $APIFORGE_VK_GROUP_ID)")
    parser.add_argument("--max-updates", type=int, help="stop after this many updates")
    parser.add_argument("--idle", type=float, default=5.0, help="stop after this many quiet seconds (0: never)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    main(base_url=args.base_url, group_id=args.group_id, max_updates=args.max_updates, idle=args.idle or None)
