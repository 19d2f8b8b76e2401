"""Import time and memory: apiforge's three SDKs against httpx alone and the existing SDKs.

Each scenario runs in fresh interpreters (imports are cached per process, so one process measures
one thing once) and reports the median of several; the probe and the bytecode-cache handling are
bench/import_vk.py's (`measure`), which also stays runnable on its own for the VK-only breakdown.
Figures: wall and CPU time of the measured statements; peak RSS (`ru_maxrss`) of the process.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs

from bench import payloads
from bench.import_vk import Figures, Scenario, measure


@attrs.frozen
class Case:
    """A scenario, the package it needs (None: apiforge or httpx, always here) and its group."""

    scenario: Scenario
    requires: str | None = None
    group: str = "client"


def _case(name: str, code: str, requires: str | None = None, group: str = "client") -> Case:
    return Case(Scenario(name, "", code), requires, group)


CASES: tuple[Case, ...] = (
    _case("import httpx", "import httpx", group="floor"),
    _case("import httpx + httpx.Client()", "import httpx\nhttp = httpx.Client()", group="floor"),
    _case("apiforge.vk + VK(...)", f"import apiforge.vk\nc = apiforge.vk.VK({payloads.VK_TOKEN!r})"),
    _case(
        "apiforge.yclients + Yclients(...)",
        f"import apiforge.yclients\nc = apiforge.yclients.Yclients({payloads.YCLIENTS_PARTNER!r})",
    ),
    _case(
        "apiforge.wialon + Wialon(...)",
        f"import apiforge.wialon\nc = apiforge.wialon.Wialon({payloads.WIALON_TOKEN!r})",
    ),
    _case("vkbottle + API(...)", f"import vkbottle\nc = vkbottle.API({payloads.VK_TOKEN!r})", "vkbottle"),
    _case("vkbottle_types.methods", "import vkbottle_types.methods", "vkbottle_types"),
    _case("vk_api + VkApi(...)", f"import vk_api\nc = vk_api.VkApi(token={payloads.VK_TOKEN!r})", "vk_api"),
    _case(
        "yclients + YclientsClient(...)",
        f"import yclients\nc = yclients.YclientsClient(partner_token={payloads.YCLIENTS_PARTNER!r})",
        "yclients",
    ),
    _case("py-aiowialon + Wialon()", "import aiowialon\nc = aiowialon.Wialon(token='t')", "aiowialon"),
    _case("apiforge.vk: every model", "import apiforge.vk.models\napiforge.vk.models.load_all()", group="models"),
    _case(
        "apiforge.yclients: every model",
        "import apiforge.yclients.models\napiforge.yclients.models.load_all()",
        group="models",
    ),
    _case(
        "apiforge.wialon: every model",
        "import apiforge.wialon.models\napiforge.wialon.models.load_all()",
        group="models",
    ),
    _case("vkbottle_types.objects (every model)", "import vkbottle_types.objects", "vkbottle_types", "models"),
    _case("yclients.models.schemas (every model)", "import yclients.models.schemas", "yclients", "models"),
)


@attrs.frozen
class Result:
    """A case's figures, or why it was not measured."""

    case: Case
    figures: Figures | None
    note: str = ""


# Goal: `import apiforge.<api>` plus a client within this many ms of `import httpx` plus a client.
CLIENT_GOAL_MS = 30.0
CLIENT_FLOOR = "import httpx + httpx.Client()"


@attrs.frozen
class ClientDelta:
    """What importing one SDK and building its client costs over importing httpx and building a client."""

    api: str
    cpu_ms: float
    wall_ms: float

    @property
    def met(self) -> bool:
        """Within `CLIENT_GOAL_MS`, in CPU time (the steadier figure on a shared machine)."""
        return self.cpu_ms <= CLIENT_GOAL_MS


def client_deltas(results: list[Result]) -> list[ClientDelta]:
    """Each SDK's import + client over `import httpx; httpx.Client()` (empty without the floor)."""
    by_name = {r.case.scenario.name: r.figures for r in results if r.figures is not None}
    floor = by_name.get(CLIENT_FLOOR)
    if floor is None:
        return []
    deltas: list[ClientDelta] = []
    for api in ("vk", "yclients", "wialon"):
        figures = next((f for name, f in by_name.items() if name.startswith(f"apiforge.{api} + ")), None)
        if figures is not None:
            deltas.append(
                ClientDelta(
                    api,
                    cpu_ms=(figures.cpu_seconds - floor.cpu_seconds) * 1000,
                    wall_ms=(figures.seconds - floor.seconds) * 1000,
                )
            )
    return deltas


def run(*, runs: int) -> list[Result]:
    """Measure every case, from a small helper process (`python -m bench.imports`).

    Peak RSS is inherited across fork on Linux: interpreters started by a large process (the
    benchmark after decoding 10,000 users) would report the parent's size, so a fresh, small
    interpreter starts them.
    """
    done = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--runs", str(runs)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(done.stdout)
    by_name = {case.scenario.name: case for case in CASES}
    return [
        Result(by_name[row["name"]], Figures(**row["figures"]) if row["figures"] else None, row["note"]) for row in rows
    ]


def run_here(*, runs: int) -> list[Result]:
    """Measure every case in `runs` fresh interpreters each (after one that fills the bytecode cache)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="apiforge-bench-pycache-") as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        for case in CASES:
            if case.requires is not None and importlib.util.find_spec(case.requires) is None:
                results.append(Result(case, None, f"{case.requires} is not installed here"))
                continue
            results.append(Result(case, measure(case.scenario, runs, env)))
    return results


def main() -> None:
    """`python -m bench.imports [--runs N]`: the results as JSON on stdout."""
    parser = argparse.ArgumentParser(description="import time and memory, as JSON")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = [
        {
            "name": r.case.scenario.name,
            "figures": dataclasses.asdict(r.figures) if r.figures else None,
            "note": r.note,
        }
        for r in run_here(runs=args.runs)
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
