"""Pagination: `Page[T]`, the sans-IO `Paginator` behind the `iter_*` methods, and what is generated for them."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from apiforge.core import MethodSpec, Page, Param
from apiforge.core.pagination import Paginator, page_item_type, total_of
from apiforge.core.pipeline import decode
from apiforge.core.protocols.yclients import YclientsProtocol
from apiforge.yclients import METHODS
from apiforge.yclients.errors import error_class
from apiforge.yclients.methods.clients import AsyncClientsMethods, ClientsMethods
from apiforge.yclients.models import ClientsListItem, ClientsSearchItem, CompanyCompanyidClientsSearchRequestDataTypes

QUERY: MethodSpec[Page[ClientsListItem]] = MethodSpec(
    api="yclients",
    name="GET /api/v1/clients/{company_id}",
    params=(Param("company_id", "path"), Param("page", "query"), Param("count", "query"), Param("phone", "query")),
    result=Page[ClientsListItem],
    pagination={"page": "page", "size": "count", "in": "query", "first_page": 1, "max_size": None, "total": ["count"]},
)
BODY: MethodSpec[Page[ClientsSearchItem]] = MethodSpec(
    api="yclients",
    name="POST /api/v1/company/{company_id}/clients/search",
    params=(Param("company_id", "path"),),
    result=Page[ClientsSearchItem],
    pagination={"page": "page", "size": "page_size", "in": "body", "max_size": 200, "total": ["total_count"]},
    has_body=True,
)


def page(n: int, total: int | None = None) -> Page[int]:
    return Page(range(n), total=total)


# Page


def test_page_is_a_list_with_meta_and_total() -> None:
    items = Page([1, 2], meta={"page": 1, "total_count": 9}, total=9)
    assert items == [1, 2] and isinstance(items, list)
    assert items.meta == {"page": 1, "total_count": 9} and items.total == 9
    assert repr(items) == "Page([1, 2], total=9)"
    assert Page().meta == {} and Page().total is None


def test_total_of_follows_the_spec_keys() -> None:
    assert total_of({"total_count": 7, "count": 3}, ["total_count", "count"]) == 7
    assert total_of({"count": 3}, ["total_count", "count"]) == 3
    assert total_of({"count": "12"}, ["count"]) == 12  # sent as text by some endpoints
    assert total_of({"count": True, "page": 1}, ["count"]) is None
    assert total_of({}, ["total_count"]) is None


def test_page_item_type() -> None:
    assert page_item_type(Page[ClientsSearchItem]) is ClientsSearchItem
    assert page_item_type(list[ClientsSearchItem]) is None


def test_decode_makes_a_typed_page_with_the_total_the_spec_names() -> None:
    protocol = YclientsProtocol(base_url="http://x", error_class=error_class, partner_token="p")
    body = {"success": True, "data": [{"id": 1, "name": "Ann"}], "meta": {"total_count": 40, "count": 1}}
    payload = protocol.parse_body(BODY.name, body)
    result = decode(BODY.call({"company_id": 1}), payload)
    assert isinstance(result, Page) and result == [ClientsSearchItem(id=1, name="Ann")]
    assert result.total == 40 and result.meta == {"total_count": 40, "count": 1}
    # the same body read by a method whose total is meta.count
    assert decode(QUERY.call({"company_id": 1}), protocol.parse_body(QUERY.name, body)).total == 1


def test_a_page_of_raw_items_is_a_plain_list_to_other_result_types() -> None:
    protocol = YclientsProtocol(base_url="http://x", error_class=error_class, partner_token="p")
    payload = protocol.parse_body("m", {"success": True, "data": [{"id": 1}], "meta": []})
    spec: MethodSpec[object] = MethodSpec(api="yclients", name="GET /x")
    result = decode(spec.call({}), payload)
    assert result == [{"id": 1}] and type(result) is list


# The planner


def test_query_paging_asks_page_after_page_until_the_total() -> None:
    pages = Paginator(QUERY, {"company_id": 7, "phone": "79"}, page_size=10)
    first = pages.next_call()
    assert first is not None
    assert first.query == {"page": "1", "count": "10", "phone": "79"} and first.path_params == {"company_id": "7"}
    pages.received(page(10, total=25))
    second = pages.next_call()
    assert second is not None and second.query["page"] == "2"
    pages.received(page(10, total=25))
    third = pages.next_call()
    assert third is not None and third.query["page"] == "3"
    pages.received(page(5, total=25))
    assert pages.next_call() is None


def test_the_total_wins_over_a_short_page() -> None:
    pages = Paginator(QUERY, {"company_id": 7}, page_size=10)
    pages.received(page(8, total=30))  # the server capped the size; 22 more are due
    assert pages.next_call() is not None
    pages.received(page(22, total=30))
    assert pages.next_call() is None


def test_without_a_total_a_short_page_is_the_last() -> None:
    pages = Paginator(QUERY, {"company_id": 7}, page_size=10)
    pages.received(page(10))
    assert pages.next_call() is not None
    pages.received(page(3))
    assert pages.next_call() is None


def test_an_empty_page_is_the_last() -> None:
    pages = Paginator(QUERY, {"company_id": 7}, page_size=10)
    pages.received(page(10))
    pages.received(page(0, total=100))  # even when the total promised more
    assert pages.next_call() is None


def test_without_a_size_the_server_default_is_used_until_an_empty_page() -> None:
    pages = Paginator(QUERY, {"company_id": 7})
    call = pages.next_call()
    assert call is not None and "count" not in call.query
    pages.received(page(3))  # no size asked: a short page proves nothing
    assert pages.next_call() is not None
    pages.received(page(0))
    assert pages.next_call() is None


def test_body_paging_puts_page_and_size_into_the_body() -> None:
    pages = Paginator(BODY, {"company_id": 1}, {"fields": ["phone"], "order_by": None, "page": 9})
    call = pages.next_call()
    assert call is not None
    assert call.body == {"fields": ["phone"], "page": 1, "page_size": 200}  # the method's largest page
    assert call.query == {}
    pages.received(page(200, total=250))
    again = pages.next_call()
    assert again is not None and again.body == {"fields": ["phone"], "page": 2, "page_size": 200}


def test_body_paging_accepts_a_request_model() -> None:
    model = CompanyCompanyidClientsSearchRequestDataTypes(fields=["name"], page_size=5)
    call = Paginator(BODY, {"company_id": 1}, model, page_size=50).next_call()
    assert call is not None
    assert call.body == {"fields": ["name"], "page": 1, "page_size": 50}


@pytest.mark.parametrize("size", [0, -3, True, 2.5, "10", 201])
def test_a_bad_page_size_names_method_and_value(size: Any) -> None:
    with pytest.raises(ValueError, match=r"POST /api/v1/company/\{company_id\}/clients/search: page_size") as info:
        Paginator(BODY, {"company_id": 1}, page_size=size)
    assert repr(size) in str(info.value)


def test_only_paginated_methods_have_a_paginator() -> None:
    spec: MethodSpec[Page[int]] = MethodSpec(api="yclients", name="GET /x", result=Page[int])
    with pytest.raises(TypeError, match="not paginated"):
        Paginator(spec, {})


# What is generated


def _paginated_lists() -> list[tuple[str, Any]]:
    out = []
    for wire, info in METHODS.items():
        spec = info.spec
        if spec.pagination and page_item_type(spec.result) is not None:
            out.append((wire, info))
    return out


def test_paginated_list_methods_return_pages_and_have_iterators() -> None:
    paginated = _paginated_lists()
    assert len(paginated) >= 18
    for wire, info in paginated:
        module = __import__(info.module, fromlist=["*"])
        sync = next(getattr(module, n) for n in dir(module) if n.endswith("Methods") and not n.startswith("Async"))
        asynchronous = next(getattr(module, n) for n in dir(module) if n.startswith("Async") and n.endswith("Methods"))
        for cls, wanted in ((sync, "Iterator"), (asynchronous, "AsyncIterator")):
            method = getattr(cls, info.python_name)
            iterator = getattr(cls, f"iter_{info.python_name}")
            assert inspect.signature(method).return_annotation.startswith("Page["), wire
            annotation = inspect.signature(iterator).return_annotation
            assert annotation.startswith(f"{wanted}["), (wire, annotation)
            params = inspect.signature(iterator).parameters
            facts = info.spec.pagination
            assert "page_size" in params
            assert facts["page"] not in params
            assert facts["size"] not in params or facts["size"] == "page_size"
    assert inspect.isasyncgenfunction(AsyncClientsMethods.iter_search)
    assert inspect.isgeneratorfunction(ClientsMethods.iter_search)


def test_methods_that_are_not_paginated_keep_their_result_and_get_no_iterator() -> None:
    info = METHODS["GET /api/v1/record/{company_id}/{record_id}"]
    assert not info.result.startswith("Page[")
    assert not hasattr(__import__(info.module, fromlist=["*"]).RecordsMethods, "iter_get")
    assert METHODS["POST /api/v1/records/{company_id}"].result == "builtins.list[RecordsListItem]"
