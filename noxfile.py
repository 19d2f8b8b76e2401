"""Sessions: generate, tests, lint, typecheck, and check (all of the checks in one environment).

nox -s generate     regenerate generated/apiforge/* from specs/
nox -s check        the whole suite: generate --check, ruff, mypy, pyright, pytest
"""

from __future__ import annotations

import nox

nox.options.sessions = ["check"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"  # the lowest supported version; newer ones run the same code


def _install(session: nox.Session, extra: str) -> None:
    session.install("-e", f".[{extra}]")


def _python(session: nox.Session) -> str:
    return str(session.bin) + "/python"


@nox.session(python=False)
def generate(session: nox.Session) -> None:
    """Regenerate every SDK from specs/ (in a virtualenv of its own)."""
    session.run("python3", "-m", "venv", ".nox/generate-env", external=True)
    py = ".nox/generate-env/bin/python"
    session.run(py, "-m", "pip", "install", "-q", "-e", ".[codegen]", external=True)
    session.run(py, "-m", "codegen", "generate", *session.posargs, external=True)


@nox.session(python=PYTHON if nox.options.force_venv_backend else None)
def check(session: nox.Session) -> None:
    """Everything CI runs: generated code up to date, lint, format, types, tests."""
    _install(session, "dev")
    session.run("python", "-m", "codegen", "generate", "--check", "--quiet")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("pyright", "--pythonpath", _python(session))
    session.run("pytest", "-q", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite alone."""
    _install(session, "dev")
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict and pyright (strict) on runtime/ and generated/."""
    _install(session, "dev")
    session.run("mypy")
    session.run("pyright", "--pythonpath", _python(session))
