"""Figures into tables: printed, and written to bench/RESULTS.md with the machine they were measured on."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs

from bench import batching, decoding, editor, field_reads, first_result, imports, overhead, tooling
from bench.profiling import Profile

ANALYSIS = Path(__file__).with_name("ANALYSIS.md")
PACKAGES = (
    "apiforge",
    "httpx",
    "attrs",
    "cattrs",
    "vkbottle",
    "vkbottle-types",
    "vk_api",
    "py-aiowialon",
    "yclients",
    "pydantic",
    "msgspec",
    "aiohttp",
    "requests",
    "mypy",
    "pyright",
)
PEER_SETUP = """\
How each peer was pointed at the local fake (no peer was patched):

- **vkbottle**: `API(token)` with the instance's `API_URL` set to `<fake>/method/` (vkbottle's own
  class attribute); it talks through its default aiohttp client and returns pydantic models.
- **vk_api**: `VkApi(token=...)` posts to a fixed `https://api.vk.ru/method/...`; a `requests`
  transport adapter mounted on its session for that prefix sends the request to the fake instead.
  Its built-in 3 requests/s sleep (`RPS_DELAY`) is set to 0, as apiforge runs with `rate_limit=None`.
  It returns plain dicts (no models).
- **py-aiowialon**: `Wialon(scheme="http", host="127.0.0.1", port=<fake's>, token=..., rps=10**6)`
  (the `rps` limiter out of the way), logged in once before timing; returns plain dicts.
- **yclients** (PyPI): `YclientsClient(partner_token, user_token, base_url=<fake>)`; it decodes into
  pydantic models. Where it fails on the fake's answer, the error is its own (its models reject
  values the API sends) and no figure is given.
"""


@attrs.frozen
class Run:
    """Everything one `python -m bench` measured (a section left out is None)."""

    settings: str
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    overhead: list[overhead.Result] | None = None
    profiles: list[Profile] | None = None
    decoding: list[decoding.Result] | None = None
    field_reads: field_reads.Result | None = None
    imports: list[imports.Result] | None = None
    first_result: list[first_result.Result] | None = None
    batching: list[batching.Result] | None = None
    tooling: list[tooling.Result] | None = None
    editor: editor.Report | None = None


def cpu_model() -> str:
    """The CPU's model name (Linux), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> list[tuple[str, str]]:
    """(package, version) of the packages the run used; absent ones are left out."""
    found: list[tuple[str, str]] = []
    for name in PACKAGES:
        try:
            found.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table (also readable printed)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *(line(r) for r in rows)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _overhead(results: list[overhead.Result]) -> list[str]:
    rows: list[list[str]] = []
    for r in results:
        c, t = r.contender, r.timing
        if t is None:
            rows.append([c.api, c.name, c.flavour, c.decodes, "-", "-", "-", "-", "-", r.note])
            continue
        floor = overhead.floor_of(results, r)
        wall = f"{t.median / floor.median:.2f}x" if floor else "-"
        cpu = f"{t.cpu / floor.cpu:.2f}x" if floor else "-"
        rows.append([c.api, c.name, c.flavour, c.decodes, ms(t.median), ms(t.p90), ms(t.cpu), wall, cpu, ""])
    out = table(
        [
            "API",
            "client",
            "kind",
            "returns",
            "median ms",
            "p90 ms",
            "CPU ms/call",
            "x floor (wall)",
            "x floor (CPU)",
            "note",
        ],
        rows,
    )
    out += ["", "Goals: apiforge <= 1.10x raw httpx (the floor of the same kind), and faster than every peer:", ""]
    for r in results:
        c, t = r.contender, r.timing
        if c.role != "apiforge" or t is None:
            continue
        floor = overhead.floor_of(results, r)
        if floor is not None:
            ratio = t.median / floor.median
            out.append(
                f"- {c.api}, {c.name}: {ratio:.2f}x the floor in wall time, {t.cpu / floor.cpu:.2f}x in client CPU:"
                f" {'met' if ratio <= 1.10 else 'MISSED'}"
            )
    for peer in (r for r in results if r.contender.role == "peer" and r.timing is not None):
        ours = [
            r for r in results if r.contender.role == "apiforge" and r.contender.api == peer.contender.api and r.timing
        ]
        best = min(ours, key=lambda r: r.timing.median if r.timing else 0.0, default=None)
        if best is None or best.timing is None or peer.timing is None:
            continue
        faster = best.timing.median < peer.timing.median
        out.append(
            f"- {peer.contender.api}: {best.contender.name} {ms(best.timing.median)} ms vs {peer.contender.name}"
            f" {ms(peer.timing.median)} ms: {'faster' if faster else 'SLOWER'}"
        )
    out += ["", "Async client CPU per call against the async peers (goal: AsyncVK below vkbottle), per transport:", ""]
    for peer in (r for r in results if r.contender.role == "peer" and r.contender.flavour == "async"):
        if peer.timing is None:
            continue
        for ours in results:
            c, t = ours.contender, ours.timing
            if c.role != "apiforge" or c.flavour != "async" or c.api != peer.contender.api or t is None:
                continue
            below = t.cpu < peer.timing.cpu
            out.append(
                f"- {c.api}: {c.name} {ms(t.cpu)} ms vs {peer.contender.name} {ms(peer.timing.cpu)} ms CPU:"
                f" {'below' if below else 'ABOVE'} ({t.cpu / peer.timing.cpu:.2f}x)"
            )
    return out


def _profiles(profiles: list[Profile]) -> list[str]:
    out: list[str] = []
    for p in profiles:
        share = p.decode / p.total if p.total else 0.0
        out += [
            f"**{p.api}** ({p.calls} calls under cProfile, {p.total / p.calls * 1000:.2f} ms/call profiled):"
            f" decoding into models {share:.0%}, httpx send {p.http / p.total if p.total else 0:.0%}.",
            "",
        ]
        out += table(
            ["function", "calls", "own ms/call", "cum ms/call"],
            [
                [f"`{name}`", str(n // p.calls), f"{own / p.calls * 1000:.3f}", f"{cum / p.calls * 1000:.3f}"]
                for name, n, own, cum in p.top
            ],
        )
        out.append("")
    return out


def _decoding(results: list[decoding.Result]) -> list[str]:
    # Ratios on CPU time: on a shared machine the wall time of a 100-300 ms loop carries other load.
    rows: list[list[str]] = []
    msgspec = {(r.source, r.gc): r.timing for r in results if r.name.startswith("msgspec") and r.timing}
    pydantic = {(r.source, r.gc): r.timing for r in results if r.name.startswith("vkbottle") and r.timing}
    for r in results:
        t = r.timing
        gc_state = "on" if r.gc else "off"
        if t is None:
            rows.append([r.name, r.source, gc_state, "-", "-", "-", "-", "-", r.note])
            continue
        ms_, pd = msgspec.get((r.source, r.gc)), pydantic.get((r.source, r.gc))
        rows.append(
            [
                r.name,
                "parsed dicts" if r.source == "dicts" else "JSON bytes",
                gc_state,
                ms(t.median),
                ms(t.p90),
                ms(t.cpu),
                f"{t.cpu / pd.cpu:.2f}x" if pd else "-",
                f"{t.cpu / ms_.cpu:.1f}x" if ms_ else "-",
                "",
            ]
        )
    header = ["decoder", "input", "GC", "median ms", "p90 ms", "CPU ms", "x pydantic (CPU)", "x msgspec (CPU)", "note"]
    return table(header, rows)


def _imports(results: list[imports.Result]) -> list[str]:
    floor = next((r.figures for r in results if r.case.scenario.name == "import httpx" and r.figures), None)
    rows: list[list[str]] = []
    for r in results:
        f = r.figures
        if f is None:
            rows.append([r.case.scenario.name, "-", "-", "-", "-", r.note])
            continue
        over = f"{(f.cpu_seconds - floor.cpu_seconds) * 1000:+.0f}" if floor and r.case.group != "models" else ""
        rows.append(
            [
                r.case.scenario.name,
                f"{f.seconds * 1000:.0f}",
                f"{f.cpu_seconds * 1000:.0f}",
                over,
                f"{f.rss_mb:.1f}",
                "",
            ]
        )
    out = table(["scenario", "wall ms", "CPU ms", "CPU ms over `import httpx`", "peak RSS MB", "note"], rows)
    deltas = imports.client_deltas(results)
    if deltas:
        out += ["", f"Import + client over `{imports.CLIENT_FLOOR}` (goal: <= +{imports.CLIENT_GOAL_MS:.0f} ms):", ""]
        out += [
            f"- {d.api}: {d.cpu_ms:+.0f} ms CPU, {d.wall_ms:+.0f} ms wall: {'met' if d.met else 'MISSED'}"
            for d in deltas
        ]
    return out


def _batching(results: list[batching.Result]) -> list[str]:
    rows = [[r.name, str(r.requests), f"{r.simulated:.1f}", f"{r.real:.2f}", str(r.results)] for r in results]
    return table(["way", "requests", "simulated s (3 rps limiter)", "real s here", "results"], rows)


def _tooling(results: list[tooling.Result]) -> list[str]:
    rows = [
        [
            r.name,
            "ok" if r.status == 0 else f"exit {r.status}",
            f"{r.wall:.1f}",
            f"{r.cpu:.1f}",
            f"`{r.tail}`" if r.tail else "",
        ]
        for r in results
    ]
    return table(["step", "status", "wall s", "CPU s", "last line"], rows)


def _first_result(results: list[first_result.Result]) -> list[str]:
    doc = first_result.__doc__.split("\n\n", 1)[1].strip() if first_result.__doc__ else ""
    rows = [
        [
            r.api,
            f"{r.floor.seconds * 1000:.0f}",
            f"{r.apiforge.seconds * 1000:.0f}",
            f"{r.ratio:.2f}x",
            f"{r.floor.cpu_seconds * 1000:.0f}",
            f"{r.apiforge.cpu_seconds * 1000:.0f}",
            f"{r.cpu_ratio:.2f}x",
            "met" if r.ratio <= first_result.GOAL else "MISSED",
        ]
        for r in results
    ]
    header = ["API", "httpx ms", "apiforge ms", "x httpx", "httpx CPU ms", "apiforge CPU ms", "x httpx (CPU)", "goal"]
    return [doc, "", *table(header, rows)]


def _field_reads(result: field_reads.Result) -> list[str]:
    doc = field_reads.__doc__.split("\n\n", 1)[1].strip() if field_reads.__doc__ else ""
    rows = [
        ["read a present field", f"{result.present_ns:.1f}", "1.00x"],
        ["read an absent field", f"{result.absent_ns:.1f}", f"{result.ratio:.2f}x"],
        ["`==` of two equal users", f"{result.eq_ns:.0f}", "-"],
    ]
    verdict = "met" if result.ratio <= 2 else f"not met ({result.ratio:.2f}x)"
    return [doc, "", *table(["operation", "ns", "x present read"], rows), "", f"Goal absent <= 2x present: {verdict}."]


def render(run: Run) -> str:
    """RESULTS.md for one run."""

    def load(averages: tuple[float, float, float]) -> str:
        return ", ".join(f"{x:.2f}" for x in averages)

    out = [
        "# Benchmarks",
        "",
        "Written by `nox -s bench` (`python -m bench`); do not edit by hand — the analysis at the end",
        "comes from bench/ANALYSIS.md. All figures come from the one run below.",
        "",
        f"- run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {run.settings}",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; {platform.platform()}",
        f"- Python {sys.version.split()[0]} ({platform.python_implementation()})",
        f"- load average (1, 5, 15 min) before: {load(run.load_before)}; after: {load(run.load_after)}"
        + (
            " — a busy machine: wall times are noisy, client CPU times steadier"
            if run.load_before[0] > (os.cpu_count() or 1)
            else ""
        ),
        "- packages: " + ", ".join(f"{n} {v}" for n, v in versions()),
        "",
    ]
    if run.overhead is not None:
        out += [
            "## 1. Per-call overhead",
            "",
            overhead.__doc__.split("\n\n", 1)[1].strip() if overhead.__doc__ else "",
            "",
            "*Wall* is the time per call including the fake server (another process) and loopback, the same",
            "for every client of an API; *CPU* is the client process's own CPU time per call: the client's cost.",
            "",
            *_overhead(run.overhead),
            "",
            PEER_SETUP,
        ]
    if run.profiles:
        out += ["### Where apiforge's time goes (cProfile, sync client)", "", *_profiles(run.profiles)]
    if run.decoding is not None:
        out += ["## 2. Decoding 10,000 VK users", "", *_decoding(run.decoding), ""]
    if run.field_reads is not None:
        out += ["### Reading fields of decoded users", "", *_field_reads(run.field_reads), ""]
    if run.imports is not None:
        out += [
            "## 3. Import time and memory",
            "",
            "Fresh interpreter per measurement (median of several, bytecode cached); peak RSS of that process.",
            "",
            *_imports(run.imports),
            "",
        ]
    if run.first_result is not None:
        out += ["### Time to first result", "", *_first_result(run.first_result), ""]
    if run.batching is not None:
        doc = batching.__doc__.split("\n\n", 1)[1].strip() if batching.__doc__ else ""
        out += ["## 4. Batching: 100 VK calls at 3 requests/s", "", doc, "", *_batching(run.batching), ""]
    if run.tooling is not None:
        out += [
            "## 5. Generation and typing",
            "",
            "Goal for the full regeneration: <= 20 s on 2 cores.",
            "",
            *_tooling(run.tooling),
            "",
        ]
    if run.editor is not None:
        out += ["### Editor and checker beside vkbottle", "", *editor.render(run.editor), ""]
    if ANALYSIS.exists():
        out += [ANALYSIS.read_text().strip(), ""]
    return "\n".join(out)
