"""The one error a broken spec produces."""

from __future__ import annotations


class SpecError(Exception):
    """A spec file is wrong: names the file, the line and the reason."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file = file
        self.line = line
        self.reason = reason
