"""The secret registry: registration, masking and memory, the current one against the one it replaced.

    python -m bench.secrets                  # 1,000 and 10,000 registrations; the old registry up to 1,000
    python -m bench.secrets --old-limit 300  # a shorter run of the old one (it is quadratic)

The old registry (kept below, verbatim in what it does) added every secret to one set and
recompiled one alternation regex over all of them on each new registration; `re.compile`'s own
cache then kept up to 512 of those ever-larger patterns alive. The current one
(`apiforge.core.redact.SecretRegistry`) indexes each secret under a few fixed-length grams and
scans a text at a stride, so neither cost depends on how many secrets are registered.

Figures: wall time of N registrations of distinct 64-character tokens; masking time per KB of a
text holding some registered secrets (the registry full); memory allocated and still held
after the registrations, measured with tracemalloc in a separate pass (tracemalloc slows the
code it watches, so no timing is taken under it); then N registrations and N releases, to show
that a process that opens and closes clients keeps a flat registry.
"""

from __future__ import annotations

import argparse
import gc
import re
import time
import tracemalloc
import uuid
from collections.abc import Callable

import attrs

from apiforge.core.redact import SecretRegistry

TOKEN_LENGTH = 64


class OldRegistry:
    """The registry before issue 16: a set of secrets and one regex recompiled over all of them."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str) -> None:
        """Register, and recompile the alternation of every secret, longest first."""
        if secret in self._secrets:
            return
        self._secrets.add(secret)
        self._pattern = re.compile("|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True)))

    def discard(self, secret: str) -> None:
        """The old registry had no way to let go; kept for the same interface."""

    def redact(self, text: str) -> str:
        """Mask every registered secret."""
        return self._pattern.sub("***", text) if self._pattern is not None else text


@attrs.frozen
class Row:
    """One registry at one size."""

    name: str
    count: int
    register_s: float
    mask_us_per_kb: float
    held_mb: float | None = None
    peak_mb: float | None = None
    after_release: int | None = None


def _tokens(count: int) -> list[str]:
    return [(uuid.uuid4().hex * 2)[:TOKEN_LENGTH] for _ in range(count)]


def _text(tokens: list[str]) -> str:
    # About 8 KB of log-like text with a registered secret in every other line.
    lines: list[str] = []
    for i in range(64):
        secret = tokens[(i * 7919) % len(tokens)] if i % 2 else "no secret here"
        lines.append(f"GET https://api.example.test/method/users.get?v=5.199&token={secret}&n={i} -> 200 OK")
    return "\n".join(lines)


def measure(make: Callable[[], OldRegistry | SecretRegistry], name: str, count: int, *, memory: bool = True) -> Row:
    """Register `count` tokens, mask a text, and (separately) measure memory and release."""
    tokens = _tokens(count)
    re.purge()
    registry = make()
    gc.collect()
    start = time.perf_counter()
    for token in tokens:
        registry.add(token)
    register_s = time.perf_counter() - start
    text = _text(tokens)
    masked = registry.redact(text)
    assert all(token not in masked for token in tokens[:: max(1, count // 50)])
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        registry.redact(text)
    mask_us = (time.perf_counter() - start) / rounds * 1e6 / (len(text) / 1024)
    held = peak = None
    after: int | None = None
    if memory:
        del registry
        re.purge()
        gc.collect()
        tracemalloc.start()
        registry = make()
        for token in tokens:
            registry.add(token)
        gc.collect()
        current, top = tracemalloc.get_traced_memory()
        held, peak = current / 2**20, top / 2**20
        tracemalloc.stop()
        for token in tokens:
            registry.discard(token)
        after = len(registry) if isinstance(registry, SecretRegistry) else len(registry._secrets)
    return Row(name, count, register_s, mask_us, held, peak, after)


def run(counts: tuple[int, ...] = (1000, 10000), old_limit: int = 1000) -> list[Row]:
    """Both registries at each size (the old one only up to `old_limit` registrations)."""
    rows: list[Row] = []
    for count in counts:
        rows.append(measure(SecretRegistry, "current", count))
        if count <= old_limit:
            rows.append(measure(OldRegistry, "old", count))
    return rows


def render(rows: list[Row]) -> str:
    """A Markdown table of the rows."""

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} MB"

    out = [
        f"| registry | secrets ({TOKEN_LENGTH} chars) | registration, total | masking per KB | memory held | memory peak | tracked after releasing all |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        after = "-" if r.after_release is None else str(r.after_release)
        out.append(
            f"| {r.name} | {r.count:,} | {r.register_s:.3f} s | {r.mask_us_per_kb:.1f} us"
            f" | {mb(r.held_mb)} | {mb(r.peak_mb)} | {after} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.secrets", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--old-limit", type=int, default=1000, help="largest count the old registry is run at")
    args = parser.parse_args(argv)
    print(render(run(tuple(args.counts), args.old_limit)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
