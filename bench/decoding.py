"""Decoding: 10,000 VK users (20 fields each) into typed objects, with garbage collection on and off.

Contenders, each from the same input:

- apiforge: `apiforge.core.converter.structure` into `list[UsersUserFull]` (attrs classes, cattrs),
  which decodes generated models by shape (`apiforge.core.shapes`); beside it the per-key decoder
  it replaced (`converter.per_key_converter()`), so one run shows before and after;
- vkbottle-types: its pydantic v2 `UsersUserFull`, through a `TypeAdapter(list[UsersUserFull])`;
- msgspec: a `msgspec.Struct` with the same 20 fields (the practical limit of Python decoding).

Two inputs: already-parsed JSON (`list[dict]`, what a client has after `json.loads`: the converter's
own work) and the JSON bytes (parse included: `json.loads` + structure, pydantic's `validate_json`,
`msgspec.json.decode`).
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
from collections.abc import Callable
from typing import Any

import attrs

from bench import payloads
from bench.measure import Timing, gc_disabled, time_sync

USERS = 10_000


@attrs.frozen
class Result:
    """One contender's timing on one input, GC on or off (None: not installed)."""

    name: str
    source: str
    gc: bool
    timing: Timing | None
    note: str = ""


def _apiforge() -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    from apiforge.core.converter import structure
    from apiforge.vk.models import UsersUserFull

    tp = list[UsersUserFull]
    return (
        lambda data: structure(data, tp, method="users.get"),
        lambda raw: structure(json.loads(raw), tp, method="users.get"),
    )


def _apiforge_per_key() -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    from apiforge.core.converter import per_key_converter
    from apiforge.vk.models import UsersUserFull

    conv = per_key_converter()
    tp = list[UsersUserFull]
    return (lambda data: conv.structure(data, tp)), (lambda raw: conv.structure(json.loads(raw), tp))


def _pydantic() -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    from pydantic import TypeAdapter
    from vkbottle_types.objects import UsersUserFull  # type: ignore[import-not-found]  # a peer

    adapter: Any = TypeAdapter(list[UsersUserFull])
    return adapter.validate_python, adapter.validate_json


def _msgspec() -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    import msgspec  # type: ignore[import-not-found]  # installed only in the bench venv

    from bench.msgspec_user import User

    decoder = msgspec.json.Decoder(list[User])
    return (lambda data: msgspec.convert(data, list[User])), decoder.decode


CONTENDERS: dict[str, tuple[str | None, Callable[[], tuple[Callable[[Any], object], Callable[[bytes], object]]]]] = {
    "apiforge (attrs + cattrs)": (None, _apiforge),
    "apiforge, per-key decoder (before shapes)": (None, _apiforge_per_key),
    "vkbottle-types (pydantic v2)": ("vkbottle_types", _pydantic),
    "msgspec Struct": ("msgspec", _msgspec),
}


def run(*, users: int = USERS, iterations: int, warmup: int) -> list[Result]:
    """Decode `users` users `iterations` times per contender, input and GC setting."""
    data = payloads.vk_users(users)
    raw = json.dumps(data, ensure_ascii=False).encode()
    results: list[Result] = []
    for name, (requires, build) in CONTENDERS.items():
        if requires is not None and importlib.util.find_spec(requires) is None:
            results.extend(
                Result(name, source, True, None, f"{requires} is not installed here") for source in ("dicts", "bytes")
            )
            continue
        from_dicts, from_bytes = build()
        check = from_dicts(data)
        if not isinstance(check, list) or len(check) != users:
            raise AssertionError(f"{name} decoded {type(check).__name__}, not {users} users")
        operations: tuple[tuple[str, Callable[[], object]], ...] = (
            ("dicts", functools.partial(from_dicts, data)),
            ("bytes", functools.partial(from_bytes, raw)),
        )
        for source, operation in operations:
            for gc_on in (True, False):
                if gc_on:
                    gc.collect()
                    timing = time_sync(operation, iterations=iterations, warmup=warmup)
                else:
                    with gc_disabled():
                        timing = time_sync(operation, iterations=iterations, warmup=warmup)
                results.append(Result(name, source, gc_on, timing))
    return results
