"""Running `python -m apiforge` for real, in a subprocess: the environment it gets and the call itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# A safety net against a hung child, not an assertion about speed.
HANG = 300


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any APIFORGE_* setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APIFORGE_")}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


def apiforge(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m apiforge *args` and wait for it; stdout and stderr are captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "apiforge", *args],
        capture_output=True,
        text=True,
        env=clean_env(env),
        cwd=cwd or REPO,
        timeout=HANG,
        check=False,
    )
