"""A gateway token never reaches a log record, not even in websockets' DEBUG frame logs."""

from __future__ import annotations

import logging

import pytest

from apiforge.gateway import Gateway, TokenStore
from tests.gateway.gatewaykit import client


@pytest.mark.parametrize("filler", [0, 40, 400], ids=["short", "medium", "shortened-in-the-log"])
async def test_a_token_is_in_no_frame_log(caplog: pytest.LogCaptureFixture, filler: int) -> None:
    store = TokenStore()
    token = store.issue("alice")
    gateway = Gateway(verifier=store.verify)
    gateway.declare_topic("feed")
    with caplog.at_level(logging.DEBUG):
        for name in ("websockets", "websockets.client", "websockets.server", "apiforge"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            async with gateway.serve("127.0.0.1", 0), client(gateway) as c:
                # websockets logs a long frame as its start and its end: the token sits at the cut.
                payload = {"to_user": "alice", "event": "chat", "payload": {"text": "x" * filler}}
                reply = await c.call("gateway send", payload, token=token)
                assert reply["event"] == "gateway send ok" or reply["event"] == "chat"
        finally:
            for name in ("websockets", "websockets.client", "websockets.server", "apiforge"):
                logging.getLogger(name).setLevel(logging.NOTSET)
    frames = [r.getMessage() for r in caplog.records if r.name.startswith("websockets")]
    assert any("TEXT" in line for line in frames)  # the frames were logged
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text
        assert token[:12] not in text and token[-12:] not in text
