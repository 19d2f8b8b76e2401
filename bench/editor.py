"""What an editor and a type checker pay for apiforge, beside vkbottle, in the same run.

Two measurements, each run several times, alternating apiforge and vkbottle:

- jedi's first completion of `vk.messages.` (apiforge) and of `api.messages.` (vkbottle): a fresh
  interpreter and a fresh jedi cache each time (what an editor pays on opening a project). The
  figure is the completion itself, timed inside the probe (wall and CPU), without starting Python
  and importing jedi, which both pay alike. Goal: apiforge no slower than vkbottle.
- mypy --strict, cold (a fresh cache), on the same 40-line bot written for each
  (bench/apps/vk_apiforge.py, bench/apps/vk_vkbottle.py), from a folder of its own (no project
  configuration). Wall and CPU of the mypy process. Goal: apiforge <= 3 s.

Both run in the setup users have: apiforge installed from its wheel into site-packages (a
throwaway virtualenv that sees the bench's own packages), not from the checkout; `source` runs
them on the checkout's source roots (PYTHONPATH), as the test suite does. `profile_jedi` tells
which files jedi parses for apiforge's completion, and how long each takes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import attrs

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).resolve().parent / "apps"
MYPY_GOAL = 3.0  # seconds, apiforge's cold mypy --strict on the 40-line app

# The completion each library's user types, at the end of the source.
SOURCES = {
    "apiforge": "from apiforge.vk import VK\n\nvk = VK('token')\nvk.messages.",
    "vkbottle": "from vkbottle import API\n\napi = API('token')\napi.messages.",
}
PACKAGES = {"apiforge": "apiforge", "vkbottle": "vkbottle"}

# Run in a fresh interpreter: completes argv[1] at its end with a fresh jedi cache; prints JSON with the
# completion's wall and CPU seconds, the names' count, whether `send` is among them, and (with
# argv[2] == "profile") the files parso parsed, with seconds and size each.
_JEDI_PROBE = """
import json, sys, tempfile, time
import jedi, parso.grammar
jedi.settings.cache_directory = tempfile.mkdtemp(prefix="apiforge-bench-jedi-")
parsed = []
if sys.argv[2:] == ["profile"]:
    parse = parso.grammar.Grammar.parse
    def timed(self, code=None, **kwargs):
        started = time.perf_counter()
        tree = parse(self, code, **kwargs)
        path = kwargs.get("path") or getattr(kwargs.get("file_io"), "path", None)
        parsed.append((time.perf_counter() - started, str(path), tree.end_pos[0]))
        return tree
    parso.grammar.Grammar.parse = timed
source = sys.argv[1]
lines = source.splitlines()
wall, cpu = time.perf_counter(), time.process_time()
names = [c.name for c in jedi.Script(source, path="app.py").complete(len(lines), len(lines[-1]))]
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"wall": wall, "cpu": cpu, "names": len(names), "send": "send" in names, "parsed": parsed}))
"""


@attrs.frozen
class Runs:
    """One library under one tool: seconds per run (wall and CPU), and whether every run did its job."""

    wall: tuple[float, ...]
    cpu: tuple[float, ...]
    ok: bool
    note: str = ""

    @property
    def median_wall(self) -> float:
        """The median wall seconds."""
        return statistics.median(self.wall) if self.wall else float("nan")

    @property
    def median_cpu(self) -> float:
        """The median CPU seconds."""
        return statistics.median(self.cpu) if self.cpu else float("nan")


@attrs.frozen
class Result:
    """One tool in one setup: apiforge beside vkbottle."""

    tool: str
    setup: str
    apiforge: Runs
    vkbottle: Runs

    @property
    def ratio_wall(self) -> float:
        """apiforge's median wall time over vkbottle's (below 1: apiforge is faster)."""
        return self.apiforge.median_wall / self.vkbottle.median_wall if self.vkbottle.wall else float("nan")

    @property
    def ratio_cpu(self) -> float:
        """apiforge's median CPU time over vkbottle's."""
        return self.apiforge.median_cpu / self.vkbottle.median_cpu if self.vkbottle.cpu else float("nan")

    @property
    def goal(self) -> str:
        """The issue's goal for this tool, and whether the medians meet it."""
        if self.tool.startswith("jedi"):
            met = self.ratio_cpu <= 1 and self.ratio_wall <= 1
            return f"apiforge <= vkbottle: {'met' if met else 'MISSED'}"
        met = self.apiforge.median_wall <= MYPY_GOAL
        return f"apiforge <= {MYPY_GOAL:.0f} s: {'met' if met else 'MISSED'}"


@attrs.frozen
class Setup:
    """How the tools find apiforge: an interpreter and the environment to run it with."""

    name: str
    python: str
    env: dict[str, str]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _missing(library: str) -> list[str]:
    # apiforge is always there: the wheel just built, or the checkout's source roots.
    needed = ("jedi", "mypy") if library == "apiforge" else ("jedi", "mypy", PACKAGES[library])
    return [p for p in needed if importlib.util.find_spec(p) is None]


def _jedi_once(setup: Setup, library: str, cwd: Path, *, profile: bool = False) -> dict[str, object]:
    command = [setup.python, "-c", _JEDI_PROBE, SOURCES[library], *(["profile"] if profile else [])]
    done = subprocess.run(command, cwd=cwd, env=setup.env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    facts: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return facts


def _mypy_once(setup: Setup, library: str, cwd: Path) -> tuple[float, float, str]:
    app = cwd / f"vk_{library}.py"
    shutil.copyfile(APPS / app.name, app)
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-mypy-") as cache:
        command = [setup.python, "-m", "mypy", "--strict", "--cache-dir", cache, app.name]
        cpu0, started = _children_cpu(), time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=setup.env, capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - started, _children_cpu() - cpu0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return wall, cpu, "" if done.returncode == 0 else (lines[-1] if lines else f"exit {done.returncode}")


def _measure(tool: str, setup: Setup, cwd: Path, repeats: int) -> Result:
    wall: dict[str, list[float]] = {"apiforge": [], "vkbottle": []}
    cpu: dict[str, list[float]] = {"apiforge": [], "vkbottle": []}
    notes: dict[str, str] = {}
    for _ in range(repeats):
        for library in ("apiforge", "vkbottle"):  # alternating: a load spike hits both alike
            if library in notes:
                continue
            missing = _missing(library)
            if missing:
                notes[library] = f"{', '.join(missing)} not installed here"
                continue
            if tool.startswith("jedi"):
                facts = _jedi_once(setup, library, cwd)
                if "error" in facts or not facts.get("send"):
                    notes[library] = str(facts.get("error", f"`send` not completed ({facts.get('names')} names)"))
                    continue
                wall[library].append(float(str(facts["wall"])))
                cpu[library].append(float(str(facts["cpu"])))
            else:
                seconds, cpu_seconds, failure = _mypy_once(setup, library, cwd)
                if failure:
                    notes[library] = failure[:200]
                    continue
                wall[library].append(seconds)
                cpu[library].append(cpu_seconds)

    def runs(library: str) -> Runs:
        note = notes.get(library, "")
        return Runs(tuple(wall[library]), tuple(cpu[library]), not note, note)

    return Result(tool, setup.name, runs("apiforge"), runs("vkbottle"))


def _build_wheel(folder: Path) -> Path:
    """apiforge's wheel, built from the checkout (hatchling when installed here, else pip's isolated build)."""
    if importlib.util.find_spec("hatchling") is not None:
        command = [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(folder)]
    else:
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder), str(ROOT)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    (wheel,) = folder.glob("apiforge-*.whl")
    return wheel


@contextmanager
def wheel_setup() -> Generator[Setup]:
    """A throwaway virtualenv with apiforge's wheel in its site-packages; the bench's own packages
    (jedi, mypy, vkbottle, httpx, ...) are reached through a .pth line, so nothing is downloaded."""
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-venv-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        python = venv / "bin" / "python"
        purelib = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        with zipfile.ZipFile(_build_wheel(Path(tmp))) as wheel:
            wheel.extractall(purelib)
        # A plain path line: the bench's site-packages join sys.path after the wheel, but the .pth files
        # there (the checkout's editable install among them) are not run.
        bench_site = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
        (Path(purelib) / "apiforge_bench_peers.pth").write_text("\n".join(dict.fromkeys(bench_site)) + "\n")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
        yield Setup("wheel", str(python), env)


def source_setup() -> Setup:
    """The bench's interpreter on the checkout's source roots (as the tests and an editable install see it)."""
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "runtime"), str(ROOT / "generated")])
    return Setup("source", sys.executable, env)


def profile_jedi(setup: Setup, cwd: Path, top: int = 12) -> list[tuple[float, str, int]]:
    """The files jedi parses for apiforge's `vk.messages.` completion, slowest first: (seconds, path, lines)."""
    facts = _jedi_once(setup, "apiforge", cwd, profile=True)
    parsed = facts.get("parsed")
    rows: list[tuple[float, str, int]] = []
    for row in cast("list[list[object]]", parsed if isinstance(parsed, list) else []):
        seconds, path, lines = (str(field) for field in row)  # JSON: [seconds, path, lines]
        rows.append((float(seconds), path, int(lines)))
    prefixes = sorted({p for p in sys.path if p} | {str(ROOT)}, key=len, reverse=True)

    def short(path: str) -> str:
        for prefix in prefixes:
            if path.startswith(prefix + os.sep):
                return path[len(prefix) + 1 :]
        return path.rsplit("site-packages/", 1)[-1]

    return [(seconds, short(path), lines) for seconds, path, lines in sorted(rows, reverse=True)[:top]]


@attrs.frozen
class Report:
    """Everything this section measured."""

    results: list[Result]
    profile: list[tuple[float, str, int]]


def run(repeats: int = 5, setups: tuple[str, ...] = ("wheel", "source")) -> Report:
    """Measure jedi and mypy for apiforge and vkbottle in each setup; profile jedi's parsing in the first."""
    results: list[Result] = []
    profile: list[tuple[float, str, int]] = []
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-app-") as cwd:
        for name in setups:
            with wheel_setup() if name == "wheel" else _just(source_setup()) as setup:
                for tool in ("jedi: first completion of `vk.messages.`", "mypy --strict, cold, on the 40-line app"):
                    results.append(_measure(tool, setup, Path(cwd), repeats))
                if not profile:
                    profile = profile_jedi(setup, Path(cwd))
    return Report(results, profile)


@contextmanager
def _just(setup: Setup) -> Generator[Setup]:
    yield setup


def render(report: Report) -> list[str]:
    """The section's Markdown: a table of medians and ratios, each run's seconds, and jedi's parse profile."""
    doc = __doc__.split("\n\n", 1)[1].strip() if __doc__ else ""
    out = [doc, ""]
    out += [
        "| tool | setup | apiforge s (wall / CPU) | vkbottle s (wall / CPU) | apiforge / vkbottle (wall / CPU) | goal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in report.results:

        def cell(runs: Runs) -> str:
            return f"{runs.median_wall:.2f} / {runs.median_cpu:.2f}" if runs.ok else f"- ({runs.note})"

        ratio = f"{r.ratio_wall:.2f}x / {r.ratio_cpu:.2f}x" if r.apiforge.ok and r.vkbottle.ok else "-"
        goal = r.goal if r.apiforge.ok else "-"
        out.append(f"| {r.tool} | {r.setup} | {cell(r.apiforge)} | {cell(r.vkbottle)} | {ratio} | {goal} |")
    out += ["", "Each run, wall seconds (apiforge; vkbottle):", ""]
    for r in report.results:
        each = "; ".join(", ".join(f"{s:.2f}" for s in runs.wall) for runs in (r.apiforge, r.vkbottle))
        out.append(f"- {r.tool} ({r.setup}): {each}")
    if report.profile:
        out += ["", "Where jedi's time goes for apiforge: the files parso parses, slowest first.", ""]
        out += ["| parse s | file | lines |", "| --- | --- | --- |"]
        out += [f"| {seconds:.3f} | {path} | {lines} |" for seconds, path, lines in report.profile]
    return out


if __name__ == "__main__":
    print("\n".join(render(run(repeats=int(sys.argv[1]) if sys.argv[1:] else 3))))
