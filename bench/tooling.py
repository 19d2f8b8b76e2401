"""Generation and typing: full regeneration of the three SDKs, `generate --check`, and the type
checkers on an example app.

Each step runs as a subprocess from the repository root and is timed from outside: wall time,
and the CPU time of the child (`resource.getrusage(RUSAGE_CHILDREN)`; more than the wall time
when a tool uses several cores). Regeneration writes into a temporary folder (never generated/).
The checkers run cold (a fresh mypy cache) on examples/vk_app.py, or bench/example_app.py when
the example is absent. The editor's and the checkers' cost beside vkbottle is bench/editor.py.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]


@attrs.frozen
class Result:
    """One step: its command, exit status, wall and CPU seconds, and the last line it printed."""

    name: str
    command: str
    status: int | None
    wall: float
    cpu: float
    tail: str = ""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _step(name: str, command: list[str], shown: str) -> Result:
    cpu0, started = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return Result(name, shown, done.returncode, wall, cpu, lines[-1][:200] if lines else "")


def example_app() -> Path:
    """The app the checkers run on."""
    example = ROOT / "examples" / "vk_app.py"
    return example if example.exists() else ROOT / "bench" / "example_app.py"


def run() -> list[Result]:
    """Regenerate, check, and type-check; a checker that is not installed is reported as such."""
    python = sys.executable
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-gen-") as tmp:
        code = (
            "import sys; from pathlib import Path; from codegen.generate import run; "
            f"sys.exit(run(['vk', 'yclients', 'wialon'], quiet=True, output=Path({tmp!r})))"
        )
        results.append(
            _step("full regeneration (vk, yclients, wialon)", [python, "-c", code], "codegen.generate.run(output=tmp)")
        )
    results.append(
        _step(
            "generate --check",
            [python, "-m", "codegen", "generate", "--check", "--quiet"],
            "python -m codegen generate --check",
        )
    )
    app = example_app().relative_to(ROOT)
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-mypy-") as cache:
        results.append(
            _step(
                f"mypy --strict {app}",
                [python, "-m", "mypy", "--strict", "--cache-dir", cache, str(app)],
                f"mypy --strict {app} (cold cache)",
            )
        )
    pyright = shutil.which("pyright", path=str(Path(python).parent))
    if pyright is None:
        results.append(Result(f"pyright {app}", "pyright", None, 0.0, 0.0, "pyright is not installed here"))
    else:
        results.append(_step(f"pyright (strict) {app}", [pyright, "--pythonpath", python, str(app)], f"pyright {app}"))
    return results
