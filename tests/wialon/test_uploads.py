"""Multipart uploads: a file given as bytes, a path or a binary file object, sent with the params part."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiforge.core.files import FileInput
from apiforge.testing.wialon import FakeWialon
from apiforge.wialon import Wialon
from apiforge.wialon.models.common import StorageType

from .support import UNIT, aconnect, connect

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary: every byte value, CR and LF included
RESOURCE = 734400

# service -> (how to call it, the file part's field name, the params it must send)
Upload = Callable[[Wialon, FileInput], object]
CASES: dict[str, tuple[Upload, str, dict[str, Any]]] = {
    "unit/upload_image": (
        lambda w, f: w.unit.upload_image(item_id=UNIT, file=f, event_hash="img1"),
        "icon_file",
        {"itemId": UNIT, "eventHash": "img1"},
    ),
    "resource/upload_driver_image": (
        lambda w, f: w.resource.upload_driver_image(item_id=RESOURCE, driver_id=3, file=f),
        "file",
        {"itemId": RESOURCE, "driverId": 3},
    ),
    "resource/upload_tacho_file": (
        lambda w, f: w.resource.upload_tacho_file(file=f, output_flag=1, event_hash="tacho"),
        "file",
        {"outputFlag": 1, "eventHash": "tacho"},
    ),
    "file/put": (
        lambda w, f: w.file.put(item_id=UNIT, storage_type=StorageType(1), path="docs/a.png", file=f),
        "file",
        {"itemId": UNIT, "storageType": 1, "path": "docs/a.png"},
    ),
    "exchange/import_json": (lambda w, f: w.exchange.import_json(file=f), "file", {}),
    "exchange/import_messages": (
        lambda w, f: w.exchange.import_messages(item_id=UNIT, file=f),
        "file",
        {"itemId": UNIT},
    ),
    "exchange/import_zones_read": (lambda w, f: w.exchange.import_zones_read(file=f), "file", {}),
    "exchange/import_pois_read": (lambda w, f: w.exchange.import_pois_read(file=f), "file", {}),
}


@pytest.fixture(params=["bytes", "str path", "Path", "file object"])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[FileInput, str | None]:
    """The same content in each accepted form, and the file name its part carries (None: the field name)."""
    path = tmp_path / "picture.png"
    path.write_bytes(PNG)
    if request.param == "bytes":
        return PNG, None
    if request.param == "str path":
        return str(path), "picture.png"
    if request.param == "Path":
        return path, "picture.png"
    return io.BytesIO(PNG), None  # a nameless stream: named after its field


@pytest.mark.parametrize("svc", sorted(CASES))
def test_upload(svc: str, source: tuple[FileInput, str | None], fake: FakeWialon, mode: str) -> None:
    call, field, params = CASES[svc]
    value, filename = source
    with connect(fake, mode) as w:
        call(w, value)

    (upload,) = fake.uploads
    assert upload.svc == svc
    assert upload.params == params
    (part,) = upload.files
    assert part.field == field
    assert part.content == PNG
    assert part.filename == (filename or field)
    recorded = fake.calls_to(svc)[0]
    assert recorded.headers["content-type"].startswith("multipart/form-data")
    assert recorded.params["sid"] == "***"  # the session travels in the body ...
    assert recorded.query == {}  # ... never in the URL
    if "eventHash" in params:
        assert recorded.params["eventHash"] == params["eventHash"]


def test_file_object_name_is_the_part_file_name(fake: FakeWialon, mode: str, tmp_path: Path) -> None:
    path = tmp_path / "driver.jpg"
    path.write_bytes(b"jpeg")
    with connect(fake, mode) as w, path.open("rb") as handle:
        w.resource.upload_driver_image(item_id=RESOURCE, driver_id=1, file=handle)
    assert fake.uploads[0].file().filename == "driver.jpg"


def test_file_put_then_read(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        w.file.put(item_id=UNIT, storage_type=StorageType(1), path="notes.txt", file=b"hello")
        content = w.file.read(item_id=UNIT, storage_type=StorageType(1), path="notes.txt", content_type=0)
    assert content.content == "hello"


def test_upload_completion_arrives_as_an_event(fake: FakeWialon, mode: str) -> None:
    from apiforge.core.events.wialon_avl import AvlPoller
    from apiforge.wialon.models.events import AvlUpdateEvent

    with connect(fake, mode) as w:
        poller = AvlPoller(w, sleep=lambda seconds: None)
        done: list[AvlUpdateEvent] = []
        poller.on("u", filter=lambda e: e.i == -1)(done.append)
        w.unit.upload_image(item_id=UNIT, file=PNG, event_hash="img42")
        poller.poll_once()
    (event,) = done
    assert event.d is not None and event.d["hash"] == "img42"


def test_not_a_file_is_a_clear_error(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w, pytest.raises(TypeError, match="icon_file: expected bytes, a path or a binary"):
        w.unit.upload_image(item_id=UNIT, file=12345)  # type: ignore[arg-type]


def test_the_params_part_is_json_text(fake: FakeWialon, mode: str) -> None:
    with connect(fake, mode) as w:
        w.unit.upload_image(item_id=UNIT, file=PNG, event_hash="h")
    recorded = fake.calls_to("unit/upload_image")[0]
    assert recorded.params["params"] == {"itemId": UNIT, "eventHash": "h"}
    assert recorded.params["svc"] == "unit/upload_image"
    assert json.dumps(recorded.params["files"]) == '{"icon_file": "icon_file"}'


async def test_async_uploads(fake: FakeWialon, mode: str, tmp_path: Path) -> None:
    path = tmp_path / "tacho.ddd"
    path.write_bytes(PNG)
    async with aconnect(fake, mode) as w:
        await w.unit.upload_image(item_id=UNIT, file=PNG)
        await w.resource.upload_tacho_file(file=path)
        await w.exchange.import_messages(item_id=UNIT, file=io.BytesIO(PNG))
    assert [u.svc for u in fake.uploads] == [
        "unit/upload_image",
        "resource/upload_tacho_file",
        "exchange/import_messages",
    ]
    assert [u.files[0].content for u in fake.uploads] == [PNG] * 3
    assert fake.uploads[1].files[0].filename == "tacho.ddd"
