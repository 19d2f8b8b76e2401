"""Decoding generated models by shape (`apiforge.core.shapes`): one object, or an array column by column.

The models here are written as the generator writes them (a plain `Model` subclass: annotations
with defaults, a keyword-only `__init__`, `__wire_names__`), so they take the shape decoder; every
result is compared with cattrs' own detailed decoder.
"""

from __future__ import annotations

import enum
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiforge.core import shapes
from apiforge.core.converter import detailed, fast, structure
from apiforge.core.errors import DecodeError
from apiforge.core.model import Model, typed_as_attrs
from apiforge.core.types import JSON
from tests.core.test_converter import _PROFILES, Level, Point, Tone


@typed_as_attrs(init=False, slots=False, repr=False, eq=False)
class Spot(Model):
    """A generated-style twin of `Point`."""

    x: int
    y: int | None = None

    def __init__(self, *, x: int, y: int | None = None) -> None:
        self.x = x
        self.y = y


@typed_as_attrs(init=False, slots=False, repr=False, eq=False)
class Card(Model):
    """A generated-style twin of `Profile` (test_converter), with every kind of field."""

    __wire_names__ = MappingProxyType({"from_": "from"})

    id: int
    name: str | None = None
    score: float | None = None
    active: bool | None = None
    level: Level | None = None
    tone: Tone | None = None
    from_: int | None = None
    point: Spot | None = None
    points: list[Spot] | None = None
    tags: list[str] | None = None
    either: int | str | None = None
    raw: JSON = None
    custom: dict[str, JSON] | list[JSON] | None = None
    weights: list[float] | None = None
    where: Spot | list[Spot] | None = None

    def __init__(
        self,
        *,
        id: int,
        name: str | None = None,
        score: float | None = None,
        active: bool | None = None,
        level: Level | None = None,
        tone: Tone | None = None,
        from_: int | None = None,
        point: Spot | None = None,
        points: list[Spot] | None = None,
        tags: list[str] | None = None,
        either: int | str | None = None,
        raw: JSON = None,
        custom: dict[str, JSON] | list[JSON] | None = None,
        weights: list[float] | None = None,
        where: Spot | list[Spot] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.score = score
        self.active = active
        self.level = level
        self.tone = tone
        self.from_ = from_
        self.point = point
        self.points = points
        self.tags = tags
        self.either = either
        self.raw = raw
        self.custom = custom
        self.weights = weights
        self.where = where


def test_generated_models_take_the_shape_decoder_and_attrs_classes_do_not() -> None:
    assert shapes.takes_shapes(Card) and shapes.takes_shapes(Spot)
    assert not shapes.takes_shapes(Point)  # attrs.define: its own __init__ and field table
    assert not shapes.takes_shapes(Model) and not shapes.takes_shapes(dict)


def _agree(wire: object, tp: Any) -> None:
    """The fast decoder gives what cattrs' detailed one gives (same types: repr too), or both fail."""
    try:
        expected = detailed.structure(wire, tp)
    except Exception:
        with pytest.raises(DecodeError):
            structure(wire, tp, method="m")
        return
    decoded = fast.structure(wire, tp)
    assert decoded == expected
    assert repr(decoded) == repr(expected)


@settings(max_examples=300)
@given(_PROFILES)
def test_one_object_decodes_as_cattrs_does(wire: dict[str, object]) -> None:
    _agree(wire, Card)


# Arrays whose objects share shapes (repeated), as a response's objects do, and mixed ones.
_ARRAYS = st.lists(_PROFILES, max_size=4).flatmap(lambda items: st.permutations(items * 3)) | st.lists(
    _PROFILES, max_size=6
)


@settings(max_examples=300)
@given(_ARRAYS)
def test_an_array_decodes_as_cattrs_does(wire: list[dict[str, object]]) -> None:
    _agree(wire, list[Card])


def test_an_array_of_one_shape_is_decoded_by_columns() -> None:
    wire = [{"id": n, "from": n, "level": 1 + n % 2, "point": {"x": n}, "extra": [n]} for n in range(10)]
    cards = structure(wire, list[Card], method="m")
    assert [c.from_ for c in cards] == list(range(10)) and [c.point.x for c in cards if c.point] == list(range(10))
    assert [c.level for c in cards] == [Level.LOW, Level.HIGH] * 5
    assert all(not hasattr(c, "extra") and "from" not in vars(c) for c in cards)  # unknown and wire keys dropped
    assert wire[0] == {"id": 0, "from": 0, "level": 1, "point": {"x": 0}, "extra": [0]}  # the input is not changed


def test_unknown_keys_never_shadow_methods() -> None:
    card = structure({"id": 1, "__repr__": "x", "__eq__": 1, "name": "a"}, Card, method="m")
    assert repr(card) == "Card(id=1, name='a')" and card == Card(id=1, name="a")


def test_a_decoded_model_is_an_attrs_instance() -> None:
    card = structure([{"id": 1, "from": 2}, {"id": 3, "from": 4}], list[Card], method="m")[1]
    assert attrs.evolve(card, name="b") == Card(id=3, from_=4, name="b")
    assert attrs.asdict(card)["from_"] == 4
    assert attrs.asdict(card)["name"] is None


@pytest.mark.parametrize("many", [False, True])
def test_errors_name_the_path_in_an_array(many: bool) -> None:
    good = {"id": 1, "point": {"x": 1}}
    wire = [good, good, {"id": 1, "point": {"x": "?"}}, good] if many else {"id": 1, "point": {"x": "?"}}
    with pytest.raises(DecodeError) as info:
        structure(wire, list[Card] if many else Card, method="m")
    assert (info.value.path, info.value.value) == (("$[2].point.x" if many else "$.point.x"), "?")


def test_a_model_with_more_shapes_than_it_keeps_still_decodes() -> None:
    keys = ["name", "score", "active", "tags", "either", "raw", "weights"]
    wire = [{"id": n, **{k: None for i, k in enumerate(keys) if n >> i & 1}} for n in range(2 ** len(keys))]
    assert len(wire) > shapes.MAX_SHAPES
    assert [structure(w, Card, method="m") for w in wire] == [Card(id=n) for n in range(len(wire))]
    assert structure(wire, list[Card], method="m") == [Card(id=n) for n in range(len(wire))]


class Perm(enum.IntFlag):
    READ = 1
    WRITE = 2


@typed_as_attrs(init=False, slots=False, repr=False, eq=False)
class Message(Model):
    """A Wialon-like message: flags and free parameters, converted a column at a time."""

    f: Perm | None = None
    p: dict[str, JSON] | None = None

    def __init__(self, *, f: Perm | None = None, p: dict[str, JSON] | None = None) -> None:
        self.f = f
        self.p = p


def test_flags_and_free_objects_decode_by_column_as_one_by_one() -> None:
    wire: list[dict[str, object]] = [{"f": n % 4, "p": {"n": n}} for n in range(6)]
    many = structure(wire, list[Message], method="m")
    assert many == detailed.structure(wire, list[Message])
    assert many == [structure(w, Message, method="m") for w in wire]
    assert many[3].f is Perm.READ | Perm.WRITE and type(many[3].f) is Perm
    assert many[2].p == {"n": 2} and many[2].p is not wire[2]["p"]  # a copy: the input stays the caller's
