"""examples/several_processes: two workers, one redis-server, the fake VK; a message is answered once."""

from __future__ import annotations

import time

import redis

from apiforge.testing.vk import FakeVK
from tests.redis.support import spawn
from tests.redis.test_shared_events import wait_for, workers  # noqa: F401 - the fixture

TOKEN = "community-token-of-the-example"


def test_two_example_workers_answer_a_message_once(redis_url: str, workers: list) -> None:  # noqa: F811
    client = redis.Redis.from_url(redis_url)
    with FakeVK(token_kinds={TOKEN: "group"}) as fake:
        env = {"APIFORGE_VK_BASE_URL": fake.url, "APIFORGE_REDIS_URL": redis_url, "APIFORGE_VK_GROUP_ID": "1"}
        env["APIFORGE_VK_TOKEN"] = TOKEN
        workers.extend(spawn("examples.several_processes.worker", env=env) for _ in range(2))
        wait_for(lambda: client.get("apiforge:events:vk:bots:1:ts"), 120, "the first poll")
        fake.longpoll.message_from_user(5, "hello")
        wait_for(lambda: fake.calls_to("messages.send"), 120, "an answer")
        time.sleep(3.0)  # a second answer would come by now
        sent = fake.calls_to("messages.send")
    assert len(sent) == 1
    assert str(sent[0].params["message"]).startswith("5 characters")
