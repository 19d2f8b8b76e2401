"""`vk.uploads`: server, file, save in one call, end to end through FakeVK over HTTP, sync and async."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apiforge.core import RetryPolicy
from apiforge.core.errors import HTTPStatusError, TransportError
from apiforge.core.uploads import Uploaded, UploadError
from apiforge.testing.vk import FakeVK
from apiforge.vk import VK, AsyncVK
from apiforge.vk.errors import VKAPIError

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_max=0.05, jitter=0.0)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

# kind -> (helper arguments, the upload server part the file must arrive in, the attachment prefix)
KINDS: dict[str, tuple[dict[str, Any], str, str]] = {
    "photo_for_messages": ({"peer_id": 5}, "photo_messages", "photo1_"),
    "photo_for_wall": ({"group_id": 1, "caption": "news"}, "photo_wall", "photo-1_"),
    "photo_for_album": ({"album_id": 7}, "photo_album", "photo1_"),
    "document_for_messages": ({"peer_id": 5, "title": "report.pdf"}, "doc", "doc1_"),
    "voice_message": ({"peer_id": 5}, "doc", "doc1_"),
    "video": ({"name": "clip", "is_private": True}, "video", "video1_"),
}


@pytest.fixture
def fake() -> Iterator[FakeVK]:
    with FakeVK() as fake:
        yield fake


@pytest.fixture
def vk(fake: FakeVK) -> Iterator[VK]:
    with VK(token="t", base_url=fake.url, rate_limit=None, retry=FAST) as client:
        yield client


def saved_url(uploaded: Uploaded[Any]) -> str:
    """Where the saved object says its content is."""
    saved = uploaded.saved
    if hasattr(saved, "sizes"):
        return str(saved.sizes[0].url)
    if getattr(saved, "doc", None) is not None:
        return str(saved.doc.url)
    if getattr(saved, "audio_message", None) is not None:
        return str(saved.audio_message.link_ogg)
    raise AssertionError(f"no URL in {saved!r}")


def check_saved(fake: FakeVK, kind: str, uploaded: Uploaded[Any], content: bytes) -> None:
    _, server_kind, prefix = KINDS[kind]
    stored = fake.uploads.files[-1]
    assert (stored.kind, stored.content) == (server_kind, content)  # the bytes arrived, in the right part
    assert uploaded.attachment.startswith(prefix) and str(uploaded) == uploaded.attachment
    if kind == "video":
        video = fake.uploads.videos[uploaded.attachment[len("video") :].rsplit("_", 1)[0]]
        assert video["file"] == stored.id and video["title"] == "clip"
    else:
        assert httpx.get(saved_url(uploaded)).content == content  # the saved object refers to those bytes


def check_sent(fake: FakeVK, kind: str) -> None:
    """The last message carries the uploaded object: messages.send took the attachment string as it is."""
    (attached,) = fake.messages[-1]["attachments"]
    assert attached["type"] == {"voice_message": "audio_message"}.get(
        kind, kind.split("_")[0].replace("document", "doc")
    )


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_upload_arrives_is_saved_and_attaches(fake: FakeVK, vk: VK, kind: str) -> None:
    arguments, _, _ = KINDS[kind]
    uploaded: Uploaded[Any] = getattr(vk.uploads, kind)(file=PNG, **arguments)
    check_saved(fake, kind, uploaded, PNG)
    vk.messages.send(peer_id=5, attachment=uploaded.attachment)
    check_sent(fake, kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_each_upload_async(fake: FakeVK, kind: str) -> None:
    arguments, _, _ = KINDS[kind]
    async with AsyncVK(token="t", base_url=fake.url, rate_limit=None, retry=FAST) as vk:
        uploaded: Uploaded[Any] = await getattr(vk.uploads, kind)(file=PNG, **arguments)
        check_saved(fake, kind, uploaded, PNG)
        await vk.messages.send(peer_id=5, attachment=uploaded.attachment)
        check_sent(fake, kind)


def test_typed_saved_objects(vk: VK) -> None:
    photo = vk.uploads.photo_for_messages(peer_id=5, file=PNG)
    assert photo.attachment == f"photo{photo.saved.owner_id}_{photo.saved.id}_{photo.saved.access_key}"
    doc = vk.uploads.document_for_messages(peer_id=5, file=b"%PDF", title="report.pdf")
    assert doc.saved.doc is not None and doc.saved.doc.title == "report.pdf" and doc.saved.doc.size == 4
    voice = vk.uploads.voice_message(peer_id=5, file=b"OggS")
    assert voice.saved.audio_message is not None and voice.attachment.startswith(
        f"doc1_{voice.saved.audio_message.id}_"
    )
    video = vk.uploads.video(file=b"mp4", name="clip")
    assert video.attachment == f"video{video.saved.owner_id}_{video.saved.video_id}_{video.saved.access_key}"


def test_file_from_bytes_path_or_file_object(fake: FakeVK, vk: VK, tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    vk.uploads.document_for_messages(peer_id=5, file=b"raw")
    vk.uploads.document_for_messages(peer_id=5, file=path)
    vk.uploads.document_for_messages(peer_id=5, file=str(path))
    with path.open("rb") as handle:
        vk.uploads.document_for_messages(peer_id=5, file=handle)
    vk.uploads.document_for_messages(peer_id=5, file=io.BytesIO(b"in memory"))
    received = [(f.filename, f.content) for f in fake.uploads.files]
    assert received == [
        ("document.txt", b"raw"),
        ("cat.png", PNG),
        ("cat.png", PNG),
        ("cat.png", PNG),
        ("document.txt", b"in memory"),
    ]
    # A document's title is its file's name unless given.
    assert [d["doc"]["title"] for d in fake.uploads.docs.values()] == [name for name, _ in received]


def test_bad_file_is_a_clear_error_and_nothing_is_called(fake: FakeVK, vk: VK) -> None:
    with pytest.raises(TypeError, match="file: expected bytes, a path or a binary file object, got int"):
        vk.uploads.photo_for_messages(peer_id=5, file=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"file: the file is empty \('photo.jpg'\)"):
        vk.uploads.photo_for_messages(peer_id=5, file=b"")
    assert fake.calls == []


def test_upload_post_is_retried_after_the_server_stored_it_and_saved_once(fake: FakeVK, vk: VK) -> None:
    # The server stores the file, then the connection drops: the client cannot know, and posts again.
    fake.faults.fail_next(1, "reset_after", call="POST /upload/photo_messages")
    fake.faults.fail_next(1, "http_500", call="POST /upload/photo_messages")
    uploaded = vk.uploads.photo_for_messages(peer_id=5, file=PNG)
    assert [f.content for f in fake.uploads.files] == [PNG, PNG, PNG]  # stored three times...
    assert len(fake.uploads.photos) == 1  # ...saved once: the unsaved copies are attached to nothing
    assert len(fake.calls_to("photos.saveMessagesPhoto")) == 1
    assert httpx.get(saved_url(uploaded)).content == PNG
    assert fake.faults.pending() == 0


def test_save_is_not_repeated_once_it_may_have_been_done(fake: FakeVK, vk: VK) -> None:
    fake.faults.fail_next(1, "reset_after", call="photos.saveMessagesPhoto")
    with pytest.raises(TransportError) as caught:
        vk.uploads.photo_for_messages(peer_id=5, file=PNG)
    assert caught.value.sent
    assert len(fake.calls_to("photos.saveMessagesPhoto")) == 1
    assert len(fake.uploads.photos) == 1  # saved by the one request that went out, and not again


def test_save_refused_before_processing_is_retried(fake: FakeVK, vk: VK) -> None:
    fake.faults.fail_next(1, "vk_6", call="photos.saveMessagesPhoto")  # rejected: nothing done
    vk.uploads.photo_for_messages(peer_id=5, file=PNG)
    assert len(fake.calls_to("photos.saveMessagesPhoto")) == 1  # the refused one never reached the handler
    assert len(fake.uploads.photos) == 1


def test_upload_server_error_is_an_upload_error_without_save(fake: FakeVK, vk: VK) -> None:
    fake.faults.fail_next(4, "http_502", call="POST /upload/doc")  # one try and three retries (FAST)
    with pytest.raises(HTTPStatusError, match="HTTP 502") as caught:
        vk.uploads.document_for_messages(peer_id=5, file=b"doc")
    assert "sig=" not in str(caught.value)  # the signed upload URL is not in the message
    assert fake.uploads.files == [] and fake.faults.pending() == 0
    assert fake.calls_to("docs.save") == []


def test_refused_file_raises_upload_error(fake: FakeVK, vk: VK) -> None:
    fake.uploads.refuse_next(1, "ERR_UPLOAD_BAD_IMAGE_SIZE: too small")
    with pytest.raises(
        UploadError, match=r"photos.getWallUploadServer upload: .* refused the file: ERR_UPLOAD_BAD_IMAGE"
    ):
        vk.uploads.photo_for_wall(file=PNG)
    assert fake.calls_to("photos.saveWallPhoto") == []


def test_messages_send_refuses_an_attachment_of_nothing_saved(fake: FakeVK, vk: VK) -> None:
    with pytest.raises(VKAPIError, match="attachment 'photo1_99': no such photo"):
        vk.messages.send(peer_id=5, attachment="photo1_99")
    assert fake.messages == []
