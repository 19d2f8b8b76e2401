"""`apiforge fake`: a fake served by a real subprocess until it is told to stop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.cli.clirun import HANG, REPO, apiforge, clean_env


@contextmanager
def served(api: str, *args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start `apiforge fake <api>`, wait for its banner (URL first), stop it with SIGTERM at the end."""
    process = subprocess.Popen(
        [sys.executable, "-m", "apiforge", "fake", api, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline()]
        while banner[-1].startswith(("  ", "FakeVK", "FakeYclients", "FakeWialon")) and "try:" not in banner[-1]:
            banner.append(process.stdout.readline())
        yield process, banner
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=HANG)


def test_fake_vk_serves_until_terminated() -> None:
    with served("vk") as (process, banner):
        first = banner[0].split()
        assert first[0] == "FakeVK"
        url = first[first.index("serving") + 1]
        assert url.startswith("http://127.0.0.1:")
        assert any(line.strip() == "token: t" for line in banner)
        done = apiforge("call", "vk", "users.get", "user_ids=5", "--token", "t", "--base-url", url)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)[0]["first_name"] == "Ilya"
    assert process.returncode == 0
    assert process.stdout is not None
    assert process.stdout.read().strip() == "stopped after 1 call"


@pytest.mark.parametrize(("api", "needle"), [("yclients", "partner token: partner"), ("wialon", "token: ")])
def test_banner_says_how_to_authenticate(api: str, needle: str) -> None:
    with served(api) as (_, banner):
        assert any(needle in line for line in banner)
        assert any("apiforge call " + api in line for line in banner)


def test_a_port_in_use_is_reported() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = apiforge("fake", "wialon", "--port", str(port))
    assert done.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr


def test_the_example_bot_receives_what_the_fake_says() -> None:
    # `apiforge fake vk --say hello` in one process, examples/vk_bot.py against it in another.
    with served("vk", "--say", "hello", "--say", "again") as (process, banner):
        first = banner[0].split()
        url = first[first.index("serving") + 1]
        assert any(line.strip().startswith("bot:") for line in banner)
        bot = subprocess.run(
            [sys.executable, "examples/vk_bot.py", "--base-url", url, "--max-updates", "2", "--idle", "120"],
            capture_output=True,
            text=True,
            env=clean_env({"APIFORGE_VK_TOKEN": "t"}),
            cwd=REPO,
            timeout=HANG,
        )
        assert bot.returncode == 0, bot.stderr
        assert "2 updates ({'message_new': 2}), 2 messages sent" in bot.stdout
    assert process.stdout is not None
    said = process.stdout.read()
    assert "user 1 said: hello" in said and "user 1 said: again" in said


def test_say_is_for_vk_only() -> None:
    done = apiforge("fake", "wialon", "--say", "hi")
    assert done.returncode != 0
    assert "--say and --stdin write to a VK community" in done.stderr


def test_stdin_lines_are_messages() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "apiforge", "fake", "vk", "--stdin", "--from-user", "5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=REPO,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("typed here\n")
    process.stdin.flush()
    lines: list[str] = []
    while (line := process.stdout.readline()) and not line.startswith("user "):  # the banner, then the message
        lines.append(line)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=HANG)
    assert line == "user 5 said: typed here\n", lines
