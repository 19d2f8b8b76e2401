"""examples/vk_bot.py against the fake VK: it answers what happens and stops after N updates."""

from __future__ import annotations

import runpy
import threading
from pathlib import Path
from typing import Any

import pytest

from apiforge.testing import FakeVK

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vk_bot.py"
HANG = 120.0
"""A safety net against a hung bot, not an assertion about speed."""


def test_the_bot_echoes_greets_and_stops_after_n_updates(capsys: pytest.CaptureFixture[str]) -> None:
    bot = runpy.run_path(str(EXAMPLE))
    result: dict[str, Any] = {}
    with FakeVK(tokens={"t"}) as fake:

        def run() -> None:
            result["summary"] = bot["main"](fake.url, token="t", group_id=1, max_updates=5, idle=None)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert fake.longpoll.polled.wait(HANG), "the bot never polled"
        # The bot holds its ts now: everything from here on reaches it.
        fake.longpoll.message_from_user(5, "hello")
        fake.longpoll.push("group_join", {"user_id": 7, "join_type": "join"})
        fake.longpoll.message_from_user(6, "")  # no text: the echo's filter lets it pass by
        thread.join(HANG)
        assert not thread.is_alive(), "the bot did not stop"
        sent = sorted((m["peer_id"], m["text"]) for m in fake.messages if m["out"] == 1)
    summary = result["summary"]
    assert sent == [(5, "You said: hello"), (7, "Welcome to the community!")]
    assert sorted(summary.sent) == sent
    # Three events from users, and a message_reply for each message the bot sent: five, then it stops.
    assert dict(summary.updates) == {"message_new": 2, "group_join": 1, "message_reply": 2}
    assert "5 updates" in capsys.readouterr().out
