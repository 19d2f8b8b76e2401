"""Running the project's type checkers on a snippet, as the suite's typing tests do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def mypy(path: Path) -> subprocess.CompletedProcess[str]:
    """mypy --strict with the project's configuration on `path` (its output on stdout)."""
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file", "pyproject.toml", str(path)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


def pyright(path: Path) -> subprocess.CompletedProcess[str]:
    """pyright (strict, the project's configuration) on `path`, with this interpreter's packages."""
    command = [str(Path(sys.executable).parent / "pyright"), "--pythonpath", sys.executable, str(path)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)
