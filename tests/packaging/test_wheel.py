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


@pytest.fixture(scope="module")
def user_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's fresh virtualenv with the wheel (not an editable install, no extras) and pytest."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel), "pytest"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    return venv


def test_a_users_pytest_run_has_no_assert_rewrite_warning(user_venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(USER_TEST, encoding="utf-8")
    python = user_venv / "bin" / "python"
    for command in ([str(python), "-m", "pytest"], [str(user_venv / "bin" / "pytest")]):
        run = subprocess.run(
            [*command, "-q", "-p", "no:cacheprovider", "test_app.py"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 passed" in run.stdout
        assert "PytestAssertRewriteWarning" not in run.stdout + run.stderr, run.stdout


def test_regenerate_without_the_codegen_extra_says_what_to_install(user_venv: Path, tmp_path: Path) -> None:
    from tests.cli.test_regenerate import make_checkout

    checkout = make_checkout(tmp_path / "repo")
    run = subprocess.run(
        [str(user_venv / "bin" / "apiforge"), "regenerate", "--api", "wialon"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert "needs jinja2, pyyaml, jsonschema, datamodel-code-generator, ruff (the `codegen` extra)" in run.stderr
    assert "[codegen]" in run.stderr
