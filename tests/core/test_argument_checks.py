"""Arguments are checked against what the specs know before anything is sent.

The property reads the specs themselves (not the generated tables), so it checks the generator
and the runtime together: for every parameter of every method of the three APIs that carries a
constraint — required, a scalar type, an enum, a minimum or maximum, a maximum number of items,
a maximum length — a value breaking it is a ValueError naming method, parameter and value, and a
value keeping it goes through.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.core.call import MethodSpec
from apiforge.vk import VK, AsyncVK
from apiforge.wialon import Wialon
from apiforge.yclients import AsyncYclients, Yclients
from codegen.spec.load import SPECS_ROOT, load_api
from codegen.spec.model import Param, Spec

_ABSENT = object()


class NoValue(Exception):
    """The spec says too little (or too much: a union, a model) to make a value of this schema here."""


def resolve(spec: Spec, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = spec.models[str(schema["$ref"]).split("/")[-1]].schema
    return schema


def valid(spec: Spec, schema: Any) -> object:
    """A value the schema allows."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or not isinstance(schema.get("type"), str):
        raise NoValue
    kind = schema["type"]
    if schema.get("enum"):
        return schema["enum"][0]
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        value = low if low is not None else (high if high is not None and high < 1 else 1)
        return int(value) if kind == "integer" else float(value)
    if kind == "string":
        if schema.get("format") == "binary":
            raise NoValue
        return "ok"[: schema.get("maxLength", 2)] or "o"
    if kind == "boolean":
        return True
    if kind == "array":
        return [valid(spec, schema.get("items", {}))] if schema.get("items") else []
    if kind == "object":
        return {}
    raise NoValue


def violations(spec: Spec, schema: Any) -> Iterator[tuple[str, object]]:
    """(what is broken, a value breaking it) for each constraint the schema states."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict) or not isinstance(schema.get("type"), str):
        return
    kind = schema["type"]
    if schema.get("x-flags"):
        yield "type", "not flags"
        return
    if kind == "integer":
        yield "type", "abc"
        yield "type", True
        yield "type", 1.5
    elif kind == "number":
        yield "type", "1.5"
    elif kind == "string" and schema.get("format") != "binary":
        yield "type", 12
        yield "encoding", "\ud800"
        if "maxLength" in schema:
            yield "maxLength", "x" * (schema["maxLength"] + 1)
    elif kind == "boolean":
        yield "type", "false"
        yield "type", 2
    elif kind == "array":
        if "maxItems" in schema and schema.get("items"):
            try:
                item = valid(spec, schema["items"])
            except NoValue:
                pass
            else:
                yield "maxItems", [item] * (schema["maxItems"] + 1)
        items = resolve(spec, schema.get("items"))
        if isinstance(items, dict) and items.get("type") == "integer" and not items.get("enum"):
            yield "item type", [1, "abc"]
    elif kind == "object":
        yield "type", 5
    if schema.get("enum") and kind in ("string", "integer"):
        yield "enum", "no-such-value" if kind == "string" else max(v for v in schema["enum"] if isinstance(v, int)) + 1
    if kind in ("integer", "number") and "minimum" in schema:
        yield "minimum", schema["minimum"] - 1
    if kind in ("integer", "number") and "maximum" in schema:
        yield "maximum", schema["maximum"] + 1


SPECS = {api: load_api(SPECS_ROOT / api) for api in ("vk", "yclients", "wialon")}


def method_spec(api: str, wire: str) -> MethodSpec[Any]:
    package = importlib.import_module(f"apiforge.{api}")
    spec: MethodSpec[Any] = package.METHODS[wire].spec
    return spec


def cases() -> Iterator[tuple[str, str, Param, list[Param]]]:
    for api, spec in SPECS.items():
        for group in spec.groups:
            for method in group.methods:
                for param in method.params:
                    if param.location != "file":
                        yield api, method.name, param, method.params


ALL = list(cases())


def required_values(api: str, params: list[Param], but: str) -> dict[str, object]:
    spec = SPECS[api]
    return {p.name: valid(spec, p.schema) for p in params if p.required and p.name != but}


def check_case(api: str, wire: str, param: Param, params: list[Param]) -> tuple[int, int]:
    """Violations refused, valid values accepted, for one parameter; returns how many of each were tried."""
    spec = SPECS[api]
    target = method_spec(api, wire)
    try:
        others = required_values(api, params, param.name)
    except NoValue:
        return 0, 0  # another required parameter has no value this test can make
    refused = accepted = 0
    if param.required:
        with pytest.raises(ValueError) as caught:
            target.call({**others, param.name: None})
        assert str(caught.value).startswith(f"{wire}: ") and param.name in str(caught.value)
        refused += 1
    for what, value in violations(spec, param.schema):
        with pytest.raises(ValueError) as caught:
            target.call({**others, param.name: value})
        text = str(caught.value)
        assert text.startswith(f"{wire}: ") and param.name in text, (what, text)
        assert repr(value)[:60] in text or "items" in what or "=***" in text, (what, text)
        refused += 1
    try:
        good = valid(spec, param.schema)
    except NoValue:
        return refused, accepted
    target.call({**others, param.name: good})  # no ValueError
    return refused, accepted + 1


def test_every_constrained_parameter_refuses_a_violation_and_accepts_a_valid_value() -> None:
    refused = accepted = 0
    for api, wire, param, params in ALL:
        r, a = check_case(api, wire, param, params)
        refused, accepted = refused + r, accepted + a
    # The specs state thousands of facts; each one was tried both ways.
    assert refused > 10_000 and accepted > 3_500, (refused, accepted)


@settings(max_examples=300)
@given(case=st.sampled_from(ALL), data=st.data())
def test_any_in_range_integer_or_short_string_is_accepted(case: tuple[str, str, Param, list[Param]], data: Any) -> None:
    api, wire, param, params = case
    spec = SPECS[api]
    schema = resolve(spec, param.schema)
    try:
        others = required_values(api, params, param.name)
    except NoValue:
        return
    if not isinstance(schema, dict) or schema.get("enum") or schema.get("x-flags"):
        return
    if schema.get("type") == "integer":
        value: object = data.draw(st.integers(schema.get("minimum"), schema.get("maximum")))
    elif schema.get("type") == "string" and schema.get("format") != "binary":
        value = data.draw(st.text(st.characters(exclude_categories=("Cs",)), max_size=schema.get("maxLength", 50)))
    else:
        return
    method_spec(api, wire).call({**others, param.name: value})


# The cases of the report, through the clients: each refused with nothing sent.


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/method/users.get":
            return httpx.Response(200, json={"response": []})
        if request.url.path.startswith("/method/"):
            return httpx.Response(200, json={"response": 1})
        return httpx.Response(200, json={"success": True, "data": [], "meta": []})


REPORTED: list[tuple[str, Callable[[Any], object], str]] = [
    (
        "5,000 user_ids",
        lambda vk: vk.users.get(user_ids=list(range(5000))),
        r"users\.get: parameter user_ids=.*at most 1000 items, got 5000",
    ),
    (
        "a bogus name case",
        lambda vk: vk.users.get(user_ids=[1], name_case="bogus"),
        r"users\.get: parameter name_case='bogus': expected one of 'Abl'",
    ),
    (
        "a text peer id",
        lambda vk: vk.messages.send(peer_id="abc", message="hi"),
        r"messages\.send: parameter peer_id='abc': expected an int, got a str",
    ),
    (
        "a negative sticker",
        lambda vk: vk.messages.send(peer_id=1, sticker_id=-5),
        r"messages\.send: parameter sticker_id=-5: expected at least 0",
    ),
    (
        "a required None",
        lambda vk: vk.friends.are_friends(user_ids=None),
        r"friends\.areFriends: parameter user_ids is required, got None",
    ),
    (
        "a text flag",
        lambda vk: vk.messages.send(peer_id=1, message="hi", dont_parse_links="false"),
        r"messages\.send: parameter dont_parse_links='false': expected a bool, got a str",
    ),
    (
        "a lone surrogate",
        lambda vk: vk.messages.send(peer_id=1, message="hi \ud83d"),
        r"messages\.send: parameter message='hi \\ud83d': not valid Unicode",
    ),
]


@pytest.mark.parametrize(("case", "call", "message"), REPORTED, ids=[r[0] for r in REPORTED])
def test_the_reported_vk_cases_are_refused_before_sending(
    case: str, call: Callable[[Any], object], message: str
) -> None:
    recorder = Recorder()
    with (
        VK("token", rate_limit=None, http_client=httpx.Client(transport=httpx.MockTransport(recorder))) as vk,
        pytest.raises(ValueError, match=message),
    ):
        call(vk)
    assert recorder.requests == []


@pytest.mark.parametrize(("case", "call", "message"), REPORTED, ids=[r[0] for r in REPORTED])
async def test_the_reported_vk_cases_are_refused_before_sending_async(
    case: str, call: Callable[[Any], Any], message: str
) -> None:
    recorder = Recorder()
    async with AsyncVK(
        "token", rate_limit=None, http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    ) as vk:
        with pytest.raises(ValueError, match=message):
            await call(vk)
    assert recorder.requests == []


def test_valid_vk_arguments_go_out_as_before() -> None:
    recorder = Recorder()
    with VK("token", rate_limit=None, http_client=httpx.Client(transport=httpx.MockTransport(recorder))) as vk:
        vk.users.get(user_ids=[*range(999), "durov"], name_case="Gen", fields=["photo_100", "first_name"])
        vk.messages.send(peer_id=1, message="hi", dont_parse_links=False, random_id=7)
        vk.messages.send(peer_id=1, message="hi", dont_parse_links=True, random_id=8)
    forms = [dict(httpx.QueryParams(r.content.decode())) for r in recorder.requests]
    assert forms[0]["name_case"] == "Gen" and forms[0]["user_ids"].count(",") == 999
    assert forms[1]["dont_parse_links"] == "0" and forms[2]["dont_parse_links"] == "1"


def test_yclients_and_wialon_arguments_are_checked_too() -> None:
    recorder = Recorder()
    transport = httpx.MockTransport(recorder)
    with Yclients("partner", "user", rate_limit=None, http_client=httpx.Client(transport=transport)) as yc:
        with pytest.raises(ValueError, match=r"parameter company_id='4564': expected an int, got a str"):
            yc.clients.list(company_id="4564")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"parameter company_id is required, got None"):
            yc.clients.list(company_id=None)  # type: ignore[arg-type]
    with Wialon("t" * 72, rate_limit=None, http_client=httpx.Client(transport=transport)) as w:
        with pytest.raises(ValueError, match=r"core/search_item: parameter id='x': expected an int, got a str"):
            w.core.search_item(id="x", flags=1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"core/search_item: parameter flags=True: expected an int, got a bool"):
            w.core.search_item(id=1, flags=True)
    assert recorder.requests == []


async def test_async_yclients_arguments_are_checked() -> None:
    recorder = Recorder()
    async with AsyncYclients(
        "partner", "user", rate_limit=None, http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    ) as yc:
        with pytest.raises(ValueError, match=r"company_id=1.5: expected an int, got a float"):
            await yc.clients.list(company_id=1.5)  # type: ignore[arg-type]
    assert recorder.requests == []


def test_a_secret_value_is_masked_in_the_message() -> None:
    spec = method_spec("vk", "account.changePassword")
    with pytest.raises(ValueError, match="new_password") as caught:
        spec.call({"new_password": "hunter2\ud800"})
    assert "hunter2" not in str(caught.value)
