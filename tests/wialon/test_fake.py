"""FakeWialon's own behaviour: search, data flags, messages, sessions, batch, and a valid answer for every service."""

from __future__ import annotations

import json

import httpx
import pytest

from apiforge.core.call import Call
from apiforge.testing.wialon import FakeWialon, FileAnswer, minimal_answer
from apiforge.wialon import METHODS, decode_response
from apiforge.wialon.errors import AccessDeniedError, InvalidInputError
from apiforge.wialon.models.account import AccountData
from apiforge.wialon.models.common import BatchCall
from apiforge.wialon.models.flags import UpdateDataFlagsMode
from apiforge.wialon.models.reports import ReportStatusResult
from apiforge.wialon.models.search import ItemsType, SearchSpec, UpdateDataFlagsSpec, UpdateDataFlagsSpecType

from .support import TOKEN, UNIT, ManualClock, aconnect, connect

VAN = UNIT + 2


def spec(mask: str = "*", *, items_type: ItemsType | str = ItemsType.UNIT, prop: str = "sys_name") -> SearchSpec:
    return SearchSpec(items_type=items_type, prop_name=prop, prop_value_mask=mask, sort_type="sys_name")


def flags_spec(data: object, flags: int, mode: UpdateDataFlagsMode, kind: str = "id") -> UpdateDataFlagsSpec:
    return UpdateDataFlagsSpec(type=UpdateDataFlagsSpecType(kind), data=data, flags=flags, mode=mode)


def open_session(fake: FakeWialon) -> str:
    login = fake.answer("token/login", {"token": fake.token, "fl": 1}, None)
    assert isinstance(login, dict)
    sid: str = login["eid"]
    return sid


# Search.


@pytest.mark.parametrize(
    ("mask", "names"),
    [
        ("*", ["Truck 01", "Truck 02", "Van 01"]),
        ("truck*", ["Truck 01", "Truck 02"]),
        ("*01", ["Truck 01", "Van 01"]),
        ("van*,*02", ["Truck 02", "Van 01"]),
        ("bus*", []),
    ],
)
def test_search_masks(mask: str, names: list[str], fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        found = w.core.search_items(spec=spec(mask), force=1, flags=1, from_=0, to=0)
    assert [item.nm for item in found.items] == names
    assert found.total_items_count == len(names)


def test_search_by_id_and_by_type(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        by_id = w.core.search_items(spec=spec(str(VAN), prop="sys_id"), force=1, flags=1, from_=0, to=0)
        resources = w.core.search_items(spec=spec(items_type=ItemsType.RESOURCE), force=1, flags=1, from_=0, to=0)
        users = w.core.search_items(spec=spec(items_type="user"), force=1, flags=1, from_=0, to=0)
    assert [item.id for item in by_id.items] == [VAN]
    assert [item.nm for item in resources.items] == ["Fleet resource"]
    assert [item.nm for item in users.items] == ["demo"]


@pytest.mark.parametrize(
    ("flags", "present", "absent"),
    [
        (0x1, {"nm", "cls", "mu", "uacl"}, {"prp", "pos", "lmsg", "uid"}),
        (0x2, {"prp"}, {"nm", "pos"}),
        (0x100, {"uid", "hw"}, {"nm"}),
        (0x400, {"pos", "lmsg"}, {"nm"}),
        (0x400000, {"pos"}, {"lmsg"}),
    ],
)
def test_data_flags_shape_the_items(
    flags: int, present: set[str], absent: set[str], fake: FakeWialon, mode: str
) -> None:
    body = fake.answer("core/search_item", {"id": UNIT, "flags": flags}, open_session(fake))
    assert isinstance(body, dict)
    item = body["item"]
    assert present <= set(item)
    assert not absent & set(item)
    decode_response("core/search_item", body)


def test_unknown_item_is_access_denied(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, max_retries=0) as w, pytest.raises(AccessDeniedError):
        w.core.search_item(id=1, flags=1)


# core/update_data_flags.


def test_update_data_flags_modes(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        added = w.core.update_data_flags(spec=[flags_spec(UNIT, 0x1, UpdateDataFlagsMode.ADD)])
        more = w.core.update_data_flags(spec=[flags_spec([UNIT, VAN], 0x400, UpdateDataFlagsMode.ADD, "col")])
        (session,) = fake.sessions.values()
        assert session.flags == {UNIT: 0x401, VAN: 0x400}
        replaced = w.core.update_data_flags(spec=[flags_spec(VAN, 0x1, UpdateDataFlagsMode.SET)])
        removed = w.core.update_data_flags(spec=[flags_spec(UNIT, 0x1, UpdateDataFlagsMode.REMOVE)])
        typed = w.core.update_data_flags(spec=[flags_spec("avl_unit", 0x1, UpdateDataFlagsMode.ADD, "type")])

    assert [(r.i, r.f) for r in added] == [(UNIT, 0x1)]
    assert added[0].d is not None and added[0].d.nm == "Truck 01"
    assert [(r.i, r.f) for r in more] == [(UNIT, 0x401), (VAN, 0x400)]
    assert [(r.i, r.f) for r in replaced] == [(VAN, 0x1)]
    assert [(r.i, r.f, r.d) for r in removed] == [(UNIT, 0, None)]  # removing the base flag drops the item
    assert sorted(r.i for r in typed) == [UNIT, UNIT + 1, VAN]


def test_update_data_flags_rejects_bad_specs(fake: FakeWialon, mode: str) -> None:
    sid = open_session(fake)
    assert fake.answer("core/update_data_flags", {"spec": [{"type": "id", "data": "x", "flags": 1}]}, sid) == {
        "error": 4
    }
    assert fake.answer("core/update_data_flags", {"spec": "nope"}, sid) == {"error": 4}


# Messages.


def test_messages_loader(fake: FakeWialon, mode: str) -> None:
    for t in (1_700_000_500, 1_700_000_600, 1_700_000_700):
        fake.push_message(UNIT, x=1.0, y=2.0, t=t, speed=t % 1000)
    with connect(fake, mode) as w:
        loaded = w.messages.load_interval(
            item_id=UNIT, time_from=1_700_000_000, time_to=1_700_000_650, flags=0x1, flags_mask=0xFF01, load_count=1
        )
        assert loaded.count == 3  # the initial position at 1_700_000_000, then 500 and 600
        assert [m.t for m in loaded.messages] == [1_700_000_000]
        page = w.messages.get_messages(index_from=1, index_to=2)
        assert [m.t for m in page] == [1_700_000_500, 1_700_000_600]
        last = w.messages.load_last(
            item_id=UNIT, last_time=1_700_000_700, last_count=2, flags=0, flags_mask=0, load_count=0xFFFFFFFF
        )
        assert [m.t for m in last.messages] == [1_700_000_600, 1_700_000_700]
        assert last.messages[1].pos is not None and last.messages[1].pos.s == 700
        w.messages.unload()
        assert w.messages.get_messages(index_from=0, index_to=10) == []
        none = w.messages.load_interval(
            item_id=UNIT, time_from=0, time_to=10, flags=0, flags_mask=0, load_count=0xFFFFFFFF
        )
        assert (none.count, none.messages) == (0, [])


def test_push_message_moves_the_unit(fake: FakeWialon, mode: str) -> None:
    message = fake.push_message(VAN, x=10.5, y=20.25, t=1_800_000_000, speed=88, params={"ign": 1})
    with connect(fake, mode) as w:
        item = w.core.search_item(id=VAN, flags=0x401).item
    assert message["pos"]["x"] == 10.5
    assert item.pos is not None and (item.pos.x, item.pos.y, item.pos.s, item.pos.t) == (10.5, 20.25, 88, 1_800_000_000)
    assert item.lmsg is not None and item.lmsg.p == {"ign": 1}


def test_loading_messages_of_an_unknown_unit_fails(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode, max_retries=0) as w, pytest.raises(AccessDeniedError):
        w.messages.load_interval(item_id=1, time_from=0, time_to=1, flags=0, flags_mask=0, load_count=1)


# Sessions.


def test_wrong_token_and_absent_session(fake: FakeWialon, mode: str) -> None:
    assert fake.answer("token/login", {"token": "x" * 72, "fl": 1}, None) == {"error": 8}
    assert fake.answer("core/search_item", {"id": UNIT, "flags": 1}, "no-such-session") == {"error": 1}
    assert fake.answer("core/no_such_service", {}, None) == {"error": 2, "reason": "Invalid service name"}


def test_idle_sessions_expire_on_the_fake_clock(clock: ManualClock) -> None:
    fake = FakeWialon(clock=clock, session_timeout=60)
    sid = open_session(fake)
    clock.advance(59)
    assert "item" in fake.answer("core/search_item", {"id": UNIT, "flags": 1}, sid)  # type: ignore[operator]
    clock.advance(61)
    assert fake.answer("core/search_item", {"id": UNIT, "flags": 1}, sid) == {"error": 1}
    assert sid not in fake.sessions


def test_avl_evts_needs_a_live_session(fake: FakeWialon, mode: str) -> None:
    http = httpx.Client(transport=fake.transport())
    answer = http.post("http://fake/avl_evts", data={"sid": "nope"}).json()
    assert answer == {"error": 1}
    login = http.post(
        "http://fake/wialon/ajax.html", data={"svc": "token/login", "params": json.dumps({"token": TOKEN})}
    ).json()
    polled = http.get("http://fake/avl_evts", params={"sid": login["eid"]}).json()  # GET works too
    assert polled == {"tm": int(fake.clock()), "events": []}
    assert fake.calls[0].params["sid"] == "***"


# Batch.


def test_batch_with_a_failing_call(fake: FakeWialon, mode: str) -> None:
    calls = [
        BatchCall(svc="core/search_item", params={"id": UNIT, "flags": 1}),
        BatchCall(svc="core/search_item", params={"id": 1, "flags": 1}),  # unknown item: error 7
        BatchCall(svc="core/search_item", params={"id": VAN, "flags": 1}),
    ]
    with connect(fake, mode) as w:
        every = w.core.batch(params=calls)
        stopped = w.core.batch(params=calls, flags=1)
    first, failed, third = every
    assert isinstance(first, dict) and isinstance(third, dict)
    assert first["item"]["nm"] == "Truck 01" and third["item"]["nm"] == "Van 01"
    assert failed == {"error": 7}
    assert stopped[1:] == [{"error": 7}, {"error": 10}]  # flags=1: everything after the failure gets error 10


# Every other service.


@pytest.mark.parametrize("svc", sorted(METHODS))
def test_every_service_answers_a_value_of_its_result_type(svc: str) -> None:
    answer = minimal_answer(svc)
    if isinstance(answer, FileAnswer):
        assert METHODS[svc].result == "bytes"
        return
    decode_response(svc, answer)


async def test_generic_services_through_the_async_client(fake: FakeWialon, mode: str) -> None:
    async with aconnect(fake, mode) as w:
        status = await w.report.get_report_status()
        accounts = await w.account.get_account_data(item_id=1, type=1)
        exported = await w.exchange.export_json(json={}, file_name="x.wlp")
    assert isinstance(status, ReportStatusResult)
    assert isinstance(accounts, AccountData)
    assert exported == b""  # a file service answers with an (empty) attachment
    assert [c.method for c in fake.calls][1:4] == [
        "report/get_report_status",
        "account/get_account_data",
        "exchange/export_json",
    ]


def test_bad_params_text_is_invalid_input(fake: FakeWialon, mode: str) -> None:
    http = httpx.Client(transport=fake.transport())
    body = http.post("http://fake/wialon/ajax.html", data={"svc": "core/search_item", "params": "{oops"}).json()
    assert body == {"error": 4, "reason": "params is not a JSON object"}
    with connect(fake, mode, max_retries=0) as w, pytest.raises(InvalidInputError):
        w.request(Call(spec=METHODS["core/search_item"].spec, params={"id": "x", "flags": 1}))
