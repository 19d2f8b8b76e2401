"""Bursts: a source that hands over many events at once reaches every subscriber that keeps reading.

A consumer is slow when it does not read, not when the producer is fast (issue 16, item 3).
"""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from apiforge.core.types import JSON
from apiforge.gateway import SLOW_CONSUMER, Gateway, QueueSource
from tests.gateway.gatewaykit import Client, client, until

BURST = 1000
FILLER = "x" * 16_384
TIMEOUT = 60.0  # for a whole burst on a loaded machine; a hang fails instead of blocking the suite


def numbered(n: object) -> JSON:
    assert isinstance(n, int)
    return {"n": n}


def numbered_and_filled(n: object) -> JSON:
    assert isinstance(n, int)
    return {"n": n, "filler": FILLER}


async def read_all(c: Client, count: int) -> list[int]:
    numbers: list[int] = []
    while len(numbers) < count:
        message = json.loads(await asyncio.wait_for(c.ws.recv(), TIMEOUT))
        numbers.append(message["payload"]["n"])
    return numbers


async def test_a_burst_larger_than_the_queue_reaches_every_eager_reader() -> None:
    gateway = Gateway()  # the default queue of 256 messages: a burst four times its size
    source: QueueSource[int] = QueueSource()
    gateway.relay(source, topic="avl", serialize=numbered, public=True)
    async with gateway.serve("127.0.0.1", 0), client(gateway) as one, client(gateway) as two:
        await one.call("subscribe", {"topic": "avl"})
        await two.call("subscribe", {"topic": "avl"})
        for n in range(BURST):  # one poll's worth of events, handed over without a pause
            source.put(n)
        got_one, got_two = await asyncio.gather(read_all(one, BURST), read_all(two, BURST))
        assert got_one == got_two == list(range(BURST))
        assert [c.close_reason for c in gateway.sessions] == [None, None]
        assert len(gateway.sessions) == 2


async def test_a_reader_that_stops_is_dropped_and_the_others_get_the_whole_burst() -> None:
    gateway = Gateway(send_timeout=0.5)
    source: QueueSource[int] = QueueSource()
    gateway.relay(source, topic="avl", serialize=numbered_and_filled, public=True)
    # No compression: the filler must really fill the buffers of the reader that stops.
    async with (
        gateway.serve("127.0.0.1", 0, close_timeout=5, compression=None),
        client(gateway, max_queue=1) as eager,
        client(gateway, max_queue=1) as stopped,
    ):
        await eager.call("subscribe", {"topic": "avl"})
        await stopped.call("subscribe", {"topic": "avl"})
        stopped_connection = gateway.sessions.by_id[stopped.connection_id]
        stopped.ws.transport.pause_reading()  # it reads nothing more: its socket buffers fill up
        for n in range(BURST):
            source.put(n)
        assert await read_all(eager, BURST) == list(range(BURST))
        await until(lambda: stopped_connection.close_reason is not None, what="the reader that stopped to be dropped")
        assert stopped_connection.close_reason == "slow consumer: 256 messages waiting to be sent"
        assert eager.connection_id in gateway.sessions.by_id
        assert stopped.connection_id not in gateway.sessions.by_id
        stopped.ws.transport.resume_reading()
        try:
            while True:
                await asyncio.wait_for(stopped.ws.recv(), TIMEOUT)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == SLOW_CONSUMER


def test_server_and_builtins_import_no_cycle() -> None:
    # builtins names what it needs of a gateway as a Protocol; it imports nothing of server.
    package = Path(__file__).resolve().parents[2] / "runtime" / "apiforge" / "gateway"
    tree = ast.parse((package / "builtins.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "apiforge.gateway.server" not in imported
