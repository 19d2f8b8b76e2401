"""A VKScript interpreter for `FakeVK`'s `execute`: straight-line scripts, with data kept data.

    return API.users.get({"user_ids": 1});
    var users = API.users.get({"user_ids": [1, 5], "fields": "photo_100"});
    return {"names": users@.first_name, "first": users[0].id, "time": API.utils.getServerTime()};

`execute` runs what VK documents for straight-line code: `var` assignments and a `return` of an
expression made of literals (numbers, strings, true/false/null, arrays, objects), variables, API
calls `API.section.method({...})` (their argument an object expression), member access (`.name`,
`[index]`, `.length`), VK's `@.name` (that field of each item of a list) and `+` (numbers, strings,
lists). Values are parsed as literals, never run as code. The calls run through the fake's own
method handlers in order. Like VK, a failing call leaves `false` in its place and adds
`{"method", "error_code", "error_msg"}` to `execute_errors`; a script the interpreter cannot read
is error 12, more than 25 calls error 13.

`parse_script` reads only the form apiforge itself sends (`return [API.a.b({...}), ...];`), strictly:
tests use it to look inside the scripts the SDK builds.
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
    """The answer of `execute` for `code`: `{"response": ...}` plus `execute_errors` when a call failed.

    `methods` are the fake's handlers by method name; a handler raising `VKError` fails its call only.
    A script the interpreter cannot read raises VKError 12, too many calls VKError 13 (the whole request fails).
    """
    from apiforge.testing.vk import VKError

    script = _Script(code, methods)
    try:
        response = script.run()
    except ScriptSyntaxError as error:
        raise VKError(12, f"Unable to compile code: {error}") from None
    answer: dict[str, object] = {"response": response}
    if script.errors:
        answer["execute_errors"] = script.errors
    return answer


_TOKEN = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<op>@\.|[\[\]{}(),:;.=+-])"
)
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}


class _Script:
    """Reads a script token by token and evaluates it as it goes (straight-line code: no branches)."""

    def __init__(self, code: str, methods: Mapping[str, Callable[[dict[str, str]], object]]) -> None:
        self.code = code
        self.methods = methods
        self.pos = 0
        self.variables: dict[str, object] = {}
        self.errors: list[dict[str, object]] = []
        self.calls = 0

    # Tokens.

    def _peek(self) -> tuple[str, str] | None:
        self.pos = _after_space(self.code, self.pos)
        match = _TOKEN.match(self.code, self.pos)
        if match is None:
            return None
        kind = match.lastgroup or ""
        return kind, match.group(kind)

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ScriptSyntaxError(self.pos, "more script" if self.pos < len(self.code) else "a token")
        self.pos += len(token[1])
        return token

    def _accept(self, op: str) -> bool:
        token = self._peek()
        if token == ("op", op):
            self.pos += len(op)
            return True
        return False

    def _expect(self, op: str) -> None:
        if not self._accept(op):
            raise ScriptSyntaxError(self.pos, repr(op))

    # Statements.

    def run(self) -> object:
        while True:
            kind, text = self._take()
            if kind == "name" and text == "var":
                name = self._take()
                if name[0] != "name":
                    raise ScriptSyntaxError(self.pos, "a variable name")
                self._expect("=")
                self.variables[name[1]] = self._expression()
                self._expect(";")
            elif kind == "name" and text == "return":
                value = self._expression()
                self._accept(";")
                if _after_space(self.code, self.pos) != len(self.code):
                    raise ScriptSyntaxError(self.pos, "the end of the script")
                return value
            else:
                raise ScriptSyntaxError(self.pos - len(text), "`var` or `return`")

    # Expressions.

    def _expression(self) -> object:
        value = self._postfix(self._primary())
        while self._accept("+"):
            value = _plus(value, self._postfix(self._primary()), self.pos)
        return value

    def _primary(self) -> object:
        start = self.pos
        kind, text = self._take()
        if kind == "str":
            return _string(text, start)
        if kind == "num":
            return json.loads(text)
        if kind == "op" and text == "-":
            number = self._take()
            if number[0] != "num":
                raise ScriptSyntaxError(self.pos, "a number")
            return -json.loads(number[1])
        if kind == "op" and text == "[":
            items: list[object] = []
            if not self._accept("]"):
                items.append(self._expression())
                while self._accept(","):
                    items.append(self._expression())
                self._expect("]")
            return items
        if kind == "op" and text == "{":
            return self._object()
        if kind == "op" and text == "(":
            value = self._expression()
            self._expect(")")
            return value
        if kind == "name" and text == "API":
            return self._call()
        if kind == "name" and text in _LITERALS:
            return _LITERALS[text]
        if kind == "name" and text in self.variables:
            return self.variables[text]
        raise ScriptSyntaxError(start, "a value" if kind != "name" else f"a known variable, not {text!r}")

    def _object(self) -> dict[str, object]:
        result: dict[str, object] = {}
        if self._accept("}"):
            return result
        while True:
            start = self.pos
            kind, text = self._take()
            if kind == "str":
                key = _string(text, start)
            elif kind == "name":
                key = text
            else:
                raise ScriptSyntaxError(start, "a key")
            self._expect(":")
            result[key] = self._expression()
            if self._accept("}"):
                return result
            self._expect(",")

    def _call(self) -> object:
        self._expect(".")
        section = self._take()
        self._expect(".")
        method = self._take()
        if section[0] != "name" or method[0] != "name":
            raise ScriptSyntaxError(self.pos, "API.<section>.<method>(")
        self._expect("(")
        args: object = {}
        if not self._accept(")"):
            args = self._expression()
            self._expect(")")
        if not isinstance(args, dict):
            raise ScriptSyntaxError(self.pos, "an object of arguments")
        return self._invoke(f"{section[1]}.{method[1]}", cast("dict[str, Any]", args))

    def _invoke(self, method: str, args: dict[str, Any]) -> object:
        from apiforge.testing.vk import VKError

        self.calls += 1
        if self.calls > MAX_CALLS:
            raise VKError(13, f"Runtime error occurred during code invocation: too many API calls (over {MAX_CALLS})")
        try:
            handler = self.methods.get(method)
            if handler is None:
                raise VKError(3, "Unknown method passed")
            return handler(form_fields(args))
        except VKError as error:
            self.errors.append({"method": method, "error_code": error.code, "error_msg": error.message})
            return False

    def _postfix(self, value: object) -> object:
        while True:
            if self._accept("@."):
                name = self._take()[1]
                items = cast("list[object]", value) if isinstance(value, list) else []
                value = [_member(item, name) for item in items]
            elif self._accept("."):
                value = _member(value, self._take()[1])
            elif self._accept("["):
                index = self._expression()
                self._expect("]")
                value = _index(value, index)
            else:
                return value


def _after_space(code: str, pos: int) -> int:
    """Where the next token starts: after blanks and comments."""
    match = _SPACE.match(code, pos)
    return match.end() if match else pos


def _string(text: str, position: int) -> str:
    body = text[1:-1]
    if text[0] == "'":
        body = body.replace('\\"', '"').replace('"', '\\"').replace("\\'", "'")
    try:
        value: str = json.loads(f'"{body}"')
    except ValueError:
        raise ScriptSyntaxError(position, "a valid string") from None
    return value


def _member(value: object, name: str) -> object:
    if name == "length" and isinstance(value, list | str):
        return len(cast("list[object] | str", value))
    if isinstance(value, dict):
        return cast("dict[str, object]", value).get(name)
    return None


def _index(value: object, index: object) -> object:
    if isinstance(value, list) and isinstance(index, int) and not isinstance(index, bool):
        items = cast("list[object]", value)
        return items[index] if 0 <= index < len(items) else None
    if isinstance(value, dict) and isinstance(index, str):
        return cast("dict[str, object]", value).get(index)
    return None


def _plus(left: object, right: object, position: int) -> object:
    if isinstance(left, str) or isinstance(right, str):
        return _text(left) + _text(right)
    if isinstance(left, list) and isinstance(right, list):
        return [*cast("list[object]", left), *cast("list[object]", right)]
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left + right
    raise ScriptSyntaxError(position, "numbers, strings or lists on both sides of +")


def _text(value: object) -> str:
    if isinstance(value, list):
        return ",".join(_text(item) for item in cast("list[object]", value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


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
