"""Hostile response bodies: whatever a server sends, a call fails with a DecodeError naming its method.

Deep nesting made `json.loads` raise RecursionError, which escaped every client as a non-apiforge
error and killed the VK long poll and the Wialon AVL poller (which are documented never to give up).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from apiforge.core.errors import DecodeError
from apiforge.core.events import BotLongPoll
from apiforge.core.events.wialon_avl import AsyncAvlPoller, AvlPoller
from apiforge.testing import FakeVK
from apiforge.testing.wialon import DEFAULT_TOKEN, FakeWialon
from apiforge.vk import VK, AsyncVK
from apiforge.vk import decode_response as vk_decode
from apiforge.vk.updates import GroupJoin
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon import decode_response as wialon_decode
from apiforge.wialon.models.events import AvlEvent, AvlMessageEvent
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import SearchSpec, UpdateDataFlagsSpec, UpdateDataFlagsSpecType
from apiforge.yclients import AsyncYclients, Yclients
from apiforge.yclients import decode_response as yclients_decode
from tests.events.eventkit import GROUP_ID, NO_WAIT, TOKEN


def nested(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + b"1" + close * depth


HOSTILE: dict[str, bytes] = {
    "deep arrays": nested(100_000),
    "deep objects": nested(20_000, b'{"a":', b"}"),
    "deep inside an envelope": b'{"response":' + nested(5_000) + b',"success":true,"data":[],"items":[]}',
    "invalid UTF-8": b'{"response": "\xff\xfe\xfd"}',
    "a huge integer": b'{"response": ' + b"9" * 10_000 + b"}",
    "a float beyond range": b'{"response": [1e999], "data": [1e999], "items": [1e999]}',
    "NaN": b'{"response": NaN, "success": true, "data": NaN}',
    "Infinity": b'{"response": [-Infinity], "success": true, "data": [Infinity]}',
    "not JSON": b"<html><body>502 Bad Gateway</body></html>",
    "truncated": b'{"response": [{"id": 1, "first_na',
    "empty": b"",
}


def hostile_handler(body: bytes, target: Callable[[httpx.Request], bool], passthrough: Any = None) -> Any:
    """A handler that answers `target` requests with `body` (HTTP 200) and hands the others to `passthrough`."""

    def handle(request: httpx.Request) -> httpx.Response:
        if target(request):
            return httpx.Response(200, content=body)
        assert passthrough is not None, request.url
        response: httpx.Response = passthrough.handle_request(request)
        response.read()
        return response

    return handle


def async_hostile_handler(body: bytes, target: Callable[[httpx.Request], bool], passthrough: Any) -> Any:
    async def handle(request: httpx.Request) -> httpx.Response:
        if target(request):
            return httpx.Response(200, content=body)
        response: httpx.Response = await passthrough.handle_async_request(request)
        await response.aread()
        return response

    return handle


def svc(request: httpx.Request) -> str:
    return parse_qs(request.content.decode()).get("svc", [""])[0]


def is_search_items(request: httpx.Request) -> bool:
    return svc(request) == "core/search_items"


def is_avl_evts(request: httpx.Request) -> bool:
    return request.url.path == "/avl_evts"


def always(request: httpx.Request) -> bool:
    return True


SPEC = SearchSpec(items_type="avl_unit", prop_name="sys_name", prop_value_mask="*", sort_type="sys_name")


def sync_call(api: str, body: bytes) -> Callable[[], object]:
    if api == "vk":
        vk = VK(
            TOKEN,
            rate_limit=None,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(hostile_handler(body, always))),
        )
        return lambda: vk.users.get(user_ids=[1])
    if api == "yclients":
        yc = Yclients(
            "partner",
            rate_limit=None,
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(hostile_handler(body, always))),
        )
        return lambda: yc.companies.list()
    fake = FakeWialon(tokens={DEFAULT_TOKEN})
    handler = hostile_handler(body, is_search_items, fake.transport())
    w = Wialon(
        DEFAULT_TOKEN,
        base_url="http://fake",
        rate_limit=None,
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return lambda: w.core.search_items(spec=SPEC, force=1, flags=1, from_=0, to=0)


def async_call(api: str, body: bytes) -> Callable[[], Awaitable[object]]:
    if api == "vk":
        transport = httpx.MockTransport(hostile_handler(body, always))
        vk = AsyncVK(TOKEN, rate_limit=None, max_retries=0, http_client=httpx.AsyncClient(transport=transport))
        return lambda: vk.users.get(user_ids=[1])
    if api == "yclients":
        transport = httpx.MockTransport(hostile_handler(body, always))
        yc = AsyncYclients(
            "partner", rate_limit=None, max_retries=0, http_client=httpx.AsyncClient(transport=transport)
        )
        return lambda: yc.companies.list()
    fake = FakeWialon(tokens={DEFAULT_TOKEN})
    transport = httpx.MockTransport(async_hostile_handler(body, is_search_items, fake.async_transport()))
    w = AsyncWialon(
        DEFAULT_TOKEN,
        base_url="http://fake",
        rate_limit=None,
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport),
    )
    return lambda: w.core.search_items(spec=SPEC, force=1, flags=1, from_=0, to=0)


WIRE = {"vk": "users.get", "yclients": "GET /api/v1/companies", "wialon": "core/search_items"}


@pytest.mark.parametrize("api", sorted(WIRE))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_body_is_a_decode_error_naming_the_method_sync(api: str, name: str) -> None:
    call = sync_call(api, HOSTILE[name])
    with pytest.raises(DecodeError) as caught:
        call()
    assert caught.value.method == WIRE[api]
    assert str(caught.value).startswith(WIRE[api] + ": ")


@pytest.mark.parametrize("api", sorted(WIRE))
@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_a_hostile_body_is_a_decode_error_naming_the_method_async(api: str, name: str) -> None:
    call = async_call(api, HOSTILE[name])
    with pytest.raises(DecodeError) as caught:
        await call()
    assert caught.value.method == WIRE[api]


DECODERS: dict[str, tuple[Callable[..., object], str]] = {
    "vk": (vk_decode, "users.get"),
    "yclients": (yclients_decode, "GET /api/v1/companies"),
    "wialon": (wialon_decode, "core/search_items"),
}


@pytest.mark.parametrize("api", sorted(DECODERS))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_decode_response_turns_a_hostile_body_into_a_decode_error(api: str, name: str) -> None:
    decode, wire = DECODERS[api]
    with pytest.raises(DecodeError) as caught:
        decode(wire, HOSTILE[name])
    assert caught.value.method == wire


# The pollers: a hostile reply is logged, and the next poll goes on.


def is_longpoll(request: httpx.Request) -> bool:
    return request.url.path.startswith("/longpoll/")


class Hostile:
    """Answers the first `times` requests matching `target` with hostile bodies, one of each kind in turn."""

    def __init__(self, target: Callable[[httpx.Request], bool], times: int) -> None:
        self.target = target
        self.left = times
        self.bodies = list(HOSTILE.values())

    def __call__(self, request: httpx.Request) -> bool:
        if not self.target(request) or self.left == 0:
            return False
        self.left -= 1
        return True

    def body(self) -> bytes:
        return self.bodies[self.left % len(self.bodies)]


def rotating_handler(hostile: Hostile, passthrough: Any) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        if hostile(request):
            return httpx.Response(200, content=hostile.body())
        response: httpx.Response = passthrough.handle_request(request)
        response.read()
        return response

    return handle


def async_rotating_handler(hostile: Hostile, passthrough: Any) -> Any:
    async def handle(request: httpx.Request) -> httpx.Response:
        if hostile(request):
            return httpx.Response(200, content=hostile.body())
        response: httpx.Response = await passthrough.handle_async_request(request)
        await response.aread()
        return response

    return handle


def test_bot_long_poll_survives_every_hostile_body_sync(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeVK(tokens={TOKEN})
    hostile = Hostile(is_longpoll, len(HOSTILE))
    http = httpx.Client(transport=httpx.MockTransport(rotating_handler(hostile, fake.transport())))
    pushed = [fake.longpoll.push("group_join", {"user_id": n, "join_type": "join"}) for n in range(1, 4)]
    with VK(token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http) as vk:
        poll = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
        with caplog.at_level(logging.WARNING, logger="apiforge.events"):
            got = [update for _, update in zip(range(3), poll, strict=False)]
    assert [u.event_id for u in got] == [e["event_id"] for e in pushed]
    assert all(isinstance(u, GroupJoin) for u in got)
    assert hostile.left == 0 and poll.reconnects == len(HOSTILE)
    assert sum("DecodeError" in r.getMessage() or "body" in r.getMessage() for r in caplog.records) >= len(HOSTILE)


async def test_bot_long_poll_survives_every_hostile_body_async() -> None:
    fake = FakeVK(tokens={TOKEN})
    hostile = Hostile(is_longpoll, len(HOSTILE))
    http = httpx.AsyncClient(transport=httpx.MockTransport(async_rotating_handler(hostile, fake.async_transport())))
    pushed = [fake.longpoll.push("group_join", {"user_id": n, "join_type": "join"}) for n in range(1, 4)]
    async with AsyncVK(
        token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, http_client=http
    ) as vk:
        poll = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
        got = []
        async for update in poll:
            got.append(update)
            if len(got) == 3:
                break
    assert [u.event_id for u in got] == [e["event_id"] for e in pushed]
    assert hostile.left == 0 and poll.reconnects == len(HOSTILE)


def test_bot_long_poll_survives_a_hostile_server_answer() -> None:
    # groups.getLongPollServer itself answers garbage: the poller backs off and asks again.
    fake = FakeVK(tokens={TOKEN})
    hostile = Hostile(lambda r: r.url.path == "/method/groups.getLongPollServer", 3)
    http = httpx.Client(transport=httpx.MockTransport(rotating_handler(hostile, fake.transport())))
    pushed = fake.longpoll.push("group_join", {"user_id": 7, "join_type": "join"})
    with VK(
        token=TOKEN, token_kind="group", base_url="http://fake", rate_limit=None, max_retries=0, http_client=http
    ) as vk:
        poll = BotLongPoll(vk, group_id=GROUP_ID, retry=NO_WAIT, ts="1")
        update = next(iter(poll))
    assert update.event_id == pushed["event_id"]
    assert hostile.left == 0 and poll.reconnects == 3


TRACKED = UpdateDataFlagsSpec(
    type=UpdateDataFlagsSpecType.COL,
    data=[734455],
    flags=UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION,
    mode=UpdateDataFlagsMode.ADD,
)


def test_avl_poller_survives_every_hostile_body_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeWialon(tokens={DEFAULT_TOKEN})
    hostile = Hostile(is_avl_evts, len(HOSTILE))
    http = httpx.Client(transport=httpx.MockTransport(rotating_handler(hostile, fake.transport())))
    with Wialon(DEFAULT_TOKEN, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http) as w:
        got: list[AvlEvent] = []
        polls: list[int] = []

        def tick(seconds: float) -> None:
            polls.append(len(got))
            if hostile.left == 0 and not got:
                fake.push_message(734455, x=37.5, y=55.5)
            if got or len(polls) > 100:
                poller.stop()

        poller = AvlPoller(w, interval=1, sleep=tick, clock=lambda: 0.0)
        poller.on()(got.append)
        poller.subscribe(TRACKED)
        with caplog.at_level(logging.WARNING, logger="apiforge.events"):
            poller.run()  # returns only when stopped: a hostile body must not end it
    assert hostile.left == 0
    assert any(isinstance(e, AvlMessageEvent) and e.i == 734455 for e in got)
    warnings = [r.getMessage() for r in caplog.records if "poll failed" in r.getMessage()]
    assert len(warnings) == len(HOSTILE) and all("avl_evts" in m for m in warnings)


async def test_async_avl_poller_survives_every_hostile_body_and_goes_on() -> None:
    fake = FakeWialon(tokens={DEFAULT_TOKEN})
    hostile = Hostile(is_avl_evts, len(HOSTILE))
    http = httpx.AsyncClient(transport=httpx.MockTransport(async_rotating_handler(hostile, fake.async_transport())))
    async with AsyncWialon(
        DEFAULT_TOKEN, base_url="http://fake", rate_limit=None, max_retries=0, http_client=http
    ) as w:
        got: list[AvlEvent] = []
        ticks: list[float] = []

        async def tick(seconds: float) -> None:
            ticks.append(seconds)
            if hostile.left == 0 and not got:
                fake.push_message(734455, x=37.5, y=55.5)
            if got or len(ticks) > 100:
                await poller.stop()

        poller = AsyncAvlPoller(w, interval=1, sleep=tick, clock=lambda: 0.0)
        poller.on()(got.append)
        poller.subscribe(TRACKED)
        await asyncio.wait_for(poller.run(), timeout=120)
    assert hostile.left == 0
    assert any(isinstance(e, AvlMessageEvent) and e.i == 734455 for e in got)


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400", b"1" + b"0" * 400 + b".0"])
def test_a_number_json_cannot_hold_is_refused_where_any_value_would_do(number: bytes) -> None:
    # `execute` returns whatever the VKScript returns: before, NaN and inf came back as Python floats.
    body = b'{"response": {"value": [' + number + b"]}}"
    with pytest.raises(DecodeError, match=r"^execute: \$: the body holds a number out of range"):
        vk_decode("execute", body)
    assert vk_decode("execute", b'{"response": {"value": [1e300, -2.5e-300, 12]}}') == {"value": [1e300, -2.5e-300, 12]}


# Bodies posted to us: anyone can post to a callback or webhook URL.


@pytest.mark.parametrize("body", [nested(100_000), nested(20_000, b'{"a":', b"}")])
def test_a_deeply_nested_callback_or_webhook_is_refused_with_their_error(body: bytes) -> None:
    from apiforge.core.events.vk_callback import CallbackError, parse_callback
    from apiforge.core.events.yclients_webhooks import WebhookError, parse_webhook

    with pytest.raises(CallbackError, match="nested too deeply"):
        parse_callback(body, secret=None, confirmation="x")
    with pytest.raises(WebhookError, match="nested too deeply"):
        parse_webhook(body)


def test_a_deeply_nested_oauth_answer_is_a_decode_error() -> None:
    from apiforge.core.auth.vk_oauth import parse_grant_response

    with pytest.raises(DecodeError):
        parse_grant_response(httpx.Response(200, content=nested(100_000)))
