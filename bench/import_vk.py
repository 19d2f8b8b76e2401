"""What importing apiforge.vk costs: time and memory, against `import httpx` in the same run.

    python bench/import_vk.py [--runs 7]

Each figure is the median of several fresh interpreters (imports are cached per process, so one
process measures one thing once). Scenarios:

- `import httpx`: the floor; apiforge.vk needs httpx anyway;
- `import httpx` + creating an `httpx.Client` (its transport loads httpcore and an SSL context):
  the floor of a client;
- `import apiforge.vk`, and the same + creating a client;
- the first use of `vk.users` (its method group and the models it returns), after the above;
- `apiforge.vk.models.load_all()`: every model module, after `import apiforge.vk`.

Time is the wall time and the CPU time of the measured statements (on a busy machine the CPU
time is the steadier figure); RSS is the process's peak resident set size (`ru_maxrss`) after
them, and its growth over the same process before them. Goals (issue 4): import <= httpx + 50 ms;
every model <= 0.3 s and <= 35 MB RSS.

Bytecode is cached as an installed package would have it: the interpreters run with
PYTHONPYCACHEPREFIX pointing at a temporary folder (nothing is written next to the sources, and
PYTHONDONTWRITEBYTECODE is dropped), and one unmeasured run per scenario fills the cache first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass

_PROBE = """
import json, resource, sys, time
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
{setup}
rss0 = rss_mb()
t0, c0 = time.perf_counter(), time.process_time()
{measured}
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({{"seconds": elapsed, "cpu_seconds": cpu, "rss_mb": rss_mb(), "rss_growth_mb": rss_mb() - rss0}}))
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    setup: str
    measured: str


SCENARIOS = (
    Scenario("import httpx", "", "import httpx"),
    Scenario("import httpx + httpx.Client()", "", "import httpx\nhttp = httpx.Client()"),
    Scenario("import apiforge.vk", "", "import apiforge.vk"),
    Scenario("import apiforge.vk + VK(...)", "", "import apiforge.vk\nvk = apiforge.vk.VK('token')"),
    Scenario(
        "first use of vk.users",
        "import apiforge.vk\nvk = apiforge.vk.VK('token')",
        "group = vk.users",
    ),
    Scenario("models.load_all()", "import apiforge.vk\nimport apiforge.vk.models", "apiforge.vk.models.load_all()"),
)


@dataclass(frozen=True)
class Figures:
    seconds: float
    cpu_seconds: float
    rss_mb: float
    rss_growth_mb: float


def measure(scenario: Scenario, runs: int, env: dict[str, str]) -> Figures:
    """The median figures of `runs` fresh interpreters (after one that fills the bytecode cache)."""
    samples: list[dict[str, float]] = []
    code = textwrap.dedent(_PROBE.format(setup=scenario.setup, measured=scenario.measured))
    for run in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env).stdout
        if run:  # run 0 compiled the bytecode
            samples.append(json.loads(out.strip().splitlines()[-1]))
    return Figures(
        seconds=statistics.median(s["seconds"] for s in samples),
        cpu_seconds=statistics.median(s["cpu_seconds"] for s in samples),
        rss_mb=statistics.median(s["rss_mb"] for s in samples),
        rss_growth_mb=statistics.median(s["rss_growth_mb"] for s in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Import time and memory of apiforge.vk against httpx.")
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per scenario (median)")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-pycache-") as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        results = {s.name: measure(s, args.runs, env) for s in SCENARIOS}
    httpx = results["import httpx"]
    print(f"Python {sys.version.split()[0]}, median of {args.runs} fresh interpreters each, bytecode cached\n")
    print(f"{'scenario':30} {'wall':>9} {'x httpx':>8} {'CPU':>9} {'x httpx':>8} {'RSS':>8} {'growth':>8}")
    for name, f in results.items():
        wall_ratio = f.seconds / httpx.seconds
        cpu_ratio = f.cpu_seconds / httpx.cpu_seconds
        print(
            f"{name:30} {f.seconds * 1000:7.1f}ms {wall_ratio:7.2f}x {f.cpu_seconds * 1000:7.1f}ms {cpu_ratio:7.2f}x"
            f" {f.rss_mb:6.1f}MB {f.rss_growth_mb:6.1f}MB"
        )

    models = results["models.load_all()"]
    print()
    comparisons = (
        ("import apiforge.vk", "import httpx"),
        ("import apiforge.vk + VK(...)", "import httpx + httpx.Client()"),
    )
    for ours, floor in comparisons:
        for label, attr in (("wall", "seconds"), ("CPU", "cpu_seconds")):
            over = (getattr(results[ours], attr) - getattr(results[floor], attr)) * 1000
            verdict = "ok" if over <= 50 else "MISSED"
            print(f"{ours} over {floor} ({label}): {over:+.1f} ms (goal <= +50 ms): {verdict}")
    for label, seconds in (("wall", models.seconds), ("CPU", models.cpu_seconds)):
        print(f"every model ({label}): {seconds:.3f} s (goal <= 0.3 s): {'ok' if seconds <= 0.3 else 'MISSED'}")
    ok_rss = models.rss_growth_mb <= 35
    print(f"every model: +{models.rss_growth_mb:.1f} MB RSS (goal <= 35 MB): {'ok' if ok_rss else 'MISSED'}")
    wall_per_cpu = statistics.median(f.seconds / f.cpu_seconds for f in results.values())
    if wall_per_cpu > 1.5:
        print(f"\nnote: wall time is {wall_per_cpu:.1f}x CPU time here: the machine is busy; the CPU figures hold.")


if __name__ == "__main__":
    main()
