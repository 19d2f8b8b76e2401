"""A VKScript interpreter for `FakeVK`'s `execute`: the safe subset apiforge generates, nothing more.

    return [API.users.get({"user_ids": "1,5"}), API.messages.send({"peer_id": 1, ...})];

Each argument is one JSON object (parsed with `json`, so a value can never turn into code); the
calls run through the fake's own method handlers in order. Like VK, a failing call leaves `false`
in its slot and adds `{"method", "error_code", "error_msg"}` to `execute_errors`; a script
outside the subset is error 12, more than 25 calls error 13.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

MAX_CALLS = 25
_NAME = re.compile(r"API\.([a-zA-Z]+)\.([a-zA-Z]+)\(")
_WS = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


class ScriptSyntaxError(ValueError):
    """The code is not in the subset: `return [API.a.b({...}), ...];`."""

    def __init__(self, position: int, expected: str) -> None:
        super().__init__(f"at {position}: expected {expected}")
        self.position = position


def parse_script(code: str) -> list[tuple[str, dict[str, Any]]]:
    """The (method, arguments) calls of a script, in order; ScriptSyntaxError when it is not in the subset."""
    pos = _skip(code, 0)
    pos = _expect(code, pos, "return")
    pos = _expect(code, _skip(code, pos), "[")
    calls: list[tuple[str, dict[str, Any]]] = []
    pos = _skip(code, pos)
    if code.startswith("]", pos):
        return _finish(code, pos + 1, calls)
    while True:
        match = _NAME.match(code, pos)
        if match is None:
            raise ScriptSyntaxError(pos, "API.<section>.<method>(")
        pos = _skip(code, match.end())
        args: dict[str, Any] = {}
        if not code.startswith(")", pos):
            try:
                value, pos = _DECODER.raw_decode(code, pos)
            except ValueError:
                raise ScriptSyntaxError(pos, "a JSON object of arguments") from None
            if not isinstance(value, dict):
                raise ScriptSyntaxError(pos, "a JSON object of arguments")
            args = cast("dict[str, Any]", value)
            pos = _skip(code, pos)
        pos = _expect(code, pos, ")")
        calls.append((f"{match.group(1)}.{match.group(2)}", args))
        pos = _skip(code, pos)
        if code.startswith(",", pos):
            pos = _skip(code, pos + 1)
            continue
        return _finish(code, _expect(code, pos, "]"), calls)


def run_execute(code: str, methods: Mapping[str, Callable[[dict[str, str]], object]]) -> dict[str, object]:
    """The answer of `execute` for `code`: `{"response": [...]}` plus `execute_errors` when a call failed.

    `methods` are the fake's handlers by method name; a handler raising `VKError` fails its call only.
    A script outside the subset raises VKError 12, too many calls VKError 13 (the whole request fails).
    """
    from apiforge.testing.vk import VKError

    try:
        calls = parse_script(code)
    except ScriptSyntaxError as error:
        raise VKError(12, f"Unable to compile code: {error}") from None
    if len(calls) > MAX_CALLS:
        raise VKError(13, f"Runtime error occurred during code invocation: too many API calls ({len(calls)})")
    response: list[object] = []
    errors: list[dict[str, object]] = []
    for method, args in calls:
        try:
            handler = methods.get(method)
            if handler is None:
                raise VKError(3, "Unknown method passed")
            response.append(handler(form_fields(args)))
        except VKError as error:
            response.append(False)
            errors.append({"method": method, "error_code": error.code, "error_msg": error.message})
    answer: dict[str, object] = {"response": response}
    if errors:
        answer["execute_errors"] = errors
    return answer


def form_fields(args: Mapping[str, Any]) -> dict[str, str]:
    """Script arguments as the form fields a direct call would carry (lists comma-joined, booleans 0/1)."""
    fields: dict[str, str] = {}
    for key, value in args.items():
        if value is None:
            continue
        fields[key] = _field(value)
    return fields


def _field(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(_field(v) for v in cast("list[object]", value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _skip(code: str, pos: int) -> int:
    match = _WS.match(code, pos)
    return match.end() if match else pos


def _expect(code: str, pos: int, token: str) -> int:
    if not code.startswith(token, pos):
        raise ScriptSyntaxError(pos, repr(token))
    return pos + len(token)


def _finish(code: str, pos: int, calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    pos = _skip(code, pos)
    if code.startswith(";", pos):
        pos = _skip(code, pos + 1)
    if pos != len(code):
        raise ScriptSyntaxError(pos, "the end of the script")
    return calls


__all__ = ["MAX_CALLS", "ScriptSyntaxError", "form_fields", "parse_script", "run_execute"]
