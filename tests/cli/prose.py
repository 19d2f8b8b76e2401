"""The method texts of the committed `prose/<api>/methods.yaml`, read as the generator reads them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from tests.cli.clirun import REPO


@dataclass(frozen=True)
class Texts:
    """A method's summary and its parameter texts by wire name."""

    summary: str
    params: dict[str, str]


def _one_line(text: object) -> str:
    # The generator joins a folded YAML text into one line (codegen/prose.py).
    return " ".join(str(text).split())


def method_texts(api: str) -> dict[str, Texts]:
    """Wire name -> texts, for every method `prose/<api>/methods.yaml` has texts for (whatever it holds today)."""
    path = REPO / "prose" / api / "methods.yaml"
    doc: dict[str, Any] = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None) or {}
    out: dict[str, Texts] = {}
    for name, entry in doc.items():
        params: dict[str, object] = entry.get("params") or {}
        out[name] = Texts(_one_line(entry["summary"]), {k: _one_line(v) for k, v in params.items()})
    return out
