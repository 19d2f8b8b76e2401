"""`apiforge gateway [--host H] [--port P]`: a demo gateway wired to the fakes, until Ctrl-C.

It runs FakeVK and FakeWialon over real HTTP on 127.0.0.1, moves the fake Wialon units, has
fake users write to the VK community, and relays both to browsers:

- topic "wialon.units" (public): AVL events of every unit (`AvlMessageEvent` carries the new position);
- topic "vk.messages" (private: subscribe with a token): VK Bots Long Poll updates (`MessageNew` ...);
- "demo login" {"name"} -> {"token"}: a token for the protected commands;
- "vk messages.send" (protected): answer through the fake VK with the server's token.

Open examples/gateway/index.html?port=P in a browser to watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import math
import signal
import sys
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, TextIO

import attrs

from apiforge.cli.errors import CLIError
from apiforge.core.types import JSON

if TYPE_CHECKING:
    from apiforge.gateway import Gateway
    from apiforge.testing.vk import FakeVK
    from apiforge.testing.wialon import FakeWialon

VK_TOKEN = "demo-community-token"
DEMO_PAGE_ORIGIN = "null"
"""The `Origin` of examples/gateway/index.html opened from a file: the only page the demo lets in."""
MOVE_EVERY = 0.5
"""Seconds between two positions of each fake unit."""
CHAT_EVERY = 2.0
"""Seconds between two messages of fake VK users."""
CHATTER = ("hello!", "where is my truck?", "is the van on time?", "thanks", "any news?")


@attrs.frozen
class Login:
    """The payload of "demo login"."""

    name: str


@contextlib.asynccontextmanager
async def demo_gateway(
    host: str = "127.0.0.1", port: int = 0, *, move_every: float = MOVE_EVERY, chat_every: float = CHAT_EVERY
) -> AsyncGenerator[Gateway]:
    """Serve the demo gateway (and its fakes) while the block runs; yields the `Gateway`."""
    from apiforge.core.events.vk_bots import BotLongPoll
    from apiforge.gateway import AvlSource, CommandGroup, Connection, Gateway, TokenStore
    from apiforge.testing.vk import FakeVK
    from apiforge.testing.wialon import FakeWialon
    from apiforge.vk import AsyncVK
    from apiforge.wialon import AsyncWialon
    from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
    from apiforge.wialon.models.search import UpdateDataFlagsSpec, UpdateDataFlagsSpecType

    tokens = TokenStore()
    demo = CommandGroup("demo")

    @demo.command("login")
    def login(connection: Connection, payload: Login) -> dict[str, str]:
        return {"token": tokens.issue(payload.name)}

    with FakeVK(tokens={VK_TOKEN}) as vk_fake, FakeWialon() as wialon_fake:
        async with (
            AsyncVK(token=VK_TOKEN, token_kind="group", base_url=vk_fake.url, rate_limit=None) as vk,
            AsyncWialon(token=wialon_fake.token, base_url=wialon_fake.url) as wialon,
        ):
            units = sorted(wialon_fake.units)
            every_unit = UpdateDataFlagsSpec(
                type=UpdateDataFlagsSpecType.COL,
                data=list[JSON](units),
                flags=UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION,
                mode=UpdateDataFlagsMode.ADD,
            )
            # Only the demo page may connect: it is opened from a file, whose origin browsers send as "null".
            gateway = Gateway(verifier=tokens.verify, allowed_origins=[DEMO_PAGE_ORIGIN])
            gateway.include(demo)
            # Positions of the fake fleet are for anyone; what users write is for logged-in viewers only.
            gateway.relay(AvlSource(wialon, every_unit, interval=1.0), topic="wialon.units", public=True)
            gateway.relay(BotLongPoll(vk, group_id=vk_fake.longpoll.group_id, wait=5), topic="vk.messages")
            gateway.expose(vk, allow=["messages.send"], prefix="vk")
            async with gateway.serve(host, port):
                tasks = [
                    asyncio.create_task(_move_units(wialon_fake, units, move_every)),
                    asyncio.create_task(_chat(vk_fake, chat_every)),
                ]
                try:
                    yield gateway
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)


async def _move_units(fake: FakeWialon, units: list[int], every: float) -> None:
    """Drive each unit around its own circle, one tracker message per unit every `every` seconds."""
    centres = {unit: (fake.units[unit]["pos"]["x"], fake.units[unit]["pos"]["y"]) for unit in units}
    for step in itertools.count():
        for index, unit in enumerate(units):
            angle = step / 10 + index * 2 * math.pi / len(units)
            cx, cy = centres[unit]
            fake.push_message(
                unit, x=round(cx + 0.5 * math.cos(angle), 6), y=round(cy + 0.3 * math.sin(angle), 6), speed=40
            )
        await asyncio.sleep(every)


async def _chat(fake: FakeVK, every: float) -> None:
    """Fake VK users writing to the community (once the long poll listens, so nothing is missed)."""
    await asyncio.to_thread(fake.longpoll.polled.wait, 30)
    users = sorted(fake.users)
    for step in itertools.count():
        fake.longpoll.message_from_user(users[step % len(users)], CHATTER[step % len(CHATTER)])
        await asyncio.sleep(every)


def run_gateway(host: str = "127.0.0.1", port: int = 8765, *, stdout: TextIO | None = None) -> None:
    """Serve the demo gateway until Ctrl-C or SIGTERM."""
    try:
        importlib.import_module("apiforge.gateway")  # fail early, naming the extra to install
    except ImportError as error:
        raise CLIError(str(error)) from None
    out = stdout or sys.stdout

    async def main() -> None:
        try:
            async with demo_gateway(host, port) as gateway:
                out.write(f"apiforge gateway demo on ws://{host}:{gateway.port} - Ctrl-C to stop\n")
                out.write(f"  open examples/gateway/index.html?port={gateway.port} in a browser\n")
                out.write("  topics: wialon.units, vk.messages; commands: demo login, vk messages.send\n")
                out.flush()
                await _until_terminated()
        except OSError as error:
            raise CLIError(f"cannot serve on {host}:{port}: {error.strerror or error}") from None

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def _until_terminated() -> None:
    """Wait for SIGTERM (what service managers and `kill` send); Ctrl-C ends the wait as KeyboardInterrupt."""
    terminated = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Signal handlers can be set only from the main thread (and not on every platform).
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, terminated.set)
    try:
        await terminated.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGTERM)


__all__ = ["demo_gateway", "run_gateway"]
