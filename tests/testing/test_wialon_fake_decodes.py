"""Every answer of FakeWialon decodes into the generated Wialon models.

Stateful services are driven through real clients (real HTTP, the plugin's `fake_wialon` /
`wialon` / `async_wialon`); every service the fake answers generically is called in-process with
its required arguments only, built from its signature.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from apiforge.core.events.wialon_avl import AvlPoller
from apiforge.testing import FakeWialon
from apiforge.wialon import METHODS, AsyncWialon, Wialon
from apiforge.wialon.errors import InvalidCredentialsError
from apiforge.wialon.models.common import BatchCall
from apiforge.wialon.models.events import AvlEvent, AvlMessageEvent, AvlUpdateEvent
from apiforge.wialon.models.flags import UnitDataFlags, UpdateDataFlagsMode
from apiforge.wialon.models.search import ItemsType, SearchSpec, UpdateDataFlagsSpec, UpdateDataFlagsSpecType

from .support import FILE_CONTENT, call_checked, decoding_problems, expected_type

TRUCK = 734455
FLAGS = UnitDataFlags.BASE | UnitDataFlags.LAST_MESSAGE_AND_POSITION
GENERIC = sorted(set(METHODS) - set(FakeWialon().services) - {"token/login", "core/use_auth_hash"})


def test_search_and_messages_decode_over_http(fake_wialon: FakeWialon, wialon: Wialon) -> None:
    item = call_checked(wialon, METHODS, "core/search_item", id=TRUCK, flags=int(FLAGS)).item
    assert (item.nm, item.pos is not None) == ("Truck 01", True)
    spec = SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="Truck*", sort_type="sys_name")
    found = call_checked(wialon, METHODS, "core/search_items", spec=spec, force=1, flags=int(FLAGS), from_=0, to=0)
    assert [i.nm for i in found.items] == ["Truck 01", "Truck 02"]
    fake_wialon.push_message(TRUCK, x=37.7, y=55.8, t=1_700_000_500, speed=20)
    loaded = call_checked(
        wialon,
        METHODS,
        "messages/load_interval",
        item_id=TRUCK,
        time_from=0,
        time_to=2_000_000_000,
        flags=0,
        flags_mask=0,
        load_count=0xFFFFFFFF,
    )
    assert loaded.count == 2
    call_checked(
        wialon,
        METHODS,
        "messages/load_last",
        item_id=TRUCK,
        last_time=2_000_000_000,
        last_count=1,
        flags=0,
        flags_mask=0,
        load_count=1,
    )
    call_checked(wialon, METHODS, "messages/get_messages", index_from=0, index_to=0)
    call_checked(wialon, METHODS, "messages/unload")


def test_sessions_batch_files_and_uploads_decode_over_http(fake_wialon: FakeWialon, wialon: Wialon) -> None:
    results = call_checked(
        wialon,
        METHODS,
        "core/batch",
        params=[
            BatchCall(svc="core/search_item", params={"id": TRUCK, "flags": 1}),
            BatchCall(svc="core/search_item", params={"id": 1, "flags": 1}),
        ],
    )
    assert results[1] == {"error": 7}
    call_checked(wialon, METHODS, "core/duplicate")
    call_checked(wialon, METHODS, "unit/upload_image", item_id=TRUCK, file=FILE_CONTENT)
    call_checked(wialon, METHODS, "file/put", item_id=TRUCK, storage_type=1, path="/a.txt", file=b"hello")
    read = call_checked(wialon, METHODS, "file/read", item_id=TRUCK, storage_type=1, path="/a.txt")
    assert read.content == "hello"
    assert [u.svc for u in fake_wialon.uploads] == ["unit/upload_image", "file/put"]


def test_avl_events_decode_into_typed_events(fake_wialon: FakeWialon, wialon: Wialon) -> None:
    got: list[AvlEvent] = []
    poller = AvlPoller(wialon, sink=got.append, sleep=lambda seconds: None)
    registered = call_checked(
        wialon,
        METHODS,
        "core/update_data_flags",
        spec=[
            UpdateDataFlagsSpec(
                type=UpdateDataFlagsSpecType.COL, data=[TRUCK], flags=int(FLAGS), mode=UpdateDataFlagsMode.ADD
            )
        ],
    )
    assert [r.i for r in registered] == [TRUCK]
    fake_wialon.push_message(TRUCK, x=37.7, y=55.8, speed=20, params={"fuel": 40})
    assert poller.poll_once() == 2
    message, update = got
    assert isinstance(message, AvlMessageEvent) and message.d.p == {"fuel": 40}
    assert isinstance(update, AvlUpdateEvent)


async def test_the_async_client_decodes_the_same(fake_wialon: FakeWialon, async_wialon: AsyncWialon) -> None:
    found = await async_wialon.core.search_item(id=TRUCK, flags=int(FLAGS))
    assert not decoding_problems(found, expected_type(METHODS["core/search_item"].spec, {}))
    status = await async_wialon.report.get_report_status()
    assert not decoding_problems(status, expected_type(METHODS["report/get_report_status"].spec, {}))


@pytest.fixture(scope="module")
def inprocess_wialon() -> Iterator[Wialon]:
    fake = FakeWialon()
    with (
        httpx.Client(transport=fake.transport()) as http,
        Wialon(fake.token, base_url="http://fake", max_retries=0, http_client=http) as client,
    ):
        yield client


def test_an_auth_hash_logs_in_once(inprocess_wialon: Wialon) -> None:
    # core/use_auth_hash is a login: it needs no session, and the hash is good for one login.
    auth_hash = call_checked(inprocess_wialon, METHODS, "core/create_auth_hash").auth_hash
    login = call_checked(inprocess_wialon, METHODS, "core/use_auth_hash", auth_hash=auth_hash)
    assert login.eid
    with pytest.raises(InvalidCredentialsError):
        inprocess_wialon.core.use_auth_hash(auth_hash=auth_hash)


def test_the_generic_services_are_the_catalogue_minus_the_stateful_ones() -> None:
    assert "report/get_report_status" in GENERIC and "core/search_items" not in GENERIC
    assert len(GENERIC) > 150


@pytest.mark.parametrize("svc", GENERIC)
def test_every_generic_answer_decodes(svc: str, inprocess_wialon: Wialon) -> None:
    call_checked(inprocess_wialon, METHODS, svc)
