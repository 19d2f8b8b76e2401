"""Comparing a generated package with the committed one, byte for byte (what `generate --check` does)."""

from __future__ import annotations

from pathlib import Path


def package_files(folder: Path) -> dict[str, bytes]:
    """Every file of a generated package by its path inside it, caches left out."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def differences(committed: dict[str, bytes], fresh: dict[str, bytes]) -> list[str]:
    """Files missing on either side or differing in any byte."""
    changed = {name for name in committed.keys() & fresh.keys() if committed[name] != fresh[name]}
    return sorted(changed | (committed.keys() ^ fresh.keys()))
