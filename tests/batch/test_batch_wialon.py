"""`with w.batch() as b:` against FakeWialon: one core/batch request, per-call results and typed errors."""

from __future__ import annotations

import pytest

from apiforge.core.batch import NotBatchableError
from apiforge.testing import FakeWialon
from apiforge.wialon import AsyncWialon, Wialon
from apiforge.wialon.errors import AccessDeniedError, ConcurrencyLimitError
from apiforge.wialon.methods.core import _CORE_DUPLICATE, _CORE_LOGOUT
from apiforge.wialon.models.search import ItemsType, SearchItemResult, SearchItemsResult, SearchSpec

TRUCK_1, TRUCK_2, MISSING = 734455, 734456, 1


def batch_requests(fake: FakeWialon) -> list[dict[str, object]]:
    """The `params` of every core/batch request the fake received."""
    return [dict(call.params["params"]) for call in fake.calls_to("core/batch")]


def test_stop_on_error_off_runs_every_call(wialon: Wialon, fake_wialon: FakeWialon) -> None:
    with wialon.batch() as b:
        first = b.core.search_item(id=TRUCK_1, flags=1)
        missing = b.core.search_item(id=MISSING, flags=1)
        last = b.core.search_item(id=TRUCK_2, flags=1)
        units = b.core.search_items(
            spec=SearchSpec(items_type=ItemsType.UNIT, prop_name="sys_name", prop_value_mask="Truck*", sort_type=""),
            force=1,
            flags=1,
            from_=0,
            to=0,
        )

    assert [c.method for c in fake_wialon.calls] == ["token/login", "core/batch"]
    (request,) = batch_requests(fake_wialon)
    assert request["flags"] == 0
    assert request["params"] == [
        {"svc": "core/search_item", "params": {"id": TRUCK_1, "flags": 1}},
        {"svc": "core/search_item", "params": {"id": MISSING, "flags": 1}},
        {"svc": "core/search_item", "params": {"id": TRUCK_2, "flags": 1}},
        {
            "svc": "core/search_items",
            "params": {
                "spec": {"itemsType": "avl_unit", "propName": "sys_name", "propValueMask": "Truck*", "sortType": ""},
                "force": 1,
                "flags": 1,
                "from": 0,
                "to": 0,
            },
        },
    ]
    assert isinstance(first.result(), SearchItemResult)
    assert first.result().item.nm == "Truck 01"
    with pytest.raises(AccessDeniedError) as error:
        missing.result()
    assert (error.value.code, error.value.method) == (7, "core/search_item")
    assert last.result().item.nm == "Truck 02"  # the failure hides nothing after it
    assert isinstance(units.result(), SearchItemsResult)
    assert [u.nm for u in units.result().items] == ["Truck 01", "Truck 02"]


def test_stop_on_error_on_gives_later_calls_their_own_error_10(wialon: Wialon, fake_wialon: FakeWialon) -> None:
    with wialon.batch(stop_on_error=True) as b:
        first = b.core.search_item(id=TRUCK_1, flags=1)
        missing = b.core.search_item(id=MISSING, flags=1)
        skipped = [b.core.search_item(id=TRUCK_2, flags=1) for _ in range(2)]

    (request,) = batch_requests(fake_wialon)
    assert request["flags"] == 1
    assert first.result().item.nm == "Truck 01"
    assert isinstance(missing.exception(), AccessDeniedError)
    for pending in skipped:
        error = pending.exception()
        assert isinstance(error, ConcurrencyLimitError)
        assert error.code == 10
        assert error.details["skipped"] is True
        assert "not run: an earlier call of the batch failed" in str(error)
    assert skipped[0].exception() is not skipped[1].exception()


def test_non_batchable_services_are_refused_before_sending(wialon: Wialon, fake_wialon: FakeWialon) -> None:
    with wialon.batch() as b:
        assert not hasattr(b.core, "duplicate")  # not offered by type
        assert not hasattr(b.core, "logout")
        for spec in (_CORE_DUPLICATE, _CORE_LOGOUT):
            with pytest.raises(NotBatchableError, match=rf"{spec.name}: cannot be batched"):
                b.add(spec.call({}))
        kept = b.core.search_item(id=TRUCK_1, flags=1)
    assert [c.method for c in fake_wialon.calls] == ["token/login", "core/search_item"]
    assert kept.result().item.nm == "Truck 01"


def test_an_expired_session_is_renewed_and_the_batch_replayed(wialon: Wialon, fake_wialon: FakeWialon) -> None:
    wialon.core.search_item(id=TRUCK_1, flags=1)
    fake_wialon.expire_session()
    with wialon.batch() as b:
        pending = [b.core.search_item(id=unit, flags=1) for unit in (TRUCK_1, TRUCK_2)]

    assert [c.method for c in fake_wialon.calls] == [
        "token/login",
        "core/search_item",
        "core/batch",  # error 1: the session is gone
        "token/login",
        "core/batch",
    ]
    assert [p.result().item.nm for p in pending] == ["Truck 01", "Truck 02"]


async def test_async_batch_with_and_without_stop_on_error(awialon: AsyncWialon, fake_wialon: FakeWialon) -> None:
    async with awialon.batch() as b:
        missing = b.core.search_item(id=MISSING, flags=1)
        after = b.core.search_item(id=TRUCK_2, flags=1)
    assert isinstance(missing.exception(), AccessDeniedError)
    assert (await after).item.nm == "Truck 02"

    async with awialon.batch(stop_on_error=True) as b:
        missing = b.core.search_item(id=MISSING, flags=1)
        after = b.core.search_item(id=TRUCK_2, flags=1)
    assert isinstance(missing.exception(), AccessDeniedError)
    with pytest.raises(ConcurrencyLimitError):
        await after
    assert [r["flags"] for r in batch_requests(fake_wialon)] == [0, 1]
