"""The benchmark harness still runs: tiny iteration counts against the fakes, no figure asserted.

Peers (vkbottle, vk_api, py-aiowialon, yclients, msgspec, vkbottle-types) live only in the bench
virtualenv (`nox -s bench`); here their contenders are reported as not installed, by design.
"""

from __future__ import annotations

import importlib.util

from bench import batching, decoding, editor, field_reads, first_result, imports, overhead, report


def test_every_floor_and_apiforge_client_makes_its_call() -> None:
    results = overhead.run(iterations=2, warmup=1)
    ours = [r for r in results if r.contender.role in ("floor", "apiforge")]
    assert len(ours) == 15  # 3 APIs x (2 floors + sync + async over httpx + async over aiohttp)
    failed = [(r.contender.api, r.contender.name, r.note) for r in ours if r.timing is None]
    assert failed == []
    for r in results:
        if r.contender.role == "peer" and not r.contender.available():
            assert r.timing is None and "not installed" in r.note


def test_peers_that_are_missing_are_reported_not_faked() -> None:
    missing = [c for c in overhead.CONTENDERS if c.requires and importlib.util.find_spec(c.requires) is None]
    results = overhead.run(iterations=1, warmup=0, apis=tuple({c.api for c in missing}) or ("vk",))
    for r in results:
        if r.contender in missing:
            assert r.timing is None


def test_decoders_decode_every_user() -> None:
    results = decoding.run(users=50, iterations=1, warmup=0)
    ours = [r for r in results if r.name.startswith("apiforge")]
    assert len(ours) == 8  # the decoder and the per-key one it replaced: dicts and bytes, GC on and off
    assert all(r.timing is not None for r in ours)


def test_field_reads_are_measured_and_reported() -> None:
    result = field_reads.run(users=50, rounds=1)
    assert result.present_ns > 0 and result.absent_ns > 0 and result.eq_ns > 0
    text = report.render(report.Run("smoke", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), field_reads=result))
    assert "read an absent field" in text and "Goal absent <= 2x present" in text


def test_the_first_result_is_measured_in_fresh_processes() -> None:
    results = first_result.run(runs=1, apis=("yclients",))  # each scenario asserts what it got back
    assert [r.api for r in results] == ["yclients"]
    assert results[0].floor.cpu_seconds > 0 and results[0].apiforge.cpu_seconds > 0
    text = report.render(report.Run("smoke", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), first_result=results))
    assert "### Time to first result" in text


def test_batching_reaches_the_floor_of_four_requests() -> None:
    by_way = {r.name: r for r in batching.run()}
    assert by_way["sequential"].requests == batching.CALLS
    batched = [r for name, r in by_way.items() if name != "sequential"]
    assert [r.requests for r in batched] == [4, 4]
    assert all(r.results == batching.CALLS for r in by_way.values())
    assert by_way["sequential"].simulated > by_way["vk.batch()"].simulated  # the limiter ran on the fake clock


def test_the_report_renders_what_was_measured() -> None:
    run = report.Run(
        "smoke",
        (0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0),
        overhead=overhead.run(iterations=1, warmup=0, apis=("yclients",)),
        batching=batching.run(),
    )
    text = report.render(run)
    assert "## 1. Per-call overhead" in text and "## 4. Batching" in text
    assert "apiforge Yclients" in text and "Python " in text


def test_imports_are_measured_in_fresh_interpreters() -> None:
    results = {r.case.scenario.name: r for r in imports.run(runs=1)}
    for name in ("import httpx", "apiforge.vk + VK(...)", "apiforge.wialon: every model"):
        figures = results[name].figures
        assert figures is not None and figures.rss_mb > 0


def test_the_secret_registry_benchmark_runs_both_registries() -> None:
    from bench import secrets

    rows = secrets.run(counts=(20,), old_limit=20)
    assert [(r.name, r.count) for r in rows] == [("current", 20), ("old", 20)]
    assert rows[0].after_release == 0  # the current registry lets go of every released secret
    assert "| current | 20 |" in secrets.render(rows)


def test_the_import_table_says_each_sdk_over_httpx_and_a_client() -> None:
    """Section 3 prints, per API, import + client over `import httpx; httpx.Client()` against the goal."""
    from bench.import_vk import Figures

    cpu = {"import httpx": 0.050, imports.CLIENT_FLOOR: 0.080, "apiforge.vk + VK(...)": 0.100}
    cpu |= {"apiforge.yclients + Yclients(...)": 0.125, "apiforge.wialon + Wialon(...)": 0.110}
    by_name = {case.scenario.name: case for case in imports.CASES}
    results = [imports.Result(by_name[name], Figures(s, s, 30.0, 0.0)) for name, s in cpu.items()]
    deltas = {d.api: d for d in imports.client_deltas(results)}
    assert {api: round(d.cpu_ms) for api, d in deltas.items()} == {"vk": 20, "yclients": 45, "wialon": 30}
    assert [api for api, d in deltas.items() if d.met] == ["vk", "wialon"]
    text = "\n".join(report._imports(results))  # pyright: ignore[reportPrivateUsage]
    assert "- vk: +20 ms CPU, +20 ms wall: met" in text
    assert "- yclients: +45 ms CPU, +45 ms wall: MISSED" in text


def test_the_editor_and_checker_are_measured_and_a_missing_peer_is_reported() -> None:
    measured = editor.run(repeats=1, setups=("source",))
    jedi, mypy = measured.results
    for result in (jedi, mypy):
        assert result.apiforge.ok, result.apiforge.note  # jedi offered `send`; mypy --strict passed the app
        assert len(result.apiforge.wall) == len(result.apiforge.cpu) == 1
        if importlib.util.find_spec("vkbottle") is None:
            assert not result.vkbottle.wall and "not installed" in result.vkbottle.note
    assert any(path.endswith("messages.py") for _, path, _ in measured.profile)
    text = report.render(report.Run("smoke", (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), editor=measured))
    assert "### Editor and checker beside vkbottle" in text and "apiforge / vkbottle" in text
