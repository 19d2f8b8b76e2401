"""VK captcha (error 14): solved by a sync or async handler and replayed, capped per call, or CaptchaNeeded.

FakeVK's `require_captcha(method, times=n)` answers error 14 (a new captcha_sid and captcha_img
each time) until n captchas have been answered with the right key.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.core import ConfigurationError
from apiforge.core import pipeline as pipeline_module
from apiforge.core.auth import CaptchaNeeded
from apiforge.core.auth.captcha import captcha_needed
from apiforge.core.call import MethodSpec
from apiforge.core.protocols.vk import VKProtocol
from apiforge.core.redact import MASK
from apiforge.testing import FakeVK
from apiforge.vk import VK, AsyncVK, decode_response
from apiforge.vk.errors import CaptchaError, VKAPIError, error_class

TOKEN = f"vk1.a.captcha-{uuid.uuid4().hex}"
ANSWER = "kx7m2"
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/samples"


class Handler:
    """A captcha handler that records what it was shown and answers from a script."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.shown: list[tuple[str, str]] = []

    def __call__(self, sid: str, img: str) -> str | None:
        self.shown.append((sid, img))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class AsyncHandler(Handler):
    async def solve(self, sid: str, img: str) -> str | None:
        await asyncio.sleep(0)  # as if a person typed it in
        return self(sid, img)


@pytest.fixture
def fake(mode: str) -> Iterator[FakeVK]:
    fake = FakeVK(tokens={TOKEN})
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@pytest.fixture
def make_vk(fake: FakeVK, mode: str) -> Iterator[Callable[..., VK]]:
    made: list[VK] = []

    def make(**options: Any) -> VK:
        options.setdefault("rate_limit", None)
        if mode == "http":
            client = VK(token=TOKEN, base_url=fake.url, **options)
        else:
            client = VK(
                token=TOKEN, base_url="http://fake", http_client=httpx.Client(transport=fake.transport()), **options
            )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
async def make_avk(fake: FakeVK, mode: str) -> AsyncIterator[Callable[..., AsyncVK]]:
    made: list[AsyncVK] = []

    def make(**options: Any) -> AsyncVK:
        options.setdefault("rate_limit", None)
        if mode == "http":
            client = AsyncVK(token=TOKEN, base_url=fake.url, **options)
        else:
            http = httpx.AsyncClient(transport=fake.async_transport())
            client = AsyncVK(token=TOKEN, base_url="http://fake", http_client=http, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


# Solved by a handler


def test_sync_handler_solves_and_the_call_is_replayed(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    handler = Handler(ANSWER)
    vk = make_vk(captcha_handler=handler)

    users = vk.users.get(user_ids=[5])

    assert [u.id for u in users] == [5]
    ((sid, img),) = handler.shown
    assert img == f"https://api.vk.com/captcha.php?sid={sid}&s=1"
    first, replay = fake.calls_to("users.get")
    assert "captcha_sid" not in first.params
    assert replay.params["captcha_sid"] == sid and replay.params["captcha_key"] == ANSWER
    assert replay.params["user_ids"] == "5"  # the same call, answers added


async def test_async_handler_solves_and_the_call_is_replayed(make_avk: Callable[..., AsyncVK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", times=2, answer=ANSWER)
    handler = AsyncHandler(ANSWER)
    vk = make_avk(captcha_handler=handler.solve)

    users = await vk.users.get(user_ids=[1])

    assert [u.id for u in users] == [1]
    assert len(handler.shown) == 2 and handler.shown[0][0] != handler.shown[1][0]  # a new captcha each time
    assert len(fake.calls_to("users.get")) == 3


async def test_a_sync_handler_works_on_the_async_client(make_avk: Callable[..., AsyncVK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    vk = make_avk(captcha_handler=Handler(ANSWER))
    assert [u.id for u in await vk.users.get(user_ids=[1])] == [1]


def test_an_async_handler_on_the_sync_client_is_refused_at_once() -> None:
    with pytest.raises(ConfigurationError, match=re.escape("VK(captcha_handler=...) is async")):
        VK(token=TOKEN, captcha_handler=AsyncHandler(ANSWER).solve)  # type: ignore[arg-type]


def test_a_solved_captcha_never_sends_a_message_twice(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("messages.send", answer=ANSWER)
    vk = make_vk(captcha_handler=Handler(ANSWER))
    message_id = vk.messages.send(peer_id=7, message="hello")
    assert [m["id"] for m in fake.messages] == [message_id]
    first, replay = fake.calls_to("messages.send")
    assert first.params["random_id"] == replay.params["random_id"]  # kept across the replay


# Attempts are capped per call


def test_attempts_are_capped(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    handler = Handler("wrong")
    vk = make_vk(captcha_handler=handler, max_captcha_attempts=2)

    with pytest.raises(CaptchaNeeded) as info:
        vk.users.get(user_ids=[1])

    assert len(handler.shown) == 2
    assert len(fake.calls_to("users.get")) == 3  # the first try and two answers
    assert info.value.attempts == 2
    assert fake.captchas_shown("users.get") == 3
    assert info.value.captcha_sid not in {sid for sid, _ in handler.shown}  # the captcha still unsolved


async def test_async_attempts_are_capped(make_avk: Callable[..., AsyncVK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    handler = AsyncHandler("wrong")
    vk = make_avk(captcha_handler=handler.solve, max_captcha_attempts=1)
    with pytest.raises(CaptchaNeeded) as info:
        await vk.users.get(user_ids=[1])
    assert (len(handler.shown), info.value.attempts, len(fake.calls_to("users.get"))) == (1, 1, 2)


def test_the_cap_is_per_call(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", times=3, answer=ANSWER)
    handler = Handler("wrong", ANSWER)  # the first answer of each call is wrong, then right
    vk = make_vk(captcha_handler=handler, max_captcha_attempts=2)
    # Call 1: wrong, right (solves one; a new captcha comes), and its two attempts are spent.
    with pytest.raises(CaptchaNeeded):
        vk.users.get(user_ids=[1])
    handler.answers = [ANSWER]
    # Call 2 has attempts of its own: it answers the two captchas left.
    assert [u.id for u in vk.users.get(user_ids=[1])] == [1]
    assert len(handler.shown) == 4


def test_attempt_counts_go_with_their_calls(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", times=2, answer=ANSWER)
    vk = make_vk(captcha_handler=Handler(ANSWER))
    vk.users.get(user_ids=[1])
    solver: Any = vk._protocol.captcha
    gc.collect()
    assert len(solver._attempts) == 0  # counts live as long as the replayed calls, no longer


def test_the_default_cap_is_the_documented_five(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    handler = Handler("wrong")
    vk = make_vk(captcha_handler=handler)  # max_captcha_attempts=5

    with pytest.raises(CaptchaNeeded) as info:
        vk.users.get(user_ids=[1])

    # The protocol widens the pipeline's replay cap (MAX_RECOVERIES) to fit every captcha answer.
    assert pipeline_module.MAX_RECOVERIES < 5
    assert len(handler.shown) == info.value.attempts == 5
    assert len(fake.calls_to("users.get")) == 6


@pytest.mark.parametrize("attempts", [-1, 1.5, True])
def test_bad_max_captcha_attempts(attempts: Any) -> None:
    with pytest.raises(ValueError, match=f"max_captcha_attempts must be a whole number >= 0; got {attempts!r}"):
        VK(token=TOKEN, max_captcha_attempts=attempts)


def test_a_handler_returning_something_else_is_a_clear_error(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    vk = make_vk(captcha_handler=lambda sid, img: 12345)
    with pytest.raises(
        ConfigurationError, match=re.escape("users.get: the captcha handler returned int; expected the text")
    ):
        vk.users.get(user_ids=[1])


# No handler: CaptchaNeeded


def test_no_handler_raises_captcha_needed_with_what_a_person_needs(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    vk = make_vk()

    with pytest.raises(CaptchaNeeded) as info:
        vk.users.get(user_ids=[1])

    error = info.value
    assert isinstance(error, CaptchaError) and isinstance(error, VKAPIError)  # the generated classes catch it too
    assert type(error).__name__ == "CaptchaNeeded"
    assert (error.code, error.method, error.attempts) == (14, "users.get", 0)
    assert error.captcha_sid.isdigit()
    assert error.captcha_img == f"https://api.vk.com/captcha.php?sid={error.captcha_sid}&s=1"
    assert error.retry_params("abc") == {"captcha_sid": error.captcha_sid, "captcha_key": "abc"}
    assert len(fake.calls_to("users.get")) == 1

    # A person solves it; the same call goes again with the answer.
    users = vk.request(error.retry_call(ANSWER))
    assert [u.id for u in users] == [1]
    assert fake.calls_to("users.get")[-1].params["captcha_key"] == ANSWER


async def test_async_no_handler_raises_captcha_needed(make_avk: Callable[..., AsyncVK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    vk = make_avk()
    with pytest.raises(CaptchaNeeded) as info:
        await vk.users.get(user_ids=[5])
    assert [u.id for u in await vk.request(info.value.retry_call(ANSWER))] == [5]


def test_a_handler_giving_up_raises_captcha_needed(make_vk: Callable[..., VK], fake: FakeVK) -> None:
    fake.require_captcha("users.get", answer=ANSWER)
    handler = Handler(None)
    vk = make_vk(captcha_handler=handler)
    with pytest.raises(CaptchaNeeded) as info:
        vk.users.get(user_ids=[1])
    assert len(handler.shown) == 1 and info.value.attempts == 0
    assert len(fake.calls_to("users.get")) == 1


def test_a_decoded_captcha_body_has_no_call_to_retry() -> None:
    body = {"error": {"error_code": 14, "error_msg": "Captcha needed", "captcha_sid": "77", "captcha_img": "https://x"}}
    with pytest.raises(CaptchaError) as info:
        decode_response("users.get", body)
    needed = captcha_needed(info.value)
    assert (needed.captcha_sid, needed.captcha_img) == ("77", "https://x")
    with pytest.raises(ConfigurationError, match="decoded from a saved body"):
        needed.retry_call("k")


def test_the_published_captcha_sample_gives_sid_and_image() -> None:
    path = SAMPLES / "vk" / "error__15.json"
    if not path.exists():
        pytest.skip("shared samples are not available")
    sample = json.loads(path.read_text())
    protocol = VKProtocol(base_url="http://fake", error_class=error_class, version="5.199", token=TOKEN)
    response = httpx.Response(
        200, json=sample["body"], request=httpx.Request("POST", "http://fake/method/messages.send")
    )
    call = MethodSpec(api="vk", name="messages.send").call({})
    with pytest.raises(CaptchaNeeded) as info:
        protocol.parse(call, response)
    assert info.value.captcha_sid == sample["body"]["error"]["captcha_sid"]
    assert info.value.captcha_img == sample["body"]["error"]["captcha_img"]
    echoed = {p["key"]: p["value"] for p in info.value.details["request_params"]}
    assert echoed["access_token"] == MASK


# Secrets in echoed parameters and logs


def test_echoed_secret_parameters_are_masked() -> None:
    protocol = VKProtocol(base_url="http://fake", error_class=error_class, version="5.199", token=TOKEN)
    echoed = [
        {"key": key, "value": f"{key}-value-{uuid.uuid4().hex}"}
        for key in ("access_token", "captcha_key", "client_secret", "password", "code", "user_ids")
    ]
    error = protocol.make_error(
        "users.get", {"error_code": 14, "error_msg": "Captcha needed", "request_params": echoed}
    )
    shown = {p["key"]: p["value"] for p in error.details["request_params"]}
    assert shown == {
        "access_token": MASK,
        "captcha_key": MASK,
        "client_secret": MASK,
        "password": MASK,
        "code": MASK,
        "user_ids": echoed[-1]["value"],
    }


def test_captcha_flow_leaks_nothing(make_vk: Callable[..., VK], fake: FakeVK, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.require_captcha("users.get", answer=ANSWER)
    vk = make_vk(captcha_handler=Handler("wrong-answer-typed"), max_captcha_attempts=1)
    with pytest.raises(CaptchaNeeded) as info:
        vk.users.get(user_ids=[1])
    error = info.value
    echoed = {p["key"]: p["value"] for p in error.details["request_params"]}
    assert echoed["access_token"] == MASK and echoed["captcha_key"] == MASK
    texts = [str(error), repr(error), repr(error.details), repr(error.call)]
    texts += [record.getMessage() for record in caplog.records]
    assert any("recovered from CaptchaNeeded" in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in text and "wrong-answer-typed" not in text for text in texts)


# -- the newer form: redirect_uri, answered with success_token ------------------------------------


def test_redirect_captcha_reaches_a_two_argument_handler_as_its_url() -> None:
    shown: list[tuple[str, str]] = []

    def handler(sid: str, url: str) -> str:
        shown.append((sid, url))
        return ANSWER

    with FakeVK(tokens={TOKEN}) as fake:
        fake.require_captcha("wall.post", redirect=True, answer=ANSWER)
        with VK(token=TOKEN, base_url=fake.url, rate_limit=None, captcha_handler=handler) as vk:
            vk.wall.post(owner_id=1, message="hi")
        replay = fake.calls_to("wall.post")[-1].params
    assert len(shown) == 1 and shown[0][1].startswith("https://id.vk.com/not_robot_captcha")
    assert replay["success_token"] == ANSWER and "remixstlid" in replay and "captcha_key" not in replay


async def test_redirect_captcha_reaches_a_one_argument_handler_as_a_captcha() -> None:
    from apiforge.core.auth import Captcha

    seen: list[Captcha] = []

    async def handler(captcha: Captcha) -> str:
        seen.append(captcha)
        return ANSWER

    with FakeVK(tokens={TOKEN}) as fake:
        fake.require_captcha("wall.post", redirect=True, answer=ANSWER, times=2)
        async with AsyncVK(token=TOKEN, base_url=fake.url, rate_limit=None, captcha_handler=handler) as vk:
            await vk.wall.post(owner_id=1, message="hi")
    assert [c.url == c.redirect_uri != "" for c in seen] == [True, True]


def test_classic_captcha_reaches_a_one_argument_handler_too() -> None:
    from apiforge.core.auth import Captcha

    seen: list[Captcha] = []

    def handler(captcha: Captcha) -> str:
        seen.append(captcha)
        return ANSWER

    with FakeVK(tokens={TOKEN}) as fake:
        fake.require_captcha("wall.post", answer=ANSWER)
        with VK(token=TOKEN, base_url=fake.url, rate_limit=None, captcha_handler=handler) as vk:
            vk.wall.post(owner_id=1, message="hi")
        replay = fake.calls_to("wall.post")[-1].params
    assert seen[0].redirect_uri == "" and seen[0].url == seen[0].img and seen[0].sid
    assert replay["captcha_key"] == ANSWER


def test_an_unanswered_redirect_captcha_raises_with_its_page() -> None:
    with FakeVK(tokens={TOKEN}) as fake:
        fake.require_captcha("wall.post", redirect=True)
        with VK(token=TOKEN, base_url=fake.url, rate_limit=None) as vk, pytest.raises(CaptchaNeeded) as caught:
            vk.wall.post(owner_id=1, message="hi")
    assert caught.value.redirect_uri.startswith("https://id.vk.com/")
    assert set(caught.value.retry_params("tok")) == {"success_token", "remixstlid"}
