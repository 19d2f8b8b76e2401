"""`extra_params=`: parameters a spec does not declare, sent after the typed ones.

APIs gain parameters before their specs do. Every generated method takes `extra_params={...}`
(wire names to values) and this module puts them where the API reads parameters: VK's form,
Wialon's `params` object, YCLIENTS' query string (GET, DELETE) or JSON body (the other verbs).
A key that names a declared parameter is refused: the typed argument is the way to send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

import attrs

from apiforge.core.call import Call
from apiforge.core.encoding import encode, native

T = TypeVar("T")
QUERY_VERBS = frozenset({"GET", "DELETE", "HEAD"})
"""YCLIENTS verbs whose parameters travel in the query string (they have no body)."""


def with_extra_params(call: Call[T], extra: Mapping[str, object] | None) -> Call[T]:
    """`call` with `extra` (wire name -> value; None values dropped) merged after its typed parameters.

    Raises ValueError naming the method and the parameter when a key is a declared parameter.
    """
    if not extra:
        return call
    declared = {param.wire for param in call.spec.params}
    for key in extra:
        if not isinstance(key, str) or not key:
            raise ValueError(f"{call.method}: extra_params keys are wire names (non-empty str), got {key!r}")
        if key in declared:
            raise ValueError(
                f"{call.method}: extra_params[{key!r}] is a declared parameter of the method; pass it by its argument"
            )
    given = {k: v for k, v in extra.items() if v is not None}
    if not given:
        return call
    if call.spec.api != "yclients":
        # VK form fields are text (lists comma-separated, booleans 0/1); Wialon's params are JSON.
        encoding = "native" if call.spec.api == "wialon" else "csv"
        encoded = {k: _encode_form(v) if encoding == "csv" else native(v) for k, v in given.items()}
        return attrs.evolve(call, params={**call.params, **encoded})
    verb = call.method.partition(" ")[0].upper()
    if verb in QUERY_VERBS or call.files or call.params:
        # No JSON body to add to (a GET, or a form/multipart request): the query string carries them.
        query = {k: _encode_query(v) for k, v in given.items()}
        return attrs.evolve(call, query={**call.query, **query})
    body = call.body
    if body is None:
        return attrs.evolve(call, body=native(given))
    if isinstance(body, Mapping):
        return attrs.evolve(call, body={**native(cast("Mapping[str, Any]", body)), **native(given)})
    if attrs.has(type(body)):
        return attrs.evolve(call, body={**native(body), **native(given)})
    raise ValueError(
        f"{call.method}: extra_params cannot be merged into a body of type {type(body).__name__}; "
        "pass the whole body instead"
    )


def _encode_form(value: object) -> object:
    # A mapping is JSON text on VK (keyboards, templates); everything else as a list parameter.
    return encode(value, "json" if isinstance(value, Mapping) else "csv")


def _encode_query(value: object) -> object:
    # Lists go as `name[]=a&name[]=b`, YCLIENTS' form for list parameters.
    return encode(value, "brackets" if isinstance(value, list | tuple) else "plain")


__all__ = ["QUERY_VERBS", "with_extra_params"]
