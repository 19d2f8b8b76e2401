"""Paginated results: `Page[T]`, and the sans-IO planner behind the iterators over every item.

A paginated method returns one `Page` — a list of its items that also carries the response's
`meta` and the `total` the API reports there — or, when its spec says the items are a property
of its result object (`pagination.items`), that object. Its `iter_<method>` twin walks every
page; which page to ask for next, how to read it, and when to stop, is decided here once, by
`Paginator`, for the sync and the async iterators alike: they only send the calls it plans.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any, Generic, Literal, TypeVar, cast, overload

import attrs

from apiforge.core.call import Call, MethodSpec
from apiforge.core.encoding import native
from apiforge.core.types import JSON

T = TypeVar("T")


class Page(list[T]):
    """One page of a paginated list: the items, plus the response's `meta` and the `total` it reports.

    `total` is the number of items on all pages (YCLIENTS `meta.total_count` or `meta.count`,
    whichever the method uses), or None when the response does not say.
    """

    __slots__ = ("meta", "total")

    def __init__(self, items: Iterable[T] = (), *, meta: Mapping[str, JSON] | None = None, total: int | None = None):
        super().__init__(items)
        self.meta: Mapping[str, JSON] = dict(meta or {})
        self.total: int | None = total

    def __repr__(self) -> str:
        return f"Page({list(self)!r}, total={self.total!r})"


def page_item_type(result: object) -> object | None:
    """The item type of a `Page[X]` result type, or None when `result` is not a page."""
    if typing.get_origin(result) is Page:
        (item,) = typing.get_args(result)
        return cast("object", item)
    return None


def total_of(meta: Mapping[str, object], keys: Iterable[str]) -> int | None:
    """The first of `keys` in `meta` that holds a whole number (YCLIENTS sends some as strings)."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def page_items(call: Call[Any]) -> str | None:
    """The property of the response data holding the items of the page `call` reads, or None.

    That is `pagination.items` for a call an iterator planned (its result is a `Page`) of a method
    whose result object holds its page in a property; a call of the method itself reads the object.
    """
    if page_item_type(call.result) is None:
        return None
    items = (call.spec.pagination or {}).get("items")
    return str(items) if items else None


def raw_page(data: object, meta: Mapping[str, JSON], items: str | None = None) -> object:
    """A response's `data` as the decoder takes it: a `Page` of raw items carrying `meta`, when it is a page.

    The page is `data` itself when it is a list; with `items` (see `page_items`) it is the list
    in that property of an object `data`, no items when the property is absent or null.
    Anything else is handed on as it is.
    """
    if items is not None and isinstance(data, dict):
        data = cast("dict[str, JSON]", data).get(items)
        if data is None:
            data = []
    if isinstance(data, list):
        return Page(cast("list[JSON]", data), meta=meta)
    return data


def decode_page(call: Call[Any], payload: object) -> Page[Any]:
    """The payload of a paginated call as a `Page` of its typed items, with meta and total.

    A payload that is still the result object (VK, Wialon: the protocol hands the result on as it
    is) gives its `pagination.items` property as the items and its other fields as the meta, where
    the total (`count`, `totalItemsCount`) and a cursor (`next_from`) are read.
    """
    item = page_item_type(call.result)
    meta: Mapping[str, JSON] = payload.meta if isinstance(payload, Page) else {}
    key = (call.spec.pagination or {}).get("items")
    if key and isinstance(payload, dict):
        fields = cast("dict[str, JSON]", payload)
        meta = {name: value for name, value in fields.items() if name != key}
        payload = fields.get(str(key)) or []
    items = list(cast("list[object]", payload)) if isinstance(payload, list) else payload
    from apiforge.core.converter import structure  # cattrs loads on first use (see bench/import_vk.py)

    generic_list: Any = list  # subscripted at run time with the item type the spec names
    decoded: list[object] = structure(items, generic_list[item], method=call.method)
    keys: list[str] = list((call.spec.pagination or {}).get("total") or ())
    return Page(decoded, meta=meta, total=total_of(meta, keys))


class Paginator(Generic[T]):
    """Plans the calls of an iterator over every item of a paginated method (sans-IO).

        pages = Paginator(SPEC, values, body, page_size=100)
        while (call := pages.next_call()) is not None:
            page = client.request(call)      # or: await client.request(call)
            pages.received(page)
            yield from page

    Page sizes: `page_size`, else the method's largest, else the server's default. The walk
    stops at an empty page; when the response reports a total, once that many items are seen
    (or, paging by offset or index, once the position passes it); otherwise at a page shorter
    than the size asked for.

    The method's `pagination.style` says what the two paging parameters mean:

    - "page" (YCLIENTS): a page number from `first_page`, and the page size;
    - "offset" (VK `offset` + `count`): the position of the first item, and how many;
    - "range" (Wialon `from` + `to`, `indexFrom` + `indexTo`): the first and the last index, inclusive;
    - "cursor" (VK `start_from` + `count`): the `next` value of the last answer (none at first), and
      how many; the walk ends when an answer has no `next`.

    A method whose result is an object holding the page's items in a property
    (`pagination.items`, e.g. a category node and its `children`) keeps its result type; its
    iterator gives `page`, the `Page[<item>]` type its planned calls are read as instead.
    """

    @overload
    def __init__(
        self,
        spec: MethodSpec[Page[T]],
        values: Mapping[str, object],
        body: object = None,
        *,
        page_size: int | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        spec: MethodSpec[Any],
        values: Mapping[str, object],
        body: object = None,
        *,
        page_size: int | None = None,
        page: type[Page[T]],
    ) -> None: ...

    def __init__(
        self,
        spec: MethodSpec[Any],
        values: Mapping[str, object],
        body: object = None,
        *,
        page_size: int | None = None,
        page: type[Page[T]] | None = None,
    ) -> None:
        facts = spec.pagination
        if not facts:
            raise TypeError(f"{spec.name} is not paginated")
        if page is not None and page_item_type(page) is None:
            raise TypeError(f"{spec.name}: page must be a Page[<item>] type, got {page!r}")
        if page is None and facts.get("items"):
            raise TypeError(f"{spec.name}: its pages are the {facts['items']!r} of its result: give page=Page[<item>]")
        self.spec = spec
        self.page_type: object = page
        self.page_param = str(facts["page"])
        self.size_param = str(facts["size"])
        self.location: Literal["query", "body"] = "body" if facts.get("in") == "body" else "query"
        maximum = facts.get("max_size")
        self.size = _page_size(spec.name, page_size, maximum if isinstance(maximum, int) else None)
        self.values = dict(values)
        self.body = body
        self.style = str(facts.get("style") or "page")
        self.next_key = str(facts.get("next") or "next_from")
        if self.style == "range" and (self.size is None or self.size < 2):
            # Wialon reads `to: 0` as "to the end": a page of one item from index 0 would be everything.
            raise ValueError(f"{spec.name}: page_size of at least 2 is required, got {page_size!r}")
        self.page: int = 0 if self.style in ("offset", "range") else int(facts.get("first_page") or 1)
        self.cursor: str | None = None
        self.seen = 0
        self.done = False

    def next_call(self) -> Call[Page[T]] | None:
        """The call of the next page, or None when every item has been seen."""
        return None if self.done else self._call()

    def received(self, page: Page[T]) -> None:
        """Take in the answer to the last planned call: decide whether another page follows."""
        self.seen += len(page)
        if self.style == "cursor":
            cursor = page.meta.get(self.next_key)
            last, self.cursor = (
                self.cursor,
                (str(cursor) if isinstance(cursor, str | int) and not isinstance(cursor, bool) else None),
            )
            # A cursor that does not move would ask for the same page forever.
            self.done = not page or not self.cursor or self.cursor == last
            return
        if self.style in ("offset", "range"):
            # The next position follows the positions asked for, not the items that came: a server that
            # leaves some out (deleted posts) must not make the walk read the same positions again.
            self.page += self.size if self.size is not None else len(page)
            covered = self.page
        else:
            self.page += 1
            covered = self.seen
        if not page:
            self.done = True
        elif page.total is not None:
            self.done = covered >= page.total
        else:
            self.done = self.size is not None and len(page) < self.size

    def _call(self) -> Call[Page[T]]:
        paging: dict[str, object] = {self.page_param: self.cursor if self.style == "cursor" else self.page}
        if self.style == "range":
            assert self.size is not None  # checked in __init__
            paging[self.size_param] = self.page + self.size - 1
        elif self.size is not None and self.size_param:
            paging[self.size_param] = self.size
        if self.location == "query":
            call: Call[Page[T]] = self.spec.call({**self.values, **paging}, self.body)
        else:
            call = self.spec.call(self.values, {**self._body_fields(), **paging})
        # A method returning an object: its iterator reads each answer as the page in its items property.
        return call if self.page_type is None else attrs.evolve(call, result=self.page_type)

    def _body_fields(self) -> dict[str, object]:
        if self.body is None:
            return {}
        fields = native(self.body)
        if not isinstance(fields, dict):
            raise TypeError(f"{self.spec.name}: body: expected a JSON object to page through, got {self.body!r}")
        # A page number or size given in the body is replaced by the planned one.
        return {str(k): v for k, v in cast("dict[object, object]", fields).items()}


def _page_size(method: str, page_size: object, maximum: int | None) -> int | None:
    if page_size is None:
        return maximum
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValueError(f"{method}: page_size must be a positive integer, got {page_size!r}")
    if maximum is not None and page_size > maximum:
        raise ValueError(f"{method}: page_size must be at most {maximum}, got {page_size!r}")
    return page_size


__all__ = ["Page", "Paginator", "decode_page", "page_item_type", "page_items", "raw_page", "total_of"]
