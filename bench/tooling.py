"""Generation and typing: full regeneration of the three SDKs, `generate --check`, and the type
checkers on an example app.

Each step runs as a subprocess from the repository root and is timed from outside: wall time,
and the CPU time of the child (`resource.getrusage(RUSAGE_CHILDREN)`; more than the wall time
when a tool uses several cores). Regeneration writes into a temporary folder (never generated/).
The checkers run cold (a fresh mypy cache) on examples/vk_app.py, or bench/example_app.py when
the example is absent. The editor's cost: jedi's first completion of `vk.messages.` (a fresh jedi
cache, a fresh interpreter: what an editor pays on opening a project), beside vkbottle's
`api.messages.`; the time includes starting Python and importing jedi, the same for both.
"""

from __future__ import annotations

import importlib.util
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


# A fresh interpreter completes `<source>` at its end with a fresh jedi cache; prints the count of
# completions and whether `send` is among them (the completion an editor user wants).
_JEDI_PROBE = """
import sys, tempfile, jedi
jedi.settings.cache_directory = tempfile.mkdtemp(prefix="apiforge-bench-jedi-")
source = sys.argv[1]
lines = source.splitlines()
names = [c.name for c in jedi.Script(source, path="app.py").complete(len(lines), len(lines[-1]))]
print(f"{len(names)} completions; send: {'send' in names}")
"""

EDITOR_SOURCES = {
    "apiforge": ("apiforge", "from apiforge.vk import VK\n\nvk = VK('token')\nvk.messages."),
    "vkbottle": ("vkbottle", "from vkbottle import API\n\napi = API('token')\napi.messages."),
}


def _editor_steps(python: str) -> list[Result]:
    results: list[Result] = []
    for name, (package, source) in EDITOR_SOURCES.items():
        step = f"jedi: first completion of `{source.rsplit(chr(10), 1)[-1]}` ({name})"
        missing = [p for p in ("jedi", package) if importlib.util.find_spec(p) is None]
        if missing:
            results.append(Result(step, "jedi", None, 0.0, 0.0, f"{', '.join(missing)} not installed here"))
            continue
        results.append(_step(step, [python, "-c", _JEDI_PROBE, source], "jedi.Script(...).complete() (cold cache)"))
    return results


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
    results += _editor_steps(python)
    pyright = shutil.which("pyright", path=str(Path(python).parent))
    if pyright is None:
        results.append(Result(f"pyright {app}", "pyright", None, 0.0, 0.0, "pyright is not installed here"))
    else:
        results.append(_step(f"pyright (strict) {app}", [pyright, "--pythonpath", python, str(app)], f"pyright {app}"))
    return results
