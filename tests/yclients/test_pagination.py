"""Pagination: `Page[T]`, the sans-IO `Paginator` behind the `iter_*` methods, and what is generated for them."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from apiforge.core import MethodSpec, Page, Param
from apiforge.core.pagination import Paginator, page_item_type, page_items, raw_page, total_of
from apiforge.core.pipeline import decode
from apiforge.core.protocols.yclients import YclientsProtocol
from apiforge.yclients import METHODS, AsyncYclients, Yclients
from apiforge.yclients.errors import error_class
from apiforge.yclients.methods.clients import AsyncClientsMethods, ClientsMethods
from apiforge.yclients.methods.goods_categories import AsyncGoodsCategoriesMethods, GoodsCategoriesMethods
from apiforge.yclients.models import (
    ClientsListItem,
    ClientsSearchItem,
    CompanyCompanyidClientsSearchRequestDataTypes,
    GoodsCategoriesGetNodeData,
    GoodsCategoriesGetNodeDataChildrenItem,
)

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

NODE = METHODS["GET /api/v1/goods/category_node/{company_id}/{category_id}"].spec
CHILD_PAGE = Page[GoodsCategoriesGetNodeDataChildrenItem]


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


def _paginated() -> list[tuple[str, Any]]:
    return [(wire, info) for wire, info in METHODS.items() if info.spec.pagination]


def test_every_paginated_method_has_iterators() -> None:
    paginated = _paginated()
    assert len(paginated) >= 20
    # A list result is a Page; an object result keeps its type and names where its page's items are.
    for wire, info in paginated:
        items = info.spec.pagination.get("items")
        assert (page_item_type(info.spec.result) is not None) != (items is not None), wire
    assert [w for w, i in paginated if i.spec.pagination.get("items")] == [NODE.name]
    for wire, info in paginated:
        module = __import__(info.module, fromlist=["*"])
        sync = next(getattr(module, n) for n in dir(module) if n.endswith("Methods") and not n.startswith("Async"))
        asynchronous = next(getattr(module, n) for n in dir(module) if n.startswith("Async") and n.endswith("Methods"))
        for cls, wanted in ((sync, "Iterator"), (asynchronous, "AsyncIterator")):
            method = getattr(cls, info.python_name)
            iterator = getattr(cls, f"iter_{info.python_name}")
            result = inspect.signature(method).return_annotation
            if info.spec.pagination.get("items"):
                assert result == info.result and not result.startswith("Page["), wire
            else:
                assert result.startswith("Page["), wire
            annotation = inspect.signature(iterator).return_annotation
            assert annotation.startswith(f"{wanted}["), (wire, annotation)
            params = inspect.signature(iterator).parameters
            facts = info.spec.pagination
            assert "page_size" in params
            assert facts["page"] not in params
            assert facts["size"] not in params or facts["size"] == "page_size"
    assert inspect.isasyncgenfunction(AsyncClientsMethods.iter_search)
    assert inspect.isgeneratorfunction(ClientsMethods.iter_search)
    assert inspect.isasyncgenfunction(AsyncGoodsCategoriesMethods.iter_get_node)
    assert inspect.isgeneratorfunction(GoodsCategoriesMethods.iter_get_node)
    annotation = inspect.signature(GoodsCategoriesMethods.iter_get_node).return_annotation
    assert annotation == "Iterator[GoodsCategoriesGetNodeDataChildrenItem]"


def test_methods_that_are_not_paginated_keep_their_result_and_get_no_iterator() -> None:
    info = METHODS["GET /api/v1/record/{company_id}/{record_id}"]
    assert not info.result.startswith("Page[")
    assert not hasattr(__import__(info.module, fromlist=["*"]).RecordsMethods, "iter_get")
    assert METHODS["POST /api/v1/records/{company_id}"].result == "builtins.list[RecordsListItem]"


# A result object holding its page's items in a property (`pagination.items`): the category node


def test_raw_page_takes_the_items_property_of_an_object() -> None:
    node = {"category_id": 5, "children": [{"category_id": 6}], "children_count": 1}
    page_ = raw_page(node, {"total_count": 9}, "children")
    assert isinstance(page_, Page) and page_ == [{"category_id": 6}] and page_.meta == {"total_count": 9}
    assert raw_page({"category_id": 5}, {}, "children") == [] and raw_page({"children": None}, {}, "children") == []
    assert raw_page(node, {}) is node  # not a page read: the object as it is
    assert raw_page([1], {"count": 1}) == Page([1]) and raw_page(None, {}, "children") is None


def test_the_protocol_reads_a_page_out_of_the_items_property() -> None:
    protocol = YclientsProtocol(base_url="http://x", error_class=error_class, partner_token="p")
    node = {"category_id": 5, "children": [{"category_id": 6}, {"category_id": 7}]}
    enveloped = protocol.parse_body(
        NODE.name, {"success": True, "data": node, "meta": {"total_count": 9}}, items="children"
    )
    assert enveloped == Page([{"category_id": 6}, {"category_id": 7}]) and enveloped.meta == {"total_count": 9}
    assert protocol.parse_body(NODE.name, {"success": True, "data": node, "meta": []}) == node  # get_node itself
    call = Paginator(NODE, {"company_id": 1, "category_id": 5}, page=CHILD_PAGE).next_call()
    assert call is not None
    decoded = decode(call, enveloped)
    assert decoded == [GoodsCategoriesGetNodeDataChildrenItem(category_id=c) for c in (6, 7)] and decoded.total == 9


def test_only_the_iterators_calls_read_the_items_property() -> None:
    direct = NODE.call({"company_id": 1, "category_id": 5})
    assert direct.result is GoodsCategoriesGetNodeData and page_items(direct) is None
    planned = Paginator(NODE, {"company_id": 1, "category_id": 5}, page=CHILD_PAGE).next_call()
    assert planned is not None and planned.result == CHILD_PAGE and page_items(planned) == "children"
    assert planned.query == {"page": "1", "count": "1000"} and planned.spec is NODE


def test_a_method_with_an_items_property_needs_the_page_type() -> None:
    with pytest.raises(TypeError, match=r"'children' of its result: give page=Page\[<item>\]"):
        Paginator(NODE, {"company_id": 1, "category_id": 5})
    with pytest.raises(TypeError, match="page must be a Page"):
        Paginator(NODE, {"company_id": 1, "category_id": 5}, page=list)  # type: ignore[call-overload]


class NodeServer:
    """An in-process YCLIENTS answering the category node endpoint a page of children at a time.

    `total`: what meta.total_count says (None: no total in meta); `stock`: how many children it
    really serves (default: the total). Every answer carries the whole node, children paged.
    """

    def __init__(self, total: int | None, stock: int | None = None) -> None:
        self.total = total
        self.children = [
            {"parent_id": 5, "category_id": 100 + n, "title": f"c{n}", "is_category": True}
            for n in range(stock if stock is not None else total or 0)
        ]
        self.asked: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/goods/category_node/1/5"
        page_, count = int(request.url.params["page"]), int(request.url.params["count"])
        self.asked.append((page_, count))
        children = self.children[(page_ - 1) * count : page_ * count]
        meta: object = [] if self.total is None else {"total_count": self.total}  # YCLIENTS sends [] for no meta
        node = {
            "parent_id": 0,
            "category_id": 5,
            "title": "root",
            "children": children,
            "children_count": len(children),
        }
        return httpx.Response(200, json={"success": True, "data": node, "meta": meta})

    def titles(self) -> list[str]:
        return [str(c["title"]) for c in self.children]


def _sync(server: NodeServer, page_size: int) -> list[GoodsCategoriesGetNodeDataChildrenItem]:
    http = httpx.Client(transport=httpx.MockTransport(server))
    with Yclients(
        "partner", user_token="pagination-user-token", rate_limit=None, max_retries=0, http_client=http
    ) as yc:
        return list(yc.goods_categories.iter_get_node(company_id=1, category_id=5, page_size=page_size))


async def _async(server: NodeServer, page_size: int) -> list[GoodsCategoriesGetNodeDataChildrenItem]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server))
    async with AsyncYclients(
        "partner", user_token="pagination-user-token", rate_limit=None, max_retries=0, http_client=http
    ) as yc:
        return [c async for c in yc.goods_categories.iter_get_node(company_id=1, category_id=5, page_size=page_size)]


async def _walk(kind: str, server: NodeServer, page_size: int) -> list[GoodsCategoriesGetNodeDataChildrenItem]:
    return _sync(server, page_size) if kind == "sync" else await _async(server, page_size)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_iter_get_node_yields_every_child_once_in_order_up_to_the_total(kind: str) -> None:
    server = NodeServer(total=7)
    children = await _walk(kind, server, 3)
    assert all(isinstance(c, GoodsCategoriesGetNodeDataChildrenItem) for c in children)
    assert [c.title for c in children] == server.titles() == [f"c{n}" for n in range(7)]
    assert [c.category_id for c in children] == list(range(100, 107))
    assert server.asked == [(1, 3), (2, 3), (3, 3)]  # the short third page completes the total: no 4th call


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_iter_get_node_stops_at_the_total_on_a_full_page(kind: str) -> None:
    server = NodeServer(total=6)
    assert [c.title for c in await _walk(kind, server, 3)] == server.titles()
    assert server.asked == [(1, 3), (2, 3)]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_iter_get_node_without_a_total_stops_at_a_short_page(kind: str) -> None:
    server = NodeServer(total=None, stock=8)
    assert [c.title for c in await _walk(kind, server, 3)] == server.titles()
    assert server.asked == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_iter_get_node_stops_at_an_empty_page(kind: str) -> None:
    server = NodeServer(total=10, stock=6)  # the total promises more than the server has
    assert [c.title for c in await _walk(kind, server, 3)] == server.titles()
    assert server.asked == [(1, 3), (2, 3), (3, 3)]  # the third page has no children
    exact = NodeServer(total=None, stock=6)  # no total, every page full: only an empty page ends it
    assert [c.title for c in await _walk(kind, exact, 3)] == exact.titles()
    assert exact.asked == [(1, 3), (2, 3), (3, 3)]


def test_get_node_keeps_returning_the_node() -> None:
    server = NodeServer(total=4)
    http = httpx.Client(transport=httpx.MockTransport(server))
    with Yclients(
        "partner", user_token="pagination-user-token", rate_limit=None, max_retries=0, http_client=http
    ) as yc:
        node = yc.goods_categories.get_node(company_id=1, category_id=5, page=2, count=3)
    assert isinstance(node, GoodsCategoriesGetNodeData) and node.category_id == 5 and node.title == "root"
    assert [c.title for c in node.children or []] == ["c3"]
    assert server.asked == [(2, 3)]
