"""Sessions: generate, docs, tests, lint, typecheck, and check (all of the checks in one environment).

nox -s generate     regenerate generated/apiforge/* from specs/
nox -s check        the whole suite: generate --check, ruff, mypy, pyright, pytest
nox -s docs         build the method reference docs/reference/<api>.md from specs/
"""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["check"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"  # the lowest supported version; newer ones run the same code


def _install(session: nox.Session, extra: str) -> None:
    session.install("-e", f".[{extra}]")


# Debian packages the suite drives for real (never mocked, never skipped): a Redis server for the
# several-process tests of apiforge[redis], and a headless browser for the gateway's example page.
# Each maps the command the tests look for to the package that brings it.
SYSTEM_PACKAGES = {"redis-server": "redis-server", "chromium": "chromium"}


def _system_packages(session: nox.Session) -> None:
    """Install the Debian packages the tests need, where their commands are missing."""
    missing = [package for command, package in SYSTEM_PACKAGES.items() if shutil.which(command) is None]
    if not missing:
        return
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    session.run(*apt, "update", "-qq", external=True)
    session.run(*apt, "install", "-y", "-qq", "--no-install-recommends", *missing, external=True)


def _python(session: nox.Session) -> str:
    return str(session.bin) + "/python"


@nox.session(python=False)
def generate(session: nox.Session) -> None:
    """Regenerate every SDK from specs/ and prose/, and the method reference beside them (in a virtualenv of its own).

    `nox -s generate -- --api vk` regenerates one SDK only, and leaves the reference alone.
    """
    session.run("python3", "-m", "venv", ".nox/generate-env", external=True)
    py = ".nox/generate-env/bin/python"
    session.run(py, "-m", "pip", "install", "-q", "-e", ".[codegen]", external=True)
    session.run(py, "-m", "codegen", "generate", *session.posargs, external=True)
    if not session.posargs:
        # The reference is built from the same specs and texts: a text edited in prose/ shows in both.
        session.run(py, "-m", "codegen.docs", external=True)


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """Build the method reference docs/reference/<api>.md from specs/ and prose/ (`-- --check` to verify only)."""
    session.run("python3", "-m", "venv", ".nox/generate-env", external=True)
    py = ".nox/generate-env/bin/python"
    session.run(py, "-m", "pip", "install", "-q", "-e", ".[codegen]", external=True)
    session.run(py, "-m", "codegen.docs", *session.posargs, external=True)


# The benchmark's peers, installed only in its own virtualenv (never a dependency of apiforge);
# pinned to the versions the figures in bench/RESULTS.md were measured with.
BENCH_PEERS = (
    "vkbottle==4.11.0",
    "vkbottle-types==5.199.99.22",
    "vk_api==11.10.1",
    "py-aiowialon==2.0.0",
    "yclients==0.1.1",
    "msgspec==0.21.1",
    "pydantic==2.14.3",
    "mypy==2.4.1",  # section 5: the checkers on an example app (the pins of .[dev])
    "pyright[nodejs]==1.1.414",
    "jedi==0.20.1",  # section 5: an editor's first completion
)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """apiforge against raw httpx and the existing SDKs; prints figures and writes bench/RESULTS.md.

    `nox -s bench -- --quick` checks the harness in seconds; `-- --only overhead decoding` runs a part.
    """
    session.run("python3", "-m", "venv", ".nox/bench-env", external=True)
    py = ".nox/bench-env/bin/python"
    session.run(py, "-m", "pip", "install", "-q", "-e", ".[codegen,aiohttp]", *BENCH_PEERS, external=True)
    session.run(py, "-m", "bench", *session.posargs, external=True)


@nox.session(python=PYTHON if nox.options.force_venv_backend else None)
def check(session: nox.Session) -> None:
    """Everything CI runs: generated code up to date, lint, format, types, tests."""
    _system_packages(session)
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
    _system_packages(session)
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
