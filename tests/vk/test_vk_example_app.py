"""examples/vk_app.py: passes mypy --strict and runs against FakeVK (its `main(base_url)`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from apiforge.testing import FakeVK

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "vk_app.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vk_app_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_example_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(EXAMPLE.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_runs_against_the_fake() -> None:
    app = load_example()
    with FakeVK(tokens={"example-token"}) as fake:
        report = app.main(fake.url, token="example-token")

    called = {call.method for call in fake.calls}
    assert report.methods_used <= called
    assert len(report.methods_used) >= 20
    sections = {name.split(".")[0] for name in report.methods_used}
    assert len(sections) >= 12
    assert report.community.name == "VK API"  # FakeVK's apiclub, read through groups.getById
    assert report.me.startswith("Pavel Durov")  # the token's owner, through users.get
    assert fake.messages and fake.messages[-1]["text"] == app.digest_text(report)
    assert report.sent_message_id == fake.messages[-1]["id"]
    # The async part (AsyncVK, asyncio.gather) read these.
    assert {"friends.getOnline", "newsfeed.get", "stories.get", "messages.getConversations"} <= report.methods_used


def test_the_example_command_line_takes_a_base_url() -> None:
    app = load_example()
    with FakeVK(tokens={"cli-token"}) as fake:
        report = app.cli(["apiclub", "--base-url", fake.url, "--token", "cli-token"])
    assert report.community.name == "VK API"
    assert fake.calls and all(call.method for call in fake.calls)  # everything went to the fake
