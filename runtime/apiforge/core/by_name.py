"""`client.call("wire.name", {...})`: any method by its wire name, through the same pipeline.

A method the generated registry knows keeps its facts (parameter encodings, token kinds, whether
it is idempotent or batchable); the parameters it does not declare go as `extra_params`. A method
the registry does not know (new upstream, or undocumented) gets conservative facts: not
idempotent (a failure after sending is not retried), batchable where the API batches anything.
Without `result=` the answer is the raw JSON payload; with it, it is decoded as that type.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

import attrs

from apiforge.core.call import Call, MethodSpec, Param
from apiforge.core.extra_params import QUERY_VERBS, with_extra_params
from apiforge.core.registry import MethodInfo
from apiforge.core.types import JSON

_NAMES = {
    "vk": (re.compile(r"[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9]*\Z"), '"section.method", e.g. "users.get"'),
    "wialon": (re.compile(r"[A-Za-z_][A-Za-z0-9_]*/[A-Za-z_][A-Za-z0-9_]*\Z"), '"svc/name", e.g. "core/search_items"'),
    "yclients": (
        re.compile(r"(GET|POST|PUT|PATCH|DELETE) /\S*\Z"),
        '"VERB /path", e.g. "GET /api/v1/companies" or "GET /api/v1/company/{company_id}/clients"',
    ),
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def call_by_name(
    api: str,
    method: str,
    params: Mapping[str, object] | None = None,
    *,
    body: object = None,
    result: object = JSON,
) -> Call[Any]:
    """The Call of `method` (a wire name) of `api` with `params` (wire names -> values).

    YCLIENTS: `{name}` placeholders in the path are filled from `params` (and removed from them);
    the other params go in the query string (GET, DELETE) or the JSON body (unless `body` is given).
    Raises ValueError for a name that is not a wire name of the API.
    """
    pattern, form = _NAMES[api]
    if not isinstance(method, str) or not pattern.match(method):
        raise ValueError(f"{api}: call({method!r}): a method is named by its wire name, {form}")
    values = dict(params or {})
    info = _registry(api).get(method)
    spec: MethodSpec[Any] = info.spec if info is not None else _unknown_spec(api, method, values)
    declared = {param.wire for param in spec.params}
    typed = {k: v for k, v in values.items() if k in declared}
    extra = {k: v for k, v in values.items() if k not in declared}
    call = spec.call(typed, body)
    call = with_extra_params(call, extra)
    # The result is what the caller asked for, whatever variant the spec would pick.
    return attrs.evolve(call, result=result)


def _registry(api: str) -> Mapping[str, MethodInfo]:
    # The generated package's METHODS: importing it loads no method group.
    methods: Mapping[str, MethodInfo] = importlib.import_module(f"apiforge.{api}._registry").METHODS
    return methods


def _unknown_spec(api: str, method: str, values: Mapping[str, object]) -> MethodSpec[Any]:
    if api != "yclients":
        # VK's execute and Wialon's core/batch run any method.
        return MethodSpec(api=api, name=method, result=JSON, batchable=True)
    verb = method.partition(" ")[0]
    path = tuple(Param(name, "path") for name in _PLACEHOLDER.findall(method))
    missing = [param.wire for param in path if values.get(param.wire) is None]
    if missing:
        raise ValueError(f"yclients: call({method!r}): no value for the path parameter {missing[0]!r} in params")
    return MethodSpec(
        api=api,
        name=method,
        params=path,
        result=JSON,
        idempotent=verb in ("GET", "PUT", "DELETE"),
        has_body=verb not in QUERY_VERBS,
    )


__all__ = ["call_by_name"]
