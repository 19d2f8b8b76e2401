"""Which VK methods page, and how: derived from their shapes, so every such method gets `iter_<method>`.

VK's schema says nothing of paging, but its methods follow two patterns, each recognised here:

- offset/count: the method takes `offset` and `count`, and its result is an object with `count`
  (the total) and an `items` array: `Pagination(style="offset")`;
- cursor: the method takes `start_from` (and `count`), and its result is an object with `next_from`
  and an `items` array: `Pagination(style="cursor")`.

A method whose spec names its pagination (YCLIENTS, Wialon) keeps it; nothing is derived for other APIs.
"""

from __future__ import annotations

import dataclasses

from codegen.spec.load import is_array_schema, object_properties, resolve_schema
from codegen.spec.model import Group, Method, Pagination, Spec


def with_derived_pagination(spec: Spec) -> Spec:
    """`spec` with the pagination of each VK method that follows a paging pattern and names none."""
    if spec.api.protocol != "vk":
        return spec
    groups: list[Group] = []
    for group in spec.groups:
        methods = [_derived(spec, m) if m.pagination is None else m for m in group.methods]
        groups.append(dataclasses.replace(group, methods=methods))
    return dataclasses.replace(spec, groups=groups)


def _derived(spec: Spec, method: Method) -> Method:
    params = {p.name: p for p in method.params}
    properties = object_properties(spec, method.result) or {}
    if "items" not in properties or not is_array_schema(spec, properties["items"]):
        return method
    count = params.get("count")
    maximum = resolve_schema(spec, count.schema).get("maximum") if count is not None else None
    max_size = maximum if isinstance(maximum, int) and not isinstance(maximum, bool) else None
    if "offset" in params and count is not None and "count" in properties:
        facts = Pagination(
            page="offset",
            size="count",
            location="query",
            first_page=0,
            max_size=max_size,
            total=("count",),
            items="items",
            style="offset",
        )
    elif "start_from" in params and "next_from" in properties:
        facts = Pagination(
            page="start_from",
            size="count" if count is not None else "",
            location="query",
            first_page=0,
            max_size=max_size,
            total=(),
            items="items",
            style="cursor",
            next="next_from",
        )
    else:
        return method
    return dataclasses.replace(method, pagination=facts)


__all__ = ["with_derived_pagination"]
