"""examples/gateway/index.html in headless Chromium, against the demo gateway and its fakes.

Chromium is driven over the DevTools protocol with the `websockets` client. The README's test
command (`nox -s check`) installs it where it is missing, so the test is never skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from apiforge.cli.gateway import CHATTER, demo_gateway
from tests.gateway.gatewaykit import TIMEOUT

PAGE = Path(__file__).resolve().parents[2] / "examples" / "gateway" / "index.html"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed (`nox -s check` installs it: apt-get install chromium)")
    return found


class DevTools:
    """A minimal Chrome DevTools Protocol client: commands by id, events ignored."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        message_id = next(self.ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]


async def test_the_page_shows_units_moving_and_vk_messages(tmp_path: Path) -> None:
    browser = await asyncio.create_subprocess_exec(
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert browser.stderr is not None
        devtools_url = ""
        while not devtools_url:
            line = await asyncio.wait_for(browser.stderr.readline(), 30)
            assert line, "chromium exited before printing its DevTools URL"
            found = re.search(rb"DevTools listening on (ws://\S+)", line)
            devtools_url = found.group(1).decode() if found else ""
        async with demo_gateway(move_every=0.2, chat_every=0.3) as gateway, connect(devtools_url, max_size=None) as ws:
            cdp = DevTools(ws)
            target = await cdp.send("Target.createTarget", {"url": f"{PAGE.as_uri()}?port={gateway.port}"})
            attached = await cdp.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
            session = attached["sessionId"]
            state: dict[str, Any] = {}
            # The page keeps the last position of each unit: sampling it shows whether units move.
            seen: dict[str, set[tuple[float, float]]] = {}
            deadline = asyncio.get_running_loop().time() + 30  # a bound on the wait, not a speed check
            while asyncio.get_running_loop().time() < deadline:
                result = await cdp.send(
                    "Runtime.evaluate",
                    {"expression": "JSON.stringify(window.demoState || null)", "returnByValue": True},
                    session,
                )
                state = json.loads(result["result"].get("value") or "null") or {}
                for unit, position in state.get("units", {}).items():
                    seen.setdefault(unit, set()).add((position["x"], position["y"]))
                if (
                    state.get("positions", 0) >= 6
                    and len(state.get("units", {})) == 3
                    and any(len(positions) >= 2 for positions in seen.values())
                    and len(state.get("vkMessages", [])) >= 2
                ):
                    break
                await asyncio.sleep(0.05)
    finally:
        browser.kill()
        await browser.wait()
    assert state.get("connected"), state
    assert state["errors"] == []
    assert state["positions"] >= 6, state
    assert set(state["units"]) == {"734455", "734456", "734457"}
    moving = sorted(unit for unit, positions in seen.items() if len(positions) >= 2)
    assert moving, f"no unit was shown at two different positions: {seen}"
    messages = state["vkMessages"]
    assert len(messages) >= 2, state
    texts = [message["text"] for message in messages]
    assert set(texts) <= set(CHATTER), texts
    # The page may subscribe after the first messages went out, but from then on it shows every
    # line of the fake users, in the order they wrote them (CHATTER, round and round).
    order = [CHATTER.index(text) for text in texts]
    assert all(b == (a + 1) % len(CHATTER) for a, b in itertools.pairwise(order)), texts
    assert all(message["from"] > 0 for message in messages)
