"""The overlay's fixes from real responses: `never_required` and the `optional` correction.

specs/vk/overlay.yaml is checked too: every correction gives a reason, and the samples a reason
names exist (when ../shared/samples is there).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.importers import vk
from codegen.spec.errors import SpecError
from codegen.spec.load import load_api
from codegen.spec.model import Spec

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared/upstream/vk-api-schema"
SAMPLES = REPO.parent / "shared/samples/vk"
OVERLAY = REPO / "specs" / "vk" / "overlay.yaml"

needs_schema = pytest.mark.skipif(not SCHEMA.is_dir(), reason=f"the VK API schema is not at {SCHEMA}")


def overlay() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(OVERLAY.read_text(encoding="utf-8"))
    return data


def import_with(root: Path, data: dict[str, Any]) -> Spec:
    out = root / "vk"
    out.mkdir(parents=True)
    (out / "overlay.yaml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    vk.run(SCHEMA, root, strict=True)  # an entry that does not apply fails here
    return load_api(out)


@pytest.fixture(scope="module")
def committed() -> Spec:
    return load_api(REPO / "specs" / "vk")


def required_somewhere(spec: Spec, name: str) -> list[str]:
    found: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("required"), list) and name in node["required"]:
                found.append(where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    for model, spec_model in spec.models.items():
        walk(spec_model.schema, model)
    return found


def test_inner_type_is_never_required(committed: Spec) -> None:
    assert not required_somewhere(committed, "inner_type")
    assert "inner_type" in committed.models["wall_wallpost"].schema["properties"]  # still a field


def test_optional_flattens_one_model_and_leaves_its_parents(committed: Spec) -> None:
    settings = committed.models["account_user_settings"].schema
    assert "allOf" not in settings and "id" in settings["properties"]
    assert "id" not in settings.get("required", [])
    assert committed.models["users_user_min"].schema["required"] == ["id"]  # every other user keeps it
    assert "photo_200" in settings["properties"] and "first_name" in settings["properties"]


def test_optional_without_inheritance_only_edits_required(committed: Spec) -> None:
    photo = committed.models["photos_photo"].schema
    assert "has_tags" in photo["properties"] and "has_tags" not in photo["required"]
    assert {"album_id", "date", "id", "owner_id"} <= set(photo["required"])


def test_every_correction_gives_its_reason_and_its_samples_exist() -> None:
    corrections = overlay()["corrections"]
    assert len(corrections) >= 30
    for item in corrections:
        assert item.get("reason"), item
        if SAMPLES.is_dir():
            for method, number in re.findall(r"\b([a-zA-Z]+\.[a-zA-Z]+)__(\d+)\b", item["reason"]):
                assert (SAMPLES / f"{method}__{number}.json").is_file(), f"{item['reason']!r}: no such sample"


@needs_schema
def test_a_stale_never_required_entry_fails(tmp_path: Path) -> None:
    data = overlay()
    data["never_required"] = {**data["never_required"], "no_such_property": "test"}
    with pytest.raises(SpecError, match="no_such_property"):
        import_with(tmp_path, data)


@needs_schema
def test_a_stale_optional_correction_fails(tmp_path: Path) -> None:
    data = overlay()
    data["corrections"] = [{"model": "base_object", "path": [], "optional": ["no_such_field"], "reason": "test"}]
    with pytest.raises(SpecError, match="no_such_field"):
        import_with(tmp_path, data)


@needs_schema
def test_optional_correction_of_an_inherited_field(tmp_path: Path) -> None:
    data = overlay()
    data["corrections"] = [{"model": "users_user_full", "path": [], "optional": ["id"], "reason": "test"}]
    spec = import_with(tmp_path, data)
    full = spec.models["users_user_full"].schema
    assert "id" not in full.get("required", []) and "id" in full["properties"]
    assert spec.models["users_user"].schema["allOf"][0] == {"$ref": "#/$defs/users_user_min"}


@needs_schema
def test_without_the_switch_inner_type_is_required_again(tmp_path: Path) -> None:
    data = overlay()
    data.pop("never_required")
    data["corrections"] = []
    spec = import_with(tmp_path, data)
    assert len(required_somewhere(spec, "inner_type")) == 7  # six models and one allOf part
