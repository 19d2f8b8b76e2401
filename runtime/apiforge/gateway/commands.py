"""Commands: named handlers grouped under a prefix, with typed payloads.

    chat = CommandGroup(prefix="chat")

    @attrs.define
    class Say:
        text: str

    @chat.command("say", protected=True)
    async def say(connection: Connection, payload: Say) -> dict[str, str]:
        return {"echo": payload.text}

A command's full name is `prefix + " " + name` ("chat say"; just the name when the prefix is
empty). A handler takes the connection and, when it declares a second parameter annotated with
an attrs class, the payload structured into it (field errors name their path: `$.text: ...`);
a second parameter annotated otherwise gets the payload as parsed JSON. Handlers may be sync or
async; what they return (unless None) is unstructured to JSON and sent back as `"<command> ok"`.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs
import cattrs

from apiforge.core.converter import detailed, fast
from apiforge.core.types import JSON
from apiforge.gateway.protocol import GatewayError

Handler = Callable[..., object]
"""A command handler: `(connection)` or `(connection, payload)`, sync or async, returning a JSON-able value or None."""
H = TypeVar("H", bound=Handler)


@attrs.frozen
class Command:
    """One registered command."""

    name: str
    """The full name clients send as `event`."""
    handler: Handler
    protected: bool = False
    """Needs a token the gateway's verifier accepts."""
    payload_type: Any = None
    """The attrs class the payload is structured into; None: the handler takes no payload; `JSON`: raw."""
    takes_payload: bool = False

    def read_payload(self, payload: JSON) -> object:
        """The handler's payload argument from the message's payload (or a GatewayError `invalid_payload`)."""
        tp = self.payload_type
        if not attrs.has(tp):
            return payload
        if payload is None:
            payload = {}  # a model whose fields all have defaults needs no payload
        if isinstance(payload, dict):
            known = {field.metadata.get("wire", field.name) for field in attrs.fields(tp)}
            unknown = sorted(set(payload) - known)
            if unknown:
                raise GatewayError("invalid_payload", f"{self.name}: unknown fields {unknown} (known: {sorted(known)})")
        return structure_payload(payload, tp)


def structure_payload(payload: JSON, tp: Any, *, path: str = "$") -> object:
    """`payload` as an instance of the attrs class `tp`, or a GatewayError naming the first bad field's path.

    Uses apiforge's converter (strict primitives, wire names); the detailed pass runs only on failure.
    """
    try:
        return fast.structure(payload, tp)
    except Exception:  # noqa: BLE001 - explained by the detailed pass below
        pass
    try:
        return detailed.structure(payload, tp)
    except Exception as error:  # noqa: BLE001 - every failure becomes an error message
        problems = (
            cattrs.transform_error(error, path=path, format_exception=_reason)
            if isinstance(error, cattrs.BaseValidationError)
            else [f"{_reason(error, tp)} @ {path}"]
        )
        reason, _, path = (problems[0] if problems else f"invalid @ {path}").rpartition(" @ ")
        raise GatewayError("invalid_payload", f"{path}: {reason}") from None


def _reason(error: BaseException, tp: Any) -> str:
    """What is wrong, in the words of the hook that refused the value (cattrs' default hides them)."""
    if isinstance(error, KeyError):
        return "required field missing"
    text = str(error)
    if text:
        return text
    return f"invalid value for {getattr(tp, '__name__', tp)}"


def full_name(prefix: str, name: str) -> str:
    """A command's name as clients send it: `"<prefix> <name>"`, or `name` without a prefix."""
    return f"{prefix} {name}" if prefix else name


def command_of(name: str, handler: Handler, *, protected: bool) -> Command:
    """A Command for `handler`, its payload type read from its annotations."""
    if not callable(handler):
        raise TypeError(f"command {name!r}: the handler must be callable, got {type(handler).__name__}")
    parameters = [
        p
        for p in inspect.signature(handler).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not parameters or len(parameters) > 2:
        raise TypeError(f"command {name!r}: a handler takes (connection) or (connection, payload)")
    if len(parameters) == 1:
        return Command(name=name, handler=handler, protected=protected)
    payload_type = _payload_annotation(name, handler, parameters[1])
    return Command(name=name, handler=handler, protected=protected, payload_type=payload_type, takes_payload=True)


def _payload_annotation(name: str, handler: Handler, parameter: inspect.Parameter) -> Any:
    """The payload parameter's type, its annotation evaluated alone (the connection's may be a
    TYPE_CHECKING-only name); JSON when it has none."""
    annotation: object = parameter.annotation
    if annotation is inspect.Parameter.empty:
        return JSON
    if not isinstance(annotation, str):
        return annotation
    function: Any = inspect.unwrap(handler)
    namespace: dict[str, Any] = dict(getattr(function, "__globals__", {}))
    code = getattr(function, "__code__", None)
    closure = getattr(function, "__closure__", None)
    if code is not None and closure is not None:
        # Names of the enclosing function (a model defined next to the handler).
        for variable, cell in zip(code.co_freevars, closure, strict=True):
            with contextlib.suppress(ValueError):
                namespace[variable] = cell.cell_contents
    try:
        return eval(annotation, namespace)
    except Exception as error:  # noqa: BLE001 - say which handler and annotation
        raise TypeError(f"command {name!r}: cannot resolve the payload annotation {annotation!r}: {error}") from None


class CommandGroup:
    """Commands sharing a name prefix; `Gateway.include(group)` serves them.

    Args:
        prefix: prepended to every name with a space ("" for none).
    """

    def __init__(self, prefix: str = "") -> None:
        if not isinstance(prefix, str) or prefix != prefix.strip():
            raise ValueError(f"CommandGroup: prefix must be a string without surrounding spaces, got {prefix!r}")
        self.prefix = prefix
        self._commands: dict[str, Command] = {}

    def command(self, name: str, *, protected: bool = False) -> Callable[[H], H]:
        """Decorator: register a handler as the command `prefix + " " + name`."""

        def register(handler: H) -> H:
            self.add(name, handler, protected=protected)
            return handler

        return register

    def add(self, name: str, handler: Handler, *, protected: bool = False) -> Command:
        """Register `handler` as the command `name` (under the prefix); returns the Command."""
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise ValueError(f"command name must be a non-empty string without surrounding spaces, got {name!r}")
        command = command_of(full_name(self.prefix, name), handler, protected=protected)
        if command.name in self._commands:
            raise ValueError(f"command {command.name!r} is already registered in this group")
        self._commands[command.name] = command
        return command

    def __iter__(self) -> Iterator[Command]:
        return iter(self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def __repr__(self) -> str:
        return f"<CommandGroup prefix={self.prefix!r} commands={sorted(self._commands)}>"


__all__ = ["Command", "CommandGroup", "Handler", "command_of", "full_name"]
