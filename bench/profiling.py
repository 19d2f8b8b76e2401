"""Where apiforge's time goes in one call: cProfile over the sync client's benchmark call.

The figures it gives: the share of the call spent decoding (`apiforge.core.pipeline.decode`), in
the HTTP stack (`httpx.Client.send`), and the functions with the most time of their own.
"""

from __future__ import annotations

import cProfile
import pstats

import attrs

from bench.overhead import CONTENDERS
from bench.servers import Kind, ServerProcess


@attrs.frozen
class Profile:
    """The profile of `calls` calls of one API's apiforge sync contender."""

    api: Kind
    calls: int
    total: float
    decode: float
    http: float
    top: list[tuple[str, int, float, float]]
    """(function, calls, own seconds, cumulative seconds), by own time."""


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    for marker in ("site-packages/", "/runtime/", "/generated/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({name})" if line else name


def profile(api: Kind, *, calls: int = 100) -> Profile:
    """Profile `calls` calls (after a warm-up) of apiforge's sync client on `api`."""
    contender = next(c for c in CONTENDERS if c.api == api and c.role == "apiforge" and c.flavour == "sync")
    with ServerProcess(api) as url:
        operation, close = contender.factory(url)  # type: ignore[misc]  # a sync factory
        try:
            for _ in range(5):
                operation()
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(calls):
                operation()
            profiler.disable()
        finally:
            close()
    stats = pstats.Stats(profiler)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    total = decode = http = 0.0
    for (filename, _, name), (_, _, _, cumulative, _) in table.items():
        if name == "decode" and filename.endswith("core/pipeline.py"):
            decode = cumulative
        elif name == "send" and filename.endswith("httpx/_client.py"):
            http = max(http, cumulative)
        elif name == "request" and filename.endswith("core/client.py"):
            total = max(total, cumulative)
    ranked = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:12]
    top = [(_where(key), value[1], value[2], value[3]) for key, value in ranked]
    return Profile(api, calls, total, decode, http, top)
