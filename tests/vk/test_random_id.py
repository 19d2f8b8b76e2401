"""VK de-duplicates sends by `random_id`: the ids apiforge draws must never repeat after a restart."""

from __future__ import annotations

import subprocess
import sys

import httpx

from apiforge.testing.vk import FakeVK
from apiforge.vk import VK

TOKEN = "bot-token-for-random-id"

# An app that seeds `random` for its own reasons (reproducible shuffles, a test harness...).
APP = """
import random, sys
from apiforge.vk import VK

random.seed(2024)
with VK(sys.argv[1], base_url=sys.argv[2], rate_limit=None) as vk:
    for text in sys.argv[3:]:
        print(vk.messages.send(peer_id=5, message=text))
"""


def run_app(url: str, *texts: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", APP, TOKEN, url, *texts], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return [int(line) for line in done.stdout.split()]


def test_a_restarted_app_that_seeds_random_loses_no_message() -> None:
    with FakeVK(tokens=(TOKEN,)) as fake:
        first = run_app(fake.url, "order 17 PLACED", "order 18 PLACED")
        second = run_app(fake.url, "order 17 CANCELLED", "order 18 CANCELLED")  # the same app, restarted
        texts = [m["text"] for m in fake.messages]
        ids = [m["random_id"] for m in fake.messages]
    assert texts == ["order 17 PLACED", "order 18 PLACED", "order 17 CANCELLED", "order 18 CANCELLED"]
    assert len(set(first + second)) == 4  # four messages, four ids: none answered with an old one
    assert len(set(ids)) == 4
    assert all(0 < i < 2**31 for i in ids)


def test_the_fake_drops_a_repeated_random_id_of_the_same_sender_whatever_the_peer() -> None:
    # As VK: the id is unique per app and sender, so a repeat to another peer is dropped too.
    fake = FakeVK(tokens=(TOKEN,))
    with VK(TOKEN, base_url="http://vk.test", http_client=httpx.Client(transport=fake.transport())) as vk:
        one = vk.messages.send(peer_id=5, message="first", random_id=777)
        again = vk.messages.send(peer_id=6, message="second", random_id=777)
        other = vk.messages.send(peer_id=6, message="third", random_id=778)
    assert one == again != other
    assert [m["text"] for m in fake.messages] == ["first", "third"]
