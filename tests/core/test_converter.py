"""The shared cattrs converter: wire names, unions, JSON passthrough, DecodeError paths."""

from __future__ import annotations

import attrs
import pytest

from apiforge.core.converter import register_tagged_union, structure, unstructure
from apiforge.core.errors import DecodeError
from apiforge.core.types import JSON


@attrs.define(kw_only=True, slots=True)
class Inner:
    n: int
    label: str | None = None


@attrs.define(kw_only=True, slots=True)
class Renamed:
    from_: int = attrs.field(metadata={"wire": "from"})
    field_2fa_required: bool | None = attrs.field(default=None, metadata={"wire": "2fa_required"})
    self_: str | None = attrs.field(default=None, metadata={"wire": "self"})


@attrs.define(kw_only=True, slots=True)
class Outer:
    id: int | str
    items: list[Inner]
    extra: JSON = None
    nested: Inner | None = None


@attrs.define(kw_only=True, slots=True)
class Square:
    shape: str
    side: int


@attrs.define(kw_only=True, slots=True)
class Circle:
    shape: str
    radius: int


Shape = Square | Circle
register_tagged_union(Shape, "shape", {"square": Square, "circle": Circle})


def test_wire_names_are_renamed_both_ways() -> None:
    value = structure({"from": 1, "2fa_required": 0, "self": "me"}, Renamed, method="m")
    assert value == Renamed(from_=1, field_2fa_required=False, self_="me")
    assert unstructure(value) == {"from": 1, "2fa_required": False, "self": "me"}
    assert unstructure(Renamed(from_=2)) == {"from": 2}


def test_unknown_keys_are_ignored() -> None:
    assert structure({"n": 1, "new_field": [1]}, Inner, method="m") == Inner(n=1)


@pytest.mark.parametrize(("wire", "expected"), [(5, 5), ("5", "5"), ("abc", "abc"), (5.0, 5)])
def test_int_or_str(wire: object, expected: object) -> None:
    value = structure({"id": wire, "items": []}, Outer, method="m")
    assert value.id == expected
    assert type(value.id) is type(expected)


def test_int_or_str_rejects_other_shapes() -> None:
    with pytest.raises(DecodeError) as info:
        structure({"id": [1], "items": []}, Outer, method="m")
    assert info.value.path == "$.id"


def test_json_passes_through_untouched() -> None:
    blob = {"any": [1, "two", {"three": None}], "b": True}
    assert structure(blob, JSON, method="m") is blob
    assert structure([1, "x"], list[JSON], method="m") == [1, "x"]
    assert structure({"id": 1, "items": [], "extra": "text"}, Outer, method="m").extra == "text"


def test_json_field_passes_objects_through() -> None:
    blob = {"any": [1, "two", {"three": None}], "b": True}
    value = structure({"id": 1, "items": [], "extra": blob}, Outer, method="m")
    assert value.extra == blob
    assert unstructure(value)["extra"] == blob


@pytest.mark.parametrize(
    ("tp", "wire", "expected"),
    [
        (int, "42", 42),
        (int, 3.0, 3),
        (int, True, 1),
        (float, "1.5", 1.5),
        (float, 2, 2.0),
        (str, 12, "12"),
        (bool, 1, True),
        (bool, "false", False),
    ],
)
def test_lenient_primitives(tp: type, wire: object, expected: object) -> None:
    assert structure(wire, tp, method="m") == expected


@pytest.mark.parametrize(("tp", "wire"), [(int, "4x"), (int, 1.5), (str, None), (bool, 2), (float, "nan?")])
def test_strict_primitives(tp: type, wire: object) -> None:
    with pytest.raises(DecodeError):
        structure(wire, tp, method="m")


def test_decode_error_path_in_a_nested_list() -> None:
    body = {"id": 1, "items": [{"n": 1}, {"n": 2}, {"n": "three"}]}
    with pytest.raises(DecodeError) as info:
        structure(body, Outer, method="things.get")
    error = info.value
    assert (error.method, error.path, error.value) == ("things.get", "$.items[2].n", "three")
    assert str(error).startswith("things.get: $.items[2].n: ")
    assert "'three'" in str(error)


def test_decode_error_for_a_missing_field() -> None:
    with pytest.raises(DecodeError) as info:
        structure({"id": 1, "items": [{"label": "x"}]}, Outer, method="m")
    assert info.value.path == "$.items[0].n"


def test_decode_error_for_a_nested_object() -> None:
    with pytest.raises(DecodeError) as info:
        structure({"id": 1, "items": [], "nested": {"n": "x"}}, Outer, method="m")
    assert info.value.path == "$.nested.n"
    assert info.value.value == "x"


def test_decode_error_at_the_top() -> None:
    with pytest.raises(DecodeError) as info:
        structure("not an object", Outer, method="m")
    assert info.value.path.startswith("$")


def test_tagged_union() -> None:
    assert structure({"shape": "circle", "radius": 2}, Shape, method="m") == Circle(shape="circle", radius=2)
    assert structure({"shape": "square", "side": 3}, Shape, method="m") == Square(shape="square", side=3)
    # An unknown tag falls back to trying each member.
    assert structure({"shape": "blob", "radius": 1}, Shape, method="m") == Circle(shape="blob", radius=1)
    assert structure([{"shape": "square", "side": 1}], list[Shape], method="m") == [Square(shape="square", side=1)]


def test_optional_union() -> None:
    assert structure(None, int | None, method="m") is None
    assert structure("7", int | None, method="m") == 7


def test_enums_decode_to_members() -> None:
    from apiforge.core.enums import OpenIntEnum, OpenStrEnum

    class Color(OpenIntEnum):
        RED = 1

    class Kind(OpenStrEnum):
        A = "a"

    assert structure(1, Color, method="m") is Color.RED
    assert structure(9, Color, method="m").name == "UNKNOWN_9"
    assert structure("b", Kind, method="m").name == "UNKNOWN_b"


def test_decode_error_path_uses_wire_names() -> None:
    with pytest.raises(DecodeError) as info:
        structure({"from": "x"}, Renamed, method="m")
    assert (info.value.path, info.value.value) == ("$.from", "x")
