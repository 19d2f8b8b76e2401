"""`python -m codegen diff`: the public surface before and after a spec change, breaking changes marked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen import diff_types
from codegen.diff import ApiSurface, Change, MethodSurface, ModelSurface, Typed, compare, render_text
from codegen.release_notes import render_markdown
from tests.cli.clirun import HANG, REPO, clean_env

WIALON = REPO / "specs" / "wialon"


def codegen_diff(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", "diff", *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=cwd,
        timeout=HANG,
        check=False,
    )


def edit_core(specs: Path) -> None:
    """In `specs/wialon`: drop `flags` from core/search_item, add a method core/apiforge_ping."""
    path = specs / "wialon" / "methods" / "core.yaml"
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    methods: list[dict[str, Any]] = doc["methods"]
    search_item = next(m for m in methods if m["name"] == "core/search_item")
    search_item["params"] = [p for p in search_item["params"] if p["name"] != "flags"]
    logout = next(m for m in methods if m["name"] == "core/logout")
    methods.append({**logout, "name": "core/apiforge_ping", "docs_url": "https://example.invalid/ping"})
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("specs")
    before, after = root / "before", root / "after"
    shutil.copytree(WIALON, before / "wialon")
    shutil.copytree(WIALON, after / "wialon")
    edit_core(after)
    return before, after


def test_removed_parameter_is_breaking_added_method_is_not(two_versions: tuple[Path, Path]) -> None:
    before, after = two_versions
    done = codegen_diff("--api", "wialon", "--before", str(before), "--after", str(after))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"wialon: 1 added, 1 removed against {before}; 1 breaking"
    assert "  BREAKING  removed  method core/search_item: parameter flags: int" in lines
    added = next(line for line in lines if "core/apiforge_ping" in line)
    assert added.split() == ["added", "method", "core/apiforge_ping:", "core.apiforge_ping()"]


def test_fail_on_breaking_and_json(two_versions: tuple[Path, Path]) -> None:
    before, after = two_versions
    done = codegen_diff(
        "--api", "wialon", "--before", str(before), "--after", str(after), "--json", "--fail-on-breaking"
    )
    assert done.returncode == 1
    changes = json.loads(done.stdout)["wialon"]
    assert {(c["kind"], c["what"], c["breaking"]) for c in changes} == {
        ("removed", "method core/search_item", True),
        ("added", "method core/apiforge_ping", False),
    }


def test_unchanged_specs_report_no_changes(two_versions: tuple[Path, Path]) -> None:
    before, _ = two_versions
    done = codegen_diff("--api", "wialon", "--before", str(before), "--after", str(before), "--fail-on-breaking")
    assert done.returncode == 0
    assert done.stdout == f"wialon: no API changes against {before}\n"


def test_against_a_git_revision(tmp_path: Path) -> None:
    """The default mode: specs at a revision (HEAD) against the working tree."""
    specs = tmp_path / "specs"
    shutil.copytree(WIALON, specs / "wialon")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "specs"], cwd=tmp_path, check=True)
    edit_core(specs)
    done = codegen_diff("--api", "wialon", "--after", str(specs))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wialon: 1 added, 1 removed against HEAD; 1 breaking\n")
    missing = codegen_diff("--api", "wialon", "--after", str(specs), "--ref", "no-such-branch")
    assert missing.returncode == 1
    assert "no git revision 'no-such-branch'" in missing.stderr


# The rules, on hand-made surfaces.


def _api(**params: Typed) -> ApiSurface:
    api = ApiSurface()
    api.methods["a.get"] = MethodSurface("a.get", "a.get", dict(params), {"": "Thing"})
    api.models["Thing"] = ModelSurface("Thing", "class", "", {"id": Typed("int", True)})
    return api


def test_parameter_rules() -> None:
    old = _api(x=Typed("int"), y=Typed("str"), z=Typed("int", True), n=Typed("int | str"), k=Typed("Literal[1, 0]"))
    new = _api(
        x=Typed("int", True),
        y=Typed("str | int"),
        z=Typed("int"),
        extra=Typed("str"),
        must=Typed("int", True),
        n=Typed("str"),
        k=Typed("Literal[0, 1]"),  # the same type, spelled in another order: no change
    )
    found = {(c.detail, c.breaking) for c in compare(old, new)}
    assert found == {
        ("parameter x: became required", True),
        ("parameter y: type str -> str | int", False),  # accepts more than before: callers still fit
        ("parameter n: type int | str -> str", True),  # accepts less
        ("parameter z: became optional", False),
        ("parameter extra: str", False),
        ("parameter must: int (required)", True),
    }


def test_result_model_and_rename_rules() -> None:
    old, new = _api(), _api()
    new.methods["a.get"] = MethodSurface("a.get", "a.fetch", {}, {"": "Thing", "extended": "BigThing"})
    new.models["Thing"] = ModelSurface("Thing", "class", "", {"id": Typed("int"), "name": Typed("str")})
    new.models["Kind"] = ModelSurface("Kind", "enum", "str", {"A": Typed("'a'")})
    found = {(c.what, c.detail, c.breaking) for c in compare(old, new)}
    assert found == {
        ("method a.get", "Python name a.get -> a.fetch", True),
        ("method a.get", "result with extended: (none) -> BigThing", False),
        ("class Thing", "field id: became optional", True),  # readers may now get None
        ("class Thing", "field name: str", False),
        ("enum Kind", "1 members", False),
    }
    text = render_text({"x": compare(old, new)}, against="HEAD")
    assert text.splitlines()[0] == "x: 2 added, 3 changed against HEAD; 2 breaking"


def test_rename_rules() -> None:
    old = _api(conversation_message_id=Typed("int", wire="conversation_message_id"), user_ids=Typed("list[int]"))
    new = _api(cmid=Typed("int", wire="cmid"), user_ids_list=Typed("list[int]"))
    found = {(c.kind, c.detail, c.breaking, c.renamed_from, c.wire) for c in compare(old, new)}
    assert found == {
        ("renamed", "parameter conversation_message_id renamed cmid: int", True, "conversation_message_id", "cmid"),
        ("renamed", "parameter user_ids renamed user_ids_list: list[int]", True, "", ""),
    }
    # The old name still there (an overlay adds it back): an addition, no rename, nothing breaks.
    kept = _api(conversation_message_id=Typed("int"), cmid=Typed("int"))
    found = {(c.kind, c.detail, c.breaking) for c in compare(old, kept)}
    assert found == {("added", "parameter cmid: int", False), ("removed", "parameter user_ids: list[int]", True)}
    # Another type, a name that shares nothing, or two candidates: an addition and a removal.
    for before, after in (
        ({"offset": Typed("int")}, {"group_offset": Typed("str")}),
        ({"count": Typed("int")}, {"album_id": Typed("int")}),
        ({"owner_id": Typed("int")}, {"owner_id_a": Typed("int"), "owner_id_b": Typed("int")}),
    ):
        kinds = sorted(c.kind for c in compare(_api(**before), _api(**after)) if c.subject == "parameter")
        assert kinds[:1] == ["added"] and kinds[-1] == "removed" and "renamed" not in kinds, (before, after)


@pytest.mark.parametrize(
    ("old", "new", "same", "widens"),
    [
        ("Literal[1, 2, 0]", "Literal[0, 1, 2]", True, True),
        ("int | str", "str | int", True, True),
        ("Literal['a']", "Literal['a', 'b']", False, True),
        ("Literal['a', 'b']", "Literal['a']", False, False),
        ("int", "int | str", False, True),
        ("int | str", "int", False, False),
        ("Sequence[Literal['x']]", "Sequence[Kind | Literal['x', 'y']]", False, True),
        ("Sequence[int]", "list[int]", False, False),
        ("Literal['a, b']", "Literal['b', 'a, b']", False, True),  # a comma inside a value
        ("dict[str, int]", "dict[str, int | None]", False, True),
    ],
)
def test_type_comparison(old: str, new: str, same: bool, widens: bool) -> None:
    assert diff_types.same(old, new) is same
    assert diff_types.widens(old, new) is widens


def test_markdown_groups_by_section_breaking_first() -> None:
    changes = [
        Change("added", "method b.new", "b.new()", False, "method", "b.new", section="b"),
        Change("removed", "method a.old", "a.old", True, "method", "a.old", section="a"),
        Change("changed", "method b.get", "parameter x: became required", True, "parameter", "b.get", "x", "x", "b"),
        Change("added", "class Thing", "field y: int", False, "field", "Thing", "y", "y", "a"),
    ]
    notes = render_markdown({"demo": changes}, versions={"demo": ("1.0", "2.0")})
    assert notes == (
        "## demo 1.0 → 2.0\n\n"
        "4 changes (methods: 1 added, 1 removed; parameters: 1 made required; fields: 1 added); **2 breaking**.\n\n"
        "### Breaking changes\n\n"
        "#### a\n\n- method `a.old` removed: `a.old`\n\n"
        "#### b\n\n- `b.get`: parameter `x` became required\n\n"
        "### Other changes\n\n"
        "#### a\n\n- `Thing`: field `y` added (`int`)\n\n"
        "#### b\n\n- method `b.new` added: `b.new()`\n"
    )
    assert render_markdown({"demo": []}, against="HEAD") == "## demo\n\nNo API changes against HEAD.\n"
