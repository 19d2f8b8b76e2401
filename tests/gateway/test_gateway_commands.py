"""Commands: groups and names, typed payloads with field paths, sync and async handlers, replies."""

from __future__ import annotations

import asyncio

import attrs
import pytest

from apiforge.gateway import CommandGroup, Connection, Gateway, GatewayError
from tests.gateway.gatewaykit import client


@attrs.frozen
class Point:
    x: float
    y: float


@attrs.frozen
class Note:
    text: str
    tags: list[str] = attrs.field(factory=list[str])
    at: Point | None = None


def notes_group() -> CommandGroup:
    group = CommandGroup(prefix="notes")

    @group.command("add")
    def add(connection: Connection, payload: Note) -> Note:
        return payload

    @group.command("count")
    async def count(connection: Connection) -> dict[str, object]:
        await asyncio.sleep(0)
        return {"connection": connection.id}

    @group.command("raw")
    def raw(connection: Connection, payload: object) -> object:
        return {"got": payload}

    @group.command("quiet")
    def quiet(connection: Connection) -> None:
        connection.send("told", {"by": "handler"})

    @group.command("refuse")
    def refuse(connection: Connection) -> None:
        raise GatewayError("not_allowed", "you may not")

    @group.command("crash")
    def crash(connection: Connection) -> None:
        raise RuntimeError("boom with a secret inside")

    return group


async def test_a_typed_payload_is_structured_and_the_result_comes_back_as_ok(gateway: Gateway) -> None:
    gateway.include(notes_group())
    async with client(gateway) as c:
        reply = await c.call("notes add", {"text": "hi", "tags": ["a"], "at": {"x": 1, "y": 2.5}})
        assert reply == {
            "event": "notes add ok",
            "payload": {"text": "hi", "tags": ["a"], "at": {"x": 1.0, "y": 2.5}},
        }
        assert await c.call("notes count") == {"event": "notes count ok", "payload": {"connection": c.connection_id}}
        assert await c.call("notes raw", [1, "two"]) == {"event": "notes raw ok", "payload": {"got": [1, "two"]}}


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"text": ["not", "a", "string"]}, "$.text: expected a string, got list"),
        ({}, "$.text: required field missing"),
        ({"text": "x", "at": {"x": 1, "y": "north"}}, "$.at.y: expected a number, got str"),
        ({"text": "x", "tags": [1, {}]}, "$.tags[1]: expected a string, got dict"),
        ({"text": "x", "colour": "red"}, "notes add: unknown fields ['colour'] (known: ['at', 'tags', 'text'])"),
        ("text", "$: expected an object, got a string"),
    ],
)
async def test_invalid_payloads_name_the_field_path(gateway: Gateway, payload: object, detail: str) -> None:
    gateway.include(notes_group())
    async with client(gateway) as c:
        error = await c.call("notes add", payload)
        assert error == {
            "event": "error",
            "payload": {"name": "invalid_payload", "detail": detail, "in_reply_to": "notes add"},
        }


async def test_handlers_may_send_refuse_or_fail_and_the_connection_goes_on(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.include(notes_group())
    async with client(gateway) as c:
        assert await c.call("notes quiet") == {"event": "told", "payload": {"by": "handler"}}
        error = await c.call("notes refuse")
        assert error["payload"] == {"name": "not_allowed", "detail": "you may not", "in_reply_to": "notes refuse"}
        error = await c.call("notes crash")
        assert error["payload"] == {
            "name": "internal",
            "detail": "the command failed on the server",
            "in_reply_to": "notes crash",
        }
        assert "boom" in caplog.text  # logged on the server, not sent to the client
        error = await c.call("notes count", {"unexpected": 1})
        assert error["payload"]["detail"] == "notes count: takes no payload"
        assert (await c.call("notes count"))["event"] == "notes count ok"


def test_command_names_are_unique_across_groups() -> None:
    gateway = Gateway()
    gateway.include(notes_group())
    other = CommandGroup(prefix="notes")

    @other.command("fresh")
    def fresh(connection: Connection) -> None: ...

    @other.command("add")
    def add(connection: Connection) -> None: ...

    with pytest.raises(ValueError, match=r"commands \['notes add'\] are already registered"):
        gateway.include(other)
    assert "notes fresh" not in gateway.commands  # a refused group adds nothing

    clash = CommandGroup()

    @clash.command("subscribe")
    def subscribe(connection: Connection) -> None: ...

    with pytest.raises(ValueError, match="subscribe"):
        gateway.include(clash)


def test_a_group_refuses_a_name_twice_and_bad_handlers() -> None:
    group = CommandGroup("x")
    group.add("a", lambda connection: None)
    with pytest.raises(ValueError, match="'x a' is already registered"):
        group.add("a", lambda connection: None)
    with pytest.raises(TypeError, match="takes \\(connection\\) or \\(connection, payload\\)"):
        group.add("b", lambda: None)
    with pytest.raises(ValueError, match="without surrounding spaces"):
        CommandGroup(" x")
    assert [command.name for command in group] == ["x a"]
