"""`applies:` in the VK overlay: which schema states an entry is for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from codegen.importers import vk_applies
from codegen.importers.vk_applies import StateFacts
from codegen.importers.vk_overlay import read_overlay
from codegen.spec.errors import SpecError

OVERLAY = Path(__file__).resolve().parents[2] / "specs" / "vk" / "overlay.yaml"

STATE = StateFacts(
    "5.131",
    sections={"wall", "adsweb"},
    params={"wall.get": {"owner_id", "domain"}, "photos.getAll": {"extended"}},
    responses={"wall.get": {"response", "extendedResponse"}},
    properties={"base_object": {"id", "title"}},
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"version": "<5.199"}, True),
        ({"version": ">=5.131, <5.132"}, True),
        ({"version": "==5.131"}, True),
        ({"version": ">5.131"}, False),
        ({"version": "!=5.131"}, False),
        ({"version": ">=5.99"}, True),  # numbers, not strings: 5.131 > 5.99
        ({"has": ["section adsweb"]}, True),
        ({"has": ["method wall.get", "param wall.get owner_id"]}, True),
        ({"has": ["param wall.get count"]}, False),
        ({"has": ["response wall.get extendedResponse"]}, True),
        ({"has": ["response photos.getAll extendedResponse"]}, False),
        ({"has": ["model base_object", "property base_object title"]}, True),
        ({"lacks": ["property base_object title"]}, False),
        ({"lacks": ["method execute"]}, True),
        ({"version": "<5.199", "lacks": ["section adsweb"]}, False),  # every condition must hold
    ],
)
def test_holds(condition: dict[str, object], expected: bool) -> None:
    assert vk_applies.check(condition) is None
    assert vk_applies.holds(condition, STATE) is expected


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({}, "must be a mapping"),
        ({"since": "5.131"}, "unknown keys ['since']"),
        ({"version": "5.131"}, "'5.131' is not comparisons"),
        ({"version": ">= five"}, "is not comparisons"),
        ({"has": "method wall.get"}, "has: must be a non-empty list"),
        ({"lacks": ["param wall.get"]}, "lacks: 'param wall.get' is not one of"),
        ({"has": ["function wall.get"]}, "has: 'function wall.get' is not one of"),
    ],
)
def test_malformed_conditions_are_named(condition: dict[str, object], problem: str) -> None:
    found = vk_applies.check(condition)
    assert found is not None and problem in found


def _overlay_with(tmp_path: Path, edit: dict[str, object]) -> Path:
    data = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    data.update(edit)
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_a_malformed_applies_names_file_line_and_entry(tmp_path: Path) -> None:
    path = _overlay_with(
        tmp_path, {"corrections": [{"model": "base_object", "path": [], "optional": ["id"], "applies": {"v": 1}}]}
    )
    with pytest.raises(SpecError, match=r"overlay\.yaml:\d+: corrections\[0\]\.applies: unknown keys \['v'\]"):
        read_overlay(path)


def test_entries_for_other_states_are_left_out(tmp_path: Path) -> None:
    corrections = [
        {"model": "base_object", "path": [], "optional": ["id"], "applies": {"version": ">=5.199"}},
        {"model": "base_object", "path": [], "optional": ["title"]},
    ]
    never_required = {"inner_type": {"reason": "test", "applies": {"has": ["section execute"]}}}
    overlay = read_overlay(_overlay_with(tmp_path, {"corrections": corrections, "never_required": never_required}))
    assert overlay.never_required == {"inner_type": "test"}
    scoped = overlay.for_state(STATE)
    # Left out, but in place: later entries keep their index (and their pointer into the file).
    assert scoped.corrections == [{}, corrections[1]]
    assert scoped.never_required == {}
    mine = sorted(line.split(": ", 1)[1] for line in overlay.other_states if "responses." not in line)
    assert mine == ["corrections[0].applies: version >=5.199", "never_required.inner_type.applies: has section execute"]
    assert overlay.corrections == corrections  # the overlay read stays whole
