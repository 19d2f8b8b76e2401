"""The built wheel holds both source roots under one `apiforge` namespace, typed, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("apiforge-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_one_namespace_over_both_roots(wheel_names: list[str]) -> None:
    for module in (
        "apiforge/core/__init__.py",
        "apiforge/core/pipeline.py",
        "apiforge/testing/__init__.py",
        "apiforge/vk/__init__.py",
        "apiforge/vk/methods/users.py",
        "apiforge/yclients/__init__.py",
        "apiforge/wialon/__init__.py",
    ):
        assert module in wheel_names
    # A namespace package: no apiforge/__init__.py to shadow either root.
    assert "apiforge/__init__.py" not in wheel_names


def test_every_package_is_typed(wheel_names: list[str]) -> None:
    for package in ("core", "vk", "yclients", "wialon"):
        assert f"apiforge/{package}/py.typed" in wheel_names


def test_nothing_but_the_packages(wheel_names: list[str]) -> None:
    top = {name.split("/")[0] for name in wheel_names}
    assert top == {"apiforge", next(n for n in top if n.endswith(".dist-info"))}
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith(".pyc")]
