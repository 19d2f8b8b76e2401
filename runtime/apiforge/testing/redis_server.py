"""A real `redis-server` for tests: started on a free port of 127.0.0.1, in a temporary folder, stopped after.

    with RedisServer() as server:          # needs the `redis-server` command (Debian: redis-server)
        backend = RedisBackend.from_url(server.url)

Nothing is saved to disk (no RDB, no AOF); the folder is removed when the server stops. Several
processes (the test and its subprocesses) can share it through `url`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self


class RedisServerError(RuntimeError):
    """`redis-server` is missing or did not come up."""


class RedisServer:
    """One `redis-server` process on 127.0.0.1 (a free port unless `port` is given)."""

    def __init__(self, port: int | None = None, executable: str = "redis-server", startup: float = 30.0) -> None:
        self.port = port
        self.executable = executable
        self.startup = startup
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:<port>/0` of the running server."""
        if self._process is None or self.port is None:
            raise RedisServerError("the Redis server is not running: use `with RedisServer() as server:`")
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Self:
        """Start the server and wait until it answers PING."""
        command = shutil.which(self.executable)
        if command is None:
            raise RedisServerError(
                f"{self.executable!r} is not installed: install the Debian package redis-server "
                "(`nox -s check` does it where it is missing)"
            )
        # A port picked by binding port 0 may be taken again before the server binds it: try a few.
        fixed = self.port
        for _ in range(1 if fixed else 5):
            self.port = fixed or _free_port()
            self._folder = tempfile.TemporaryDirectory(prefix="apiforge-redis-")
            log = Path(self._folder.name) / "redis.log"
            options = {"port": str(self.port), "bind": "127.0.0.1", "dir": self._folder.name, "save": ""}
            options |= {"appendonly": "no", "logfile": str(log), "daemonize": "no"}
            arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
            self._process = subprocess.Popen(
                [command, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._wait_until_up():
                return self
            self.stop()
        self.port = fixed
        raise RedisServerError(f"redis-server did not start on 127.0.0.1 within {self.startup:.0f} s")

    def _wait_until_up(self) -> bool:
        assert self._process is not None and self.port is not None
        deadline = time.monotonic() + self.startup
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False  # exited: the port was taken, most likely
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its folder."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


__all__ = ["RedisServer", "RedisServerError"]
