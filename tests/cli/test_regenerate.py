"""`apiforge regenerate`: generate in a checkout and print the API diff — run in a throwaway copy of the repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from apiforge.cli.regenerate import DEFAULT_SOURCES, find_root, plan
from tests.cli.clirun import REPO, apiforge
from tests.cli.test_diff import edit_core


def make_checkout(root: Path) -> Path:
    """A git checkout holding the generator, the Wialon specs and the Wialon SDK as they are now."""
    shutil.copytree(REPO / "codegen", root / "codegen", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "specs").mkdir()
    shutil.copy(REPO / "specs" / "spec.schema.json", root / "specs")
    shutil.copytree(REPO / "specs" / "wialon", root / "specs" / "wialon")
    shutil.copytree(
        REPO / "generated" / "apiforge" / "wialon",
        root / "generated" / "apiforge" / "wialon",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(REPO / "pyproject.toml", root)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "checkout"], cwd=root, check=True)
    return root


def test_regenerate_writes_the_code_and_prints_the_diff(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path / "repo")
    edit_core(checkout / "specs")
    done = apiforge("regenerate", "--api", "wialon", cwd=checkout / "specs" / "wialon")  # any folder inside
    assert done.returncode == 0, done.stderr
    assert "== generate wialon" in done.stdout
    assert "wialon: 1 added, 1 removed against HEAD; 1 breaking" in done.stdout
    assert "BREAKING  removed  method core/search_item: parameter flags: int" in done.stdout
    core = checkout / "generated" / "apiforge" / "wialon" / "methods" / "sync" / "core.py"  # the blocking class
    assert "def apiforge_ping(" in core.read_text(encoding="utf-8")
    # Only the checkout it ran in was touched.
    assert "apiforge_ping" not in (
        REPO / "generated" / "apiforge" / "wialon" / "methods" / "sync" / "core.py"
    ).read_text(encoding="utf-8")


def test_outside_a_checkout_is_a_usage_error(tmp_path: Path) -> None:
    done = apiforge("regenerate", "--api", "wialon", cwd=tmp_path)
    assert done.returncode == 2
    assert "not in an apiforge checkout" in done.stderr


def test_a_missing_source_given_explicitly_is_a_usage_error(tmp_path: Path) -> None:
    done = apiforge("regenerate", "--api", "vk", "--vk-source", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert f"--vk-source {tmp_path / 'nowhere'}: no such file or folder" in done.stderr


def test_plan_skips_imports_whose_default_source_is_absent(tmp_path: Path) -> None:
    checkout = tmp_path / "repo"
    (checkout / "codegen").mkdir(parents=True)
    (checkout / "codegen" / "__main__.py").write_text("")
    (checkout / "specs").mkdir()
    assert find_root(checkout / "specs") == checkout.resolve()
    vk_source = tmp_path / "vk-schema"
    vk_source.mkdir()
    steps, notes = plan(checkout, ["vk", "yclients", "wialon"], {"vk": vk_source}, do_import=True, ref="main")
    assert [s.args for s in steps] == [
        ("import", "vk", str(vk_source)),
        ("generate", "--api", "vk", "--api", "yclients", "--api", "wialon"),
        ("diff", "--ref", "main", "--api", "vk", "--api", "yclients", "--api", "wialon"),
    ]
    assert notes == [f"[yclients] not re-imported: no upstream document at {checkout / DEFAULT_SOURCES['yclients']}"]
    steps, notes = plan(checkout, ["vk"], {"vk": vk_source}, do_import=False, ref="HEAD")
    assert [s.args[0] for s in steps] == ["generate", "diff"] and notes == []
