"""`apiforge gateway`: the demo gateway as a real subprocess, driven by the `websockets` client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.cli.clirun import HANG, REPO, clean_env

WAIT = 30.0
"""A bound on waits for messages that must come (the demo moves units every 0.5 s): a hang fails."""
UNITS = {734455, 734456, 734457}
"""The units of FakeWialon, which the demo moves."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def gateway_process(
    port: int, stderr_path: Path, *, stop_with: signal.Signals = signal.SIGINT
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start `apiforge gateway --port <port>`, wait for its banner; stop it with `stop_with` (Ctrl-C) at the end."""
    with stderr_path.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "apiforge",
            "gateway",
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,  # a file, not a pipe: nothing the child logs can fill a pipe and block it
            env=clean_env(),
            cwd=REPO,
        )
        try:
            assert process.stdout is not None
            banner = (await asyncio.wait_for(process.stdout.readline(), HANG)).decode()
            expected = f"apiforge gateway demo on ws://127.0.0.1:{port} "
            assert banner.startswith(expected), (banner, stderr_path.read_text(errors="replace"))
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(stop_with)
                try:
                    await asyncio.wait_for(process.wait(), HANG)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def send(ws: ClientConnection, event: str, payload: Any = None, *, token: str | None = None) -> None:
    message: dict[str, Any] = {"event": event}
    if payload is not None:
        message["payload"] = payload
    if token is not None:
        message["token"] = token
    await ws.send(json.dumps(message))


async def next_message(ws: ClientConnection, event: str) -> dict[str, Any]:
    """The next server message named `event`, skipping the relayed events that arrive meanwhile."""

    async def read() -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["event"] == event:
                return message
            if message["event"] == "error":
                raise AssertionError(f"an error while waiting for {event!r}: {message}")

    try:
        return await asyncio.wait_for(read(), WAIT)
    except TimeoutError:
        raise AssertionError(f"no {event!r} message came") from None


async def test_the_gateway_command_relays_events_and_protects_commands(tmp_path: Path) -> None:
    port = free_port()
    stderr = tmp_path / "stderr.txt"
    async with gateway_process(port, stderr) as process, connect(f"ws://127.0.0.1:{port}") as ws:
        welcome = await next_message(ws, "welcome")
        assert welcome["payload"]["connection_id"]

        await send(ws, "subscribe", {"topic": "wialon.units"})
        assert (await next_message(ws, "subscribe ok"))["payload"] == {"topic": "wialon.units"}
        moved = await next_message(ws, "wialon.units")
        assert moved["payload"]["type"] == "AvlMessageEvent", moved
        assert moved["payload"]["data"]["i"] in UNITS
        assert set(moved["payload"]["data"]["d"]["pos"]) >= {"x", "y"}

        # A protected command without a token: an error naming the command; the connection stays up.
        await send(ws, "vk messages.send", {"peer_id": 5, "message": "hello"})
        refused = await next_message(ws, "error")
        assert refused["payload"]["name"] == "unauthorized", refused
        assert refused["payload"]["in_reply_to"] == "vk messages.send"

        # The same command with a token from "demo login" goes through the fake VK.
        await send(ws, "demo login", {"name": "alice"})
        token = (await next_message(ws, "demo login ok"))["payload"]["token"]
        await send(ws, "vk messages.send", {"peer_id": 5, "message": "hello"}, token=token)
        sent = await next_message(ws, "vk messages.send ok")
        assert isinstance(sent["payload"], int), sent  # the id of the message sent

        assert process.returncode is None, stderr.read_text(errors="replace")
    assert process.returncode == 0, stderr.read_text(errors="replace")


async def test_sigterm_stops_the_gateway_cleanly(tmp_path: Path) -> None:
    """What `kill` and service managers send ends the gateway as Ctrl-C does: exit code 0."""
    stderr = tmp_path / "stderr.txt"
    port = free_port()
    async with (
        gateway_process(port, stderr, stop_with=signal.SIGTERM) as process,
        connect(f"ws://127.0.0.1:{port}") as ws,
    ):
        assert (await next_message(ws, "welcome"))["payload"]["connection_id"]
    assert process.returncode == 0, stderr.read_text(errors="replace")
