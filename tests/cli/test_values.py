"""Command-line text to typed values: each type's syntax, and the reason given when text does not fit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import attrs
import pytest

from apiforge.cli.values import parse_value
from apiforge.core import JSON, OpenIntEnum, OpenStrEnum


class Case(OpenStrEnum):
    NOM = "Nom"
    GEN = "Gen"


class Level(OpenIntEnum):
    LOW = 1
    HIGH = 2


@attrs.define(kw_only=True)
class Spec:
    items_type: str = attrs.field(metadata={"wire": "itemsType"})
    mask: str = "*"


@pytest.mark.parametrize(
    ("text", "tp", "expected"),
    [
        ("42", int, 42),
        ("-3", int | None, -3),
        ("2.5", float | int, 2.5),
        ("7", float | int, 7),
        ("1", bool, True),
        ("False", bool, False),
        ("yes", bool | None, True),
        ("hello, world", str, "hello, world"),
        ("1", Literal[0, 1], 1),
        ("ASC", Literal["ASC", "DESC"], "ASC"),
        ("asc", Literal["ASC", "DESC"], "ASC"),  # the only value spelled so, ignoring case
        ("Gen", Case, Case.GEN),
        ("gen", Case | Literal["Nom", "Gen"], Case.GEN),
        ("GEN", Case, Case.GEN),  # a member name works too
        ("2", Level, Level.HIGH),
        ("1,5,durov", Sequence[int | str], [1, 5, "durov"]),
        ('["a,b", "c"]', Sequence[str], ["a,b", "c"]),
        ("", Sequence[int], []),
        ("Nom,Gen", Sequence[Case | str], [Case.NOM, Case.GEN]),
        ("photo_100", Sequence[Case | str], ["photo_100"]),
        ('{"a": [1, 2]}', Mapping[str, JSON], {"a": [1, 2]}),
        ('{"id": 1}', Sequence[Mapping[str, JSON]], [{"id": 1}]),
        ('[{"id": 1}, {"id": 2}]', Sequence[Mapping[str, JSON]], [{"id": 1}, {"id": 2}]),
        ('{"itemsType": "avl_unit"}', Spec, Spec(items_type="avl_unit")),
        ("[1, true]", JSON, [1, True]),
        ("plain text", JSON, "plain text"),
    ],
)
def test_parses(text: str, tp: object, expected: object) -> None:
    value = parse_value(text, tp)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "tp", "reason"),
    [
        ("abc", int, "not an integer"),
        ("1.5", int, "not an integer"),
        ("x", float, "not a number"),
        ("maybe", bool, "not a boolean (use 1/0, true/false or yes/no)"),
        ("2", Literal[0, 1], "not one of 0, 1"),
        ("Dat", Case, "not one of 'Nom', 'Gen'"),  # an open enum still takes only listed values here
        ("Dat", Case | Literal["Nom", "Gen"], "not one of 'Nom', 'Gen'"),  # said once, not twice
        ("1,x", Sequence[int], "item 1 'x': not an integer"),
        ("[1,", Sequence[int], "not a JSON array"),
        ("{nope", Mapping[str, JSON], "not a JSON object"),
        ("[1]", Mapping[str, JSON], "not a JSON object"),
        ('{"mask": "*"}', Spec, "$.itemsType: required field missing"),
    ],
)
def test_refuses_with_a_reason(text: str, tp: object, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_value(text, tp)
    assert str(caught.value).startswith(reason)  # JSON errors go on with where the text broke
