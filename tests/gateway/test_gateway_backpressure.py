"""Backpressure: a client that does not read is dropped with a reason; the others keep receiving."""

from __future__ import annotations

import socket

from websockets.exceptions import ConnectionClosed

from apiforge.gateway import SLOW_CONSUMER, Gateway, QueueSource
from tests.gateway.gatewaykit import client, store_with, until

BIG = "x" * 16_384


async def test_a_slow_consumer_is_dropped_while_the_others_keep_receiving() -> None:
    store, _ = store_with("alice")
    gateway = Gateway(verifier=store.verify, queue_size=8, send_timeout=0.5)
    source: QueueSource[int] = QueueSource()
    gateway.relay(source, topic="feed", serialize=lambda n: {"n": n, "filler": BIG}, public=True)
    # The slow client's socket has a tiny receive buffer and its library queues one frame at most:
    # once those fill up it reads nothing more, so the server's writes for it stall.
    slow_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # No compression: the filler must really fill the buffers.
    async with gateway.serve("127.0.0.1", 0, close_timeout=5, compression=None):
        slow_socket.connect(("127.0.0.1", gateway.port))
        async with client(gateway) as fast, client(gateway, sock=slow_socket, max_queue=1) as slow:
            await fast.call("subscribe", {"topic": "feed"})
            await slow.call("subscribe", {"topic": "feed"})
            slow_connection = gateway.sessions.by_id[slow.connection_id]
            sent = 0
            # Push events, reading them on the fast client as they come, until the slow one is dropped.
            while not slow_connection.close_reason:
                assert sent < 5000, "the slow consumer was never dropped"
                sent += 1
                source.put(sent)
                assert (await fast.recv())["payload"]["n"] == sent
            assert slow_connection.close_reason == "slow consumer: 8 messages waiting to be sent"
            assert slow.connection_id not in gateway.sessions.by_id
            # The fast client goes on receiving.
            for _ in range(20):
                sent += 1
                source.put(sent)
                assert (await fast.recv())["payload"]["n"] == sent
            # The slow client, once it reads again, sees what it got, then the close code and reason.
            try:
                while True:
                    await slow.ws.recv()
            except ConnectionClosed as closed:
                received = closed.rcvd
            await until(lambda: slow.ws.close_code is not None, what="the slow client to be closed")
    # The close frame was queued behind the unread data; the server waits `close_timeout` for it to go out.
    assert received is not None
    assert (received.code, received.reason) == (SLOW_CONSUMER, "slow consumer: 8 messages waiting to be sent")
