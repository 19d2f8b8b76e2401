"""Parameter encodings: what each one puts on the wire."""

from __future__ import annotations

import enum
import json

import attrs
import pytest

from apiforge.core.call import MethodSpec, Param
from apiforge.core.encoding import encode, native, to_json_text


class Color(enum.IntEnum):
    RED = 1


class Kind(enum.StrEnum):
    A = "a"


@attrs.define(kw_only=True)
class Point:
    from_: int = attrs.field(metadata={"wire": "from"})
    label: str | None = None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, "5"), ("x", "x"), (True, "1"), (False, "0"), (Color.RED, "1"), (Kind.A, "a"), (1.5, "1.5")],
)
def test_plain(value: object, expected: str) -> None:
    assert encode(value, "plain") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3], "1,2,3"),
        (("a", "b"), "a,b"),
        ([True, False], "1,0"),
        ([Color.RED, 7], "1,7"),
        (["a", 1, "ж"], "a,1,ж"),
        ((n for n in (1, True)), "1,1"),
        ("a,b", "a,b"),
        (5, "5"),
        ([], ""),
    ],
)
def test_csv(value: object, expected: str) -> None:
    assert encode(value, "csv") == expected


@pytest.mark.parametrize(("value", "expected"), [(True, "1"), (False, "0"), (1, "1"), (0, "0")])
def test_bool01(value: object, expected: str) -> None:
    assert encode(value, "bool01") == expected


def test_brackets() -> None:
    assert encode([1, 2], "brackets") == ["1", "2"]
    assert encode("x", "brackets") == ["x"]
    assert encode(3, "brackets") == ["3"]


def test_json_is_compact_and_uses_wire_names() -> None:
    assert encode({"a": [1, 2], "b": "é"}, "json") == '{"a":[1,2],"b":"é"}'
    assert encode('{"already": "text"}', "json") == '{"already": "text"}'
    assert json.loads(to_json_text(Point(from_=3))) == {"from": 3}
    assert to_json_text([Point(from_=1, label="x")]) == '[{"from":1,"label":"x"}]'


def test_native_keeps_json_data() -> None:
    assert encode({"n": 1, "skip": None, "c": Color.RED, "k": Kind.A}, "native") == {"n": 1, "c": 1, "k": "a"}
    assert native((1, {2})) == [1, [2]]
    assert native(Point(from_=2)) == {"from": 2}


def test_method_spec_call_encodes_by_location() -> None:
    spec: MethodSpec[object] = MethodSpec(
        api="vk",
        name="users.get",
        params=(Param("user_ids", "form", "csv"), Param("extended", "form", "bool01"), Param("fields", "form", "csv")),
    )
    call = spec.call({"user_ids": [1, 2], "extended": False, "fields": None})
    assert call.params == {"user_ids": "1,2", "extended": "0"}
    assert call.method == "users.get"
    assert "1,2" not in repr(call)
