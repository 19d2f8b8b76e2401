"""The local servers: apiforge.testing's fakes over real HTTP on 127.0.0.1, each in a process of its own.

    with ServerProcess("vk") as url: ...          # http://127.0.0.1:<port>, serving bench.payloads

A separate process keeps the server's work (parsing requests, encoding 100 users) out of the
measured process: the client's CPU time per call is then the client's alone, while the wall time
per call still includes the server and the loopback, the same for every client measured.

    python -m bench.servers vk|wialon|yclients    # prints the URL, serves until stdin closes
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Literal

from apiforge.testing._server import FakeServer
from bench import payloads

Kind = Literal["vk", "wialon", "yclients"]
KINDS: tuple[Kind, ...] = ("vk", "wialon", "yclients")
ROOT = Path(__file__).resolve().parents[1]  # where `python -m bench.servers` finds the bench package


def make_fake(kind: Kind) -> FakeServer:
    """The fake of `kind`, holding the benchmark's data and accepting its tokens."""
    if kind == "vk":
        from apiforge.testing import FakeVK

        return FakeVK(tokens={payloads.VK_TOKEN}, users=payloads.vk_users(payloads.VK_USERS_PER_CALL))
    if kind == "wialon":
        from apiforge.testing import FakeWialon

        return FakeWialon(tokens={payloads.WIALON_TOKEN}, units=payloads.wialon_units())
    from apiforge.testing import FakeYclients

    fake = FakeYclients(partner_tokens={payloads.YCLIENTS_PARTNER}, clients_per_company=payloads.YCLIENTS_PAGE)
    fake.user_tokens[payloads.YCLIENTS_USER] = fake.users[0]  # logged in already: no login call to measure
    return fake


class ServerProcess:
    """`python -m bench.servers <kind>` as a context manager whose value is the server's URL."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.servers", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("http://"):
            process.kill()
            raise RuntimeError(f"bench.servers {self.kind} did not start: {line!r}")
        return line

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._process
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()  # the server's signal to stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> None:
    """Serve one fake until stdin closes; the first line printed is its URL."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in KINDS:
        raise SystemExit(f"usage: python -m bench.servers {{{'|'.join(KINDS)}}}")
    kind = next(k for k in KINDS if k == args[0])
    with make_fake(kind) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
