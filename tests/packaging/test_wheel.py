"""The built wheel holds both source roots under one `apiforge` namespace, typed, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("apiforge-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> list[str]:
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
    # apiforge_pytest.py: the pytest plugin's entry, at the top for pytest's sake (see the module).
    assert top == {"apiforge", "apiforge_pytest.py", next(n for n in top if n.endswith(".dist-info"))}
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith(".pyc")]


USER_TEST = """
def test_a_fake_from_the_plugin(fake_vk, vk):
    assert vk.users.get(user_ids=[1])[0].id == 1
"""


def test_a_users_pytest_run_has_no_assert_rewrite_warning(wheel: Path, tmp_path: Path) -> None:
    # A user's project: the wheel (not an editable install) and pytest in a fresh virtualenv.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel), "pytest"], capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stderr
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_app.py").write_text(USER_TEST, encoding="utf-8")
    for command in ([str(python), "-m", "pytest"], [str(venv / "bin" / "pytest")]):
        run = subprocess.run(
            [*command, "-q", "-p", "no:cacheprovider", "test_app.py"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 passed" in run.stdout
        assert "PytestAssertRewriteWarning" not in run.stdout + run.stderr, run.stdout
