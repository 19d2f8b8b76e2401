"""Calling any generated method with minimal arguments, and checking what it decoded into; a shared
clock, and reaching a fake in either mode.

The arguments are read from the method's own signature (`inspect` + `typing.get_type_hints`):
every keyword-only parameter without a default gets the smallest value of its type, built with
`apiforge.testing.instances.minimal_json` and decoded like an answer would be.
"""

from __future__ import annotations

import contextlib
import inspect
import types
import typing
from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import httpx

from apiforge.core.call import MethodSpec
from apiforge.core.client import AsyncClient, SyncClient
from apiforge.core.converter import structure
from apiforge.core.pagination import Page
from apiforge.core.registry import MethodInfo
from apiforge.testing._server import FakeServer
from apiforge.testing.instances import minimal_json
from apiforge.testing.pytest_plugin import IN_PROCESS_URL, serving_http
from codegen.spec.naming import python_identifier
from tests.vk.conformance import problems

F = TypeVar("F", bound=FakeServer)


def bound_method(client: object, info: MethodInfo) -> Any:
    """The method as a user reaches it: `client.users.get`, `client.execute`."""
    target: Any = client
    for part in info.attribute.split("."):
        target = getattr(target, part)
    return target


def argument(tp: Any) -> object:
    """A minimal Python value of a parameter type (sequences as one-item lists, models built from JSON)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return argument(next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin in (list, Sequence):
        return [argument(args[0])]
    if origin in (dict, Mapping):
        return {}
    if tp is bytes:
        return b"x"
    return structure(minimal_json(tp), tp, method="test")


def required_arguments(method: Any) -> dict[str, object]:
    """Every keyword-only parameter of `method` without a default, with a minimal value."""
    hints = typing.get_type_hints(method)
    return {
        param.name: argument(hints[param.name])
        for param in inspect.signature(method).parameters.values()
        if param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is inspect.Parameter.empty
    }


def expected_type(spec: MethodSpec[Any], kwargs: Mapping[str, object]) -> object:
    """The result type the client decodes into for these arguments (the variant they select)."""
    wires = {python_identifier(p.wire): p.wire for p in spec.params}
    return spec.result_type({wires[k]: v for k, v in kwargs.items() if k in wires})


def decoding_problems(result: object, tp: object) -> list[str]:
    """Where `result` is not a value of `tp` (a `Page[X]` is checked as a list of X); empty when it is."""
    if typing.get_origin(tp) is Page or tp is Page:
        if not isinstance(result, Page):
            return [f"$: {type(result).__name__} is not a Page"]
        (item,) = typing.get_args(tp) or (object,)
        return problems(list(typing.cast("Page[object]", result)), list[item])
    if tp is bytes:
        return [] if isinstance(result, bytes) else [f"$: {type(result).__name__} is not bytes"]
    args = typing.get_args(tp)
    if typing.get_origin(tp) is tuple and args and Ellipsis not in args:
        # Wialon's fixed pairs (`[id, object]`): the shared checker knows no tuples.
        if not isinstance(result, tuple | list) or len(result) != len(args):
            return [f"$: {result!r} is not a {len(args)}-item array"]
        items = typing.cast("Sequence[object]", result)
        return [
            p for i, (item, arg) in enumerate(zip(items, args, strict=True)) for p in problems(item, arg, f"$[{i}]")
        ]
    return problems(result, tp)


FILE_CONTENT = b"\x89PNG\r\n\x1a\n fake image"
"""What file parameters get (they take bytes, a path or a binary file object)."""


def call_checked(client: object, methods: Mapping[str, MethodInfo], wire: str, /, **kwargs: object) -> Any:
    """Call `wire` through `client` with its required arguments (overridden by `kwargs`); the result must
    decode into the declared type all the way down. Returns the result."""
    info = methods[wire]
    method = bound_method(client, info)
    accepted = inspect.signature(method).parameters
    files = {python_identifier(p.wire): FILE_CONTENT for p in info.spec.params if p.location == "file"}
    files = {name: content for name, content in files.items() if name in accepted}  # a path-typed file param
    arguments = {**required_arguments(method), **files, **kwargs}
    result = method(**arguments)
    found = decoding_problems(result, expected_type(info.spec, arguments))
    assert not found, f"{wire}: {found[:3]}"
    return result


class Clock:
    """A clock shared by a fake and the clients of a test: it moves only when a client's driver sleeps
    or the test advances it, so dates are known and rate windows pass without anyone waiting."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def on_clock(client: SyncClient | AsyncClient, clock: Clock) -> None:
    """Run `client`'s retries and backoff on `clock`: its waits advance the clock instead of sleeping."""
    client._policy = attrs.evolve(client._policy, clock=clock)
    client._driver.sleep = clock.async_sleep if isinstance(client, AsyncClient) else clock.sleep


@contextlib.contextmanager
def served(fake: F, mode: str) -> Generator[F]:
    """`fake` as a test in `mode` reaches it: serving real HTTP ("http"), or not started ("inprocess")."""
    if mode == "http":
        with fake:
            yield fake
    else:
        yield fake


@contextlib.contextmanager
def wire(fake: FakeServer) -> Generator[httpx.Client]:
    """A plain httpx client of `fake` (its URL when serving HTTP, else its transport), for raw requests."""
    if serving_http(fake):
        with httpx.Client(base_url=fake.url) as http:
            yield http
    else:
        with httpx.Client(base_url=IN_PROCESS_URL, transport=fake.transport()) as http:
            yield http
