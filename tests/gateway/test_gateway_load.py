"""Many connections at once: 200 clients, each doing a command round-trip concurrently."""

from __future__ import annotations

import asyncio

from apiforge.gateway import CommandGroup, Connection, Gateway
from tests.gateway.gatewaykit import client, until

CLIENTS = 200


async def test_200_concurrent_connections_each_get_their_own_reply() -> None:
    group = CommandGroup("echo")

    @group.command("me")
    async def me(connection: Connection, payload: object) -> object:
        await asyncio.sleep(0)
        return {"connection": connection.id, "payload": payload}

    gateway = Gateway()
    gateway.include(group)
    everyone_connected = asyncio.Event()
    connected = 0
    sessions_when_all_connected = -1

    async def one(index: int) -> tuple[str, dict[str, object]]:
        nonlocal connected, sessions_when_all_connected
        async with client(gateway) as c:
            connected += 1
            if connected == CLIENTS:
                # No client has left yet: the gateway must hold a session for each of them.
                sessions_when_all_connected = len(gateway.sessions)
                everyone_connected.set()
            # Every client holds its connection open until all are connected: they truly overlap.
            await asyncio.wait_for(everyone_connected.wait(), 10)
            return c.connection_id, await c.call("echo me", {"i": index})

    async with gateway.serve():
        results = await asyncio.gather(*(one(i) for i in range(CLIENTS)))
        assert sessions_when_all_connected == CLIENTS
        # Every client has closed its connection: the gateway forgets each session.
        await until(lambda: len(gateway.sessions) == 0, what="the gateway to drop the closed sessions")
    assert len({connection_id for connection_id, _ in results}) == CLIENTS
    for index, (connection_id, reply) in enumerate(results):
        assert reply == {"event": "echo me ok", "payload": {"connection": connection_id, "payload": {"i": index}}}
