"""Every real Wialon response in ../shared/samples/wialon decodes through `decode_response`.

Error bodies raise the typed error of their code; the others decode into the generated result
type without losing or changing a value (an unknown field would be dropped silently, a field
of the wrong type would be coerced: both mean the spec disagrees with the server).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from apiforge.core.converter import unstructure
from apiforge.wialon import METHODS, decode_response
from apiforge.wialon.errors import WialonError, error_class

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared/samples/wialon"
FILES = sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"no samples at {SAMPLES}")


def load(path: Path) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return sample


def is_error(body: object) -> bool:
    return isinstance(body, dict) and isinstance(body.get("error"), int) and body["error"] != 0


def differences(sent: object, decoded: object, path: str = "$") -> list[str]:
    """Where the decoded value (unstructured again) differs from the body: lost keys, changed values."""
    if isinstance(sent, dict):
        if not isinstance(decoded, dict):
            return [f"{path}: {sent!r} became {decoded!r}"]
        out: list[str] = []
        for key, value in sent.items():
            if key not in decoded:
                out.append(f"{path}.{key}: lost")
            else:
                out.extend(differences(value, decoded[key], f"{path}.{key}"))
        return out
    if isinstance(sent, list):
        if not isinstance(decoded, list | tuple) or len(sent) != len(decoded):
            return [f"{path}: {sent!r} became {decoded!r}"]
        return [
            d for i, (a, b) in enumerate(zip(sent, decoded, strict=True)) for d in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(sent, bool) or isinstance(decoded, bool):
        return [] if type(sent) is type(decoded) and sent == decoded else [f"{path}: {sent!r} became {decoded!r}"]
    if isinstance(sent, int | float) and isinstance(decoded, int | float):
        return [] if math.isclose(sent, decoded) else [f"{path}: {sent!r} became {decoded!r}"]
    return [] if type(sent) is type(decoded) and sent == decoded else [f"{path}: {sent!r} became {decoded!r}"]


def test_the_samples_are_there() -> None:
    assert len(FILES) >= 5
    assert all(load(path)["api"] == "wialon" for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_sample_decodes(path: Path) -> None:
    sample = load(path)
    method, body = sample["method"], sample["body"]
    assert method in METHODS, f"{path.name}: {method} is not in the specs"
    if is_error(body):
        with pytest.raises(WialonError) as caught:
            decode_response(method, body, sample.get("params"))
        error = caught.value
        assert type(error) is error_class(body["error"])
        assert (error.code, error.method) == (body["error"], method)
        return
    result = decode_response(method, body, sample.get("params"))
    assert differences(body, unstructure(result)) == []


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_sample_decodes_from_raw_bytes(path: Path) -> None:
    # The same body as the server sends it (bytes), as a call would read it.
    sample = load(path)
    raw = json.dumps(sample["body"]).encode()
    if is_error(sample["body"]):
        with pytest.raises(WialonError):
            decode_response(sample["method"], raw, sample.get("params"))
    else:
        assert decode_response(sample["method"], raw, sample.get("params")) == decode_response(
            sample["method"], sample["body"], sample.get("params")
        )


def test_retranslator_debug_stays_text() -> None:
    # Correction from sample core_search_items__2: `rtrc.debug` is "0"/"1" text on the wire, not a bool.
    (path,) = [p for p in FILES if p.stem == "core_search_items__2"] or [None]
    if path is None:
        pytest.skip("core_search_items__2 is not among the samples")
    result: Any = decode_response("core/search_items", load(path)["body"])
    assert result.items[0].rtrc.debug == "0"
