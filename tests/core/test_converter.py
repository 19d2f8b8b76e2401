"""The shared cattrs converter: wire names, unions, JSON passthrough, DecodeError paths."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.core.converter import detailed, fast, register_tagged_union, structure, unstructure
from apiforge.core.enums import OpenIntEnum, OpenStrEnum
from apiforge.core.errors import DecodeError
from apiforge.core.model import Model
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


# -- sparse decoding of Models: only present fields are set, absent ones read as defaults --------


class Level(OpenIntEnum):
    LOW = 1
    HIGH = 2


class Tone(OpenStrEnum):
    WARM = "warm"


@attrs.define(kw_only=True, slots=True, repr=False, eq=False)
class Point(Model):
    x: int
    y: int | None = None


@attrs.define(kw_only=True, slots=True, repr=False, eq=False)
class Profile(Model):
    id: int
    name: str | None = None
    score: float | None = None
    active: bool | None = None
    level: Level | None = None
    tone: Tone | None = None
    from_: int | None = attrs.field(default=None, metadata={"wire": "from"})
    point: Point | None = None
    points: list[Point] | None = None
    tags: list[str] | None = None
    either: int | str | None = None
    raw: JSON = None
    custom: dict[str, JSON] | list[JSON] | None = None
    weights: list[float] | None = None
    where: Point | list[Point] | None = None


def test_a_decoded_model_equals_the_constructed_one() -> None:
    decoded = structure({"id": 1, "name": "a", "point": {"x": 2}}, Profile, method="m")
    assert decoded == Profile(id=1, name="a", point=Point(x=2))
    assert repr(decoded) == repr(Profile(id=1, name="a", point=Point(x=2)))
    # Absent fields read as their defaults, like the ones __init__ fills in.
    assert (decoded.score, decoded.level, decoded.from_, decoded.point.y, decoded.raw) == (None, None, None, None, None)


def test_a_decoded_model_behaves_like_any_attrs_instance() -> None:
    decoded = structure({"id": 1, "from": 5, "points": [{"x": 1, "y": 2}]}, Profile, method="m")
    assert attrs.asdict(decoded)["from_"] == 5 and attrs.asdict(decoded)["name"] is None
    assert attrs.evolve(decoded, name="b") == Profile(id=1, from_=5, name="b", points=[Point(x=1, y=2)])
    assert copy.copy(decoded) == decoded and copy.deepcopy(decoded) == decoded
    assert pickle.loads(pickle.dumps(decoded)) == decoded
    assert unstructure(decoded) == {"id": 1, "from": 5, "points": [{"x": 1, "y": 2}]}
    decoded.name = "set later"
    assert decoded.name == "set later"
    with pytest.raises(AttributeError, match="'Profile' object has no attribute 'nickname'"):
        getattr(decoded, "nickname")  # noqa: B009 - a name the class does not declare


@pytest.mark.parametrize(
    ("wire", "field", "expected"),
    [
        ({"id": "7"}, "id", 7),  # the fast path only takes exact types; the rest goes through the hooks
        ({"id": True}, "id", 1),
        ({"id": 1, "name": 5}, "name", "5"),
        ({"id": 1, "score": 3}, "score", 3.0),
        ({"id": 1, "active": 1}, "active", True),
        ({"id": 1, "level": 2}, "level", Level.HIGH),
        ({"id": 1, "level": "2"}, "level", Level.HIGH),
        ({"id": 1, "tone": "warm"}, "tone", Tone.WARM),
        ({"id": 1, "either": "x"}, "either", "x"),
        ({"id": 1, "name": None}, "name", None),
        ({"id": 1, "raw": {"any": [1]}}, "raw", {"any": [1]}),
        ({"id": 1, "custom": {"a": [1]}}, "custom", {"a": [1]}),
        ({"id": 1, "custom": [{"a": 1}]}, "custom", [{"a": 1}]),
        ({"id": 1, "weights": [1, 2.5, "3"]}, "weights", [1.0, 2.5, 3.0]),
        ({"id": 1, "where": [{"x": 1}]}, "where", [Point(x=1)]),
        ({"id": 1, "where": {"x": 1}}, "where", Point(x=1)),
    ],
)
def test_fast_paths_decode_as_the_hooks_do(wire: dict[str, object], field: str, expected: object) -> None:
    value = getattr(structure(wire, Profile, method="m"), field)
    assert value == expected and type(value) is type(expected)


def test_unknown_enum_values_still_decode() -> None:
    profile = structure({"id": 1, "level": 9, "tone": "cold"}, Profile, method="m")
    assert profile.level is not None and profile.level.name == "UNKNOWN_9" and profile.level == 9
    assert profile.tone is not None and profile.tone.name == "UNKNOWN_cold"


@pytest.mark.parametrize(
    ("wire", "path", "value"),
    [
        ({"name": "no id"}, "$.id", {"name": "no id"}),
        ({"id": None}, "$.id", None),
        ({"id": 1, "point": {"y": 1}}, "$.point.x", {"y": 1}),
        ({"id": 1, "points": [{"x": 1}, {"x": "?"}]}, "$.points[1].x", "?"),
        ({"id": 1, "from": []}, "$.from", []),
        ({"id": 1, "level": 1.5}, "$.level", 1.5),
        ({"id": 1, "custom": "text"}, "$.custom", "text"),
        ({"id": 1, "weights": [1, "heavy"]}, "$.weights[1]", "heavy"),
    ],
)
def test_sparse_decoding_errors_name_the_path(wire: dict[str, object], path: str, value: object) -> None:
    with pytest.raises(DecodeError) as info:
        structure(wire, Profile, method="m")
    assert (info.value.path, info.value.value) == (path, value)


_JSON_LEAVES = (
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.sampled_from(["", "1", "x"])
)
_JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "y"]), inner, max_size=2),
    max_leaves=6,
)
_POINTS = st.fixed_dictionaries({"x": st.integers() | _JSON_LEAVES}, optional={"y": st.integers() | st.none()})
# Per key: values that fit the declared type (so that most inputs decode), or any JSON at all.
_PLAUSIBLE = {
    "id": st.integers() | st.booleans() | st.sampled_from(["7", "-1", " 2 "]),
    "name": st.text(max_size=3) | st.integers(),
    "score": st.floats(allow_nan=False) | st.integers() | st.sampled_from(["1.5"]),
    "active": st.booleans() | st.sampled_from([0, 1, "true", "0"]),
    "level": st.sampled_from([1, 2, 9, "2", True]),
    "tone": st.sampled_from(["warm", "cold", 1]),
    "from": st.integers() | st.floats(allow_nan=False),
    "point": _POINTS,
    "points": st.lists(_POINTS, max_size=3),
    "tags": st.lists(st.text(max_size=2) | st.integers(), max_size=3),
    "either": st.integers() | st.text(max_size=2) | st.booleans(),
    "raw": _JSON_VALUES,
    "custom": st.dictionaries(st.text(max_size=2), _JSON_VALUES, max_size=2) | st.lists(_JSON_VALUES, max_size=2),
    "weights": st.lists(st.integers() | st.floats(allow_nan=False) | st.sampled_from(["2.5", True]), max_size=3),
    "where": _POINTS | st.lists(_POINTS, max_size=2),
    "other": _JSON_VALUES,
}
_PROFILES = st.fixed_dictionaries(
    {"id": _PLAUSIBLE["id"] | _JSON_VALUES},
    optional={key: values | st.none() | _JSON_VALUES for key, values in _PLAUSIBLE.items() if key != "id"},
)


@settings(max_examples=400)
@given(_PROFILES)
def test_the_sparse_decoder_agrees_with_cattrs(wire: dict[str, object]) -> None:
    """Whatever the input, the fast decoder gives what cattrs' own (detailed) one gives, or both fail."""
    try:
        expected = detailed.structure(wire, Profile)
    except Exception:
        with pytest.raises(DecodeError):
            structure(wire, Profile, method="m")
        return
    decoded = fast.structure(wire, Profile)
    assert decoded == expected
    assert repr(decoded) == repr(expected)  # the same types too: True is not 1, 1.0 is not 1


def test_a_first_decode_builds_no_field_table() -> None:
    """A generated model decodes by shape, reading the annotations of the fields an object carries:
    decoding a VK user with a city builds no attrs field table at all, neither of the user and the
    city nor of the ~20 other models a user's fields may hold (career, military, counters...). A
    fresh interpreter: tables, once built, stay."""
    probe = """
import json, sys
from apiforge.core.converter import structure
from apiforge.core.model import FieldTable, Model
from apiforge.vk.models import UsersUserFull
user = structure([{"id": 1, "first_name": "A", "city": {"id": 2, "title": "B"}}], list[UsersUserFull], method="m")[0]
assert user.city.title == "B" and user.career is None
built = set()
for module in list(sys.modules.values()):
    for value in list(vars(module).values()) if module else ():
        if isinstance(value, type) and issubclass(value, Model) and isinstance(value.__dict__.get("__attrs_attrs__"), FieldTable):
            built.add(value.__name__)
print(json.dumps(sorted(built)))
"""
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
