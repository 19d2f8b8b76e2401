"""Generated models type-check as what they are: keyword-only classes with typed attributes, and
attrs classes to attrs' functions (`attrs.evolve` and `attrs.fields` typed by mypy's attrs plugin).

mypy (strict) and pyright check a snippet that builds, reads and evolves a generated VK model,
and four mistakes that must be reported (pyright types `attrs.evolve`'s changes loosely: three).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import typecheck

SNIPPET = """
import attrs

from apiforge.vk.models import UsersMilitary


def uses() -> None:
    military = UsersMilitary(unit="a", unit_id=1, from_=2000)
    moved: UsersMilitary = attrs.evolve(military, unit_id=2)
    metadata = attrs.fields(UsersMilitary).from_.metadata
    plain: dict[str, object] = attrs.asdict(moved)
    unit: str = military.unit
    year: int | None = military.from_
    print(metadata, plain, unit, year)


def mistakes() -> None:
    UsersMilitary(unit="a")  # line 17: unit_id is required
    UsersMilitary(unit="a", unit_id="1")  # line 18: unit_id is an int
    attrs.evolve(UsersMilitary(unit="a", unit_id=1), unit_id="2")  # line 19: so it is here
    print(UsersMilitary(unit="a", unit_id=1).nickname)  # line 20: no such attribute
"""


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "models.py"
    path.write_text(SNIPPET.lstrip("\n"), encoding="utf-8")
    return path


def test_mypy_types_models_and_attrs_functions_on_them(snippet: Path) -> None:
    checked = typecheck.mypy(snippet)
    errors = [line for line in checked.stdout.splitlines() if " error: " in line]
    assert [line.split(":")[1] for line in errors] == ["17", "18", "19", "20"], checked.stdout
    assert 'Missing named argument "unit_id" for "UsersMilitary"' in errors[0]
    assert 'Argument "unit_id" to "UsersMilitary" has incompatible type "str"; expected "int"' in errors[1]
    assert 'Argument "unit_id" to "evolve" of "UsersMilitary" has incompatible type "str"' in errors[2]
    assert '"UsersMilitary" has no attribute "nickname"' in errors[3]


def test_pyright_types_models(snippet: Path) -> None:
    checked = typecheck.pyright(snippet)
    errors = [line for line in checked.stdout.splitlines() if " - error: " in line]
    # (an unknown attribute also makes its value's type unknown: one line, several reports)
    assert sorted({line.split(":")[1] for line in errors}) == ["17", "18", "20"], checked.stdout
    assert 'Argument missing for parameter "unit_id"' in errors[0]
    assert 'parameter "unit_id" of type "int"' in errors[1]
    assert 'Cannot access attribute "nickname" for class "UsersMilitary"' in checked.stdout
