"""`apiforge regenerate`: in a checkout, re-import the upstream documents, regenerate, and show the API diff.

The generator (`codegen/`) lives in the repository, not in the installed package, so each step
runs `python -m codegen ...` in the checkout with the running interpreter.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from apiforge.cli.apis import API_NAMES
from apiforge.cli.errors import CLIError, UsageError

# Where the upstream documents sit next to a checkout (relative to the repository root).
DEFAULT_SOURCES = {
    "vk": Path("../shared/upstream/vk-api-schema"),
    "yclients": Path("../shared/upstream/yclients/openapi.developers.yclients.com.json"),
}

# What `python -m codegen` imports, by module, and the distribution that provides it (the codegen extra).
GENERATOR_MODULES = {
    "jinja2": "jinja2",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
    "datamodel_code_generator": "datamodel-code-generator",
    "ruff": "ruff",
}


def missing_generator_packages(find: Callable[[str], object] = importlib.util.find_spec) -> list[str]:
    """The distributions of the codegen extra this interpreter lacks (looked up, not imported)."""
    missing: list[str] = []
    for module, distribution in GENERATOR_MODULES.items():
        try:
            found = find(module)
        except (ImportError, ValueError):  # a module blocked by sys.modules[name] = None, or a broken one
            found = None
        if found is None:
            missing.append(distribution)
    return missing


def find_root(start: Path) -> Path:
    """The checkout holding `start`: the nearest folder with both `codegen/` and `specs/`."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / "codegen" / "__main__.py").is_file() and (folder / "specs").is_dir():
            return folder
    raise UsageError(f"not in an apiforge checkout: no folder above {start} holds codegen/ and specs/")


@dataclass(frozen=True)
class Step:
    """One `python -m codegen` run."""

    title: str
    args: tuple[str, ...]


def plan(
    root: Path, apis: Sequence[str], sources: dict[str, Path | None], *, do_import: bool, ref: str
) -> tuple[list[Step], list[str]]:
    """The steps to run, and notes on the imports that are skipped (their default source is absent)."""
    steps: list[Step] = []
    notes: list[str] = []
    for api in apis:
        if not do_import or api not in DEFAULT_SOURCES:
            continue
        given = sources.get(api)
        source = given if given is not None else root / DEFAULT_SOURCES[api]
        if not source.exists():
            if given is not None:
                raise UsageError(f"--{api}-source {given}: no such file or folder")
            notes.append(f"[{api}] not re-imported: no upstream document at {source}")
            continue
        steps.append(Step(f"import {api} from {source}", ("import", api, str(source))))
    chosen = [arg for api in apis for arg in ("--api", api)]
    steps.append(Step("generate " + ", ".join(apis), ("generate", *chosen)))
    steps.append(Step(f"API changes against {ref}", ("diff", "--ref", ref, *chosen)))
    return steps, notes


def run_regenerate(
    *,
    apis: Sequence[str] | None = None,
    sources: dict[str, Path | None] | None = None,
    do_import: bool = True,
    ref: str = "HEAD",
    cwd: Path | None = None,
    stdout: TextIO | None = None,
) -> None:
    """Import (VK, YCLIENTS), generate and diff the chosen APIs in the checkout around `cwd`."""
    out = stdout or sys.stdout
    root = find_root(cwd or Path.cwd())
    missing = missing_generator_packages()
    if missing:
        raise CLIError(
            f"apiforge regenerate runs the generator, which needs {', '.join(missing)} (the `codegen` extra): "
            f"install it with `{Path(sys.executable).name} -m pip install -e '{root}[codegen]'` "
            "(or `pip install 'apiforge[codegen]'`)"
        )
    chosen = list(apis or API_NAMES)
    steps, notes = plan(root, chosen, sources or {}, do_import=do_import, ref=ref)
    for note in notes:
        out.write(note + "\n")
    for step in steps:
        out.write(f"== {step.title}\n")
        out.flush()
        # Progress goes to stderr as it happens; results (the diff) come on stdout, passed on here.
        done = subprocess.run(
            [sys.executable, "-m", "codegen", *step.args], cwd=root, stdout=subprocess.PIPE, text=True, check=False
        )
        out.write(done.stdout)
        out.flush()
        if done.returncode != 0:
            raise CLIError(f"`python -m codegen {' '.join(step.args)}` failed with status {done.returncode}")


__all__ = ["DEFAULT_SOURCES", "GENERATOR_MODULES", "find_root", "missing_generator_packages", "plan", "run_regenerate"]
