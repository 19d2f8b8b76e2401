"""Helpers of the several-process tests: run worker subprocesses and collect what they report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def spawn(module: str, *args: object, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `python -m <module> <args>` from the project root (so `tests` imports), output piped."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def reports(processes: Sequence[subprocess.Popen[str]], timeout: float = 240.0) -> list[dict[str, Any]]:
    """Wait for every process; the JSON line each printed last. A failed process fails with its stderr."""
    found = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"worker failed ({process.returncode}):\n{err[-3000:]}"
        found.append(json.loads(out.strip().splitlines()[-1]))
    return found
