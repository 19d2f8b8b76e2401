"""Where the YCLIENTS corpora live (outside the project; tests that read them skip when absent), and fakes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiforge.yclients import METHODS

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SAMPLES = SHARED / "samples/yclients"
OPENAPI = SHARED / "upstream/yclients/openapi.developers.yclients.com.json"


def _shape(wire: str) -> tuple[str, str]:
    """`GET /api/v1/company/{id}/` -> ("GET", "/api/v1/company/{}"): placeholders and a final slash ignored."""
    method, _, path = wire.partition(" ")
    return method, re.sub(r"\{[^}]*\}", "{}", path).rstrip("/")


_BY_SHAPE = {_shape(wire): wire for wire in METHODS}


def wire_of_blueprint(method: str) -> str | None:
    """Our wire name of an API Blueprint action (`GET /clients/{company_id}`), or None when we have no such operation.

    The Blueprint writes paths without the `/api/v1` prefix, names placeholders its own way, and
    spells the loyalty card types path `loyality` (the OpenAPI document: `loyalty`).
    """
    http_method, _, path = method.partition(" ")
    path = path.replace("/loyality/", "/loyalty/")
    return _BY_SHAPE.get(_shape(f"{http_method} /api/v1{path}"))


def load_samples() -> list[dict[str, Any]]:
    """Every sample of ../shared/samples/yclients (none when the folder is absent)."""
    if not SAMPLES.is_dir():
        return []
    return [{"file": p.name, **json.loads(p.read_text(encoding="utf-8"))} for p in sorted(SAMPLES.glob("*.json"))]


def openapi_document() -> dict[str, Any] | None:
    if not OPENAPI.is_file():
        return None
    document: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return document


@pytest.fixture
def fake(mode: str) -> Iterator[Any]:
    """A FakeYclients reached over real HTTP or in-process (see the `mode` fixture)."""
    from apiforge.testing.yclients import FakeYclients

    server = FakeYclients()
    if mode == "http":
        with server:
            yield server
    else:
        yield server
