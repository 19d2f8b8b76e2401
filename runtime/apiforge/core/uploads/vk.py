"""VK's uploads, step by step: ask for an upload server, POST the file there, save what it answered.

Each recipe is a generator of effects (like `core.pipeline.run_call`, which it uses for the two
API calls), so `VKUploads` and `AsyncVKUploads` only hand it to their client's driver. The API
calls go through the client's pipeline: its tokens, rate limits, retries and captcha handler.

    kind                      server method                    part        save method
    photo for messages        photos.getMessagesUploadServer   photo       photos.saveMessagesPhoto
    photo for the wall        photos.getWallUploadServer       photo       photos.saveWallPhoto
    photo for an album        photos.getUploadServer           file1       photos.save
    document, voice message   docs.getMessagesUploadServer     file        docs.save
    video                     video.save (first: it creates the entry and gives the URL)   video_file
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from apiforge.core.effects import Effect
from apiforge.core.errors import DecodeError
from apiforge.core.files import FileInput
from apiforge.core.pipeline import Policy, run_call
from apiforge.core.protocols.base import Protocol
from apiforge.core.uploads.transfer import UploadError, UploadFile, post_file, read_file

if TYPE_CHECKING:
    from apiforge.vk.models.docs import DocsSaveResponse
    from apiforge.vk.models.photos import PhotosPhoto
    from apiforge.vk.models.video import VideoSaveResult

T = TypeVar("T")
Steps = Generator[Effect, Any, T]


@attrs.frozen
class Uploaded(Generic[T]):
    """What an upload gives back: the saved object and its attachment string.

    `attachment` (`photo<owner_id>_<id>`, with `_<access_key>` when the object has one) goes as it
    is into `messages.send(attachment=...)` or `wall.post(attachments=...)`; `str(uploaded)` is the same.
    """

    saved: T
    attachment: str

    def __str__(self) -> str:
        return self.attachment


def attachment(kind: str, owner_id: int, item_id: int, access_key: str | None = None) -> str:
    """VK's attachment string: `photo1_2`, or `doc-5_7_<key>` with an access key."""
    return f"{kind}{owner_id}_{item_id}" + (f"_{access_key}" if access_key else "")


def photo_for_messages(
    protocol: Protocol, policy: Policy, *, file: FileInput, peer_id: int | None = None
) -> Steps[Uploaded[PhotosPhoto]]:
    """A photo to send in a message (to `peer_id`; a community token needs it)."""
    photo = read_file(file, default_name="photo.jpg")
    upload = yield from _through_server(
        protocol,
        policy,
        "photos.getMessagesUploadServer",
        {"peer_id": peer_id},
        part="photo",
        file=photo,
        fields=("photo", "server", "hash"),
    )
    saved = yield from _call(protocol, policy, "photos.saveMessagesPhoto", upload)
    return _photo(saved, "photos.saveMessagesPhoto")


def photo_for_wall(
    protocol: Protocol,
    policy: Policy,
    *,
    file: FileInput,
    group_id: int | None = None,
    caption: str | None = None,
) -> Steps[Uploaded[PhotosPhoto]]:
    """A photo for a post on the user's wall, or on community `group_id`'s (a positive id)."""
    photo = read_file(file, default_name="photo.jpg")
    upload = yield from _through_server(
        protocol,
        policy,
        "photos.getWallUploadServer",
        {"group_id": group_id},
        part="photo",
        file=photo,
        fields=("photo", "server", "hash"),
    )
    values = {**upload, "group_id": group_id, "caption": caption}
    saved = yield from _call(protocol, policy, "photos.saveWallPhoto", values)
    return _photo(saved, "photos.saveWallPhoto")


def photo_for_album(
    protocol: Protocol,
    policy: Policy,
    *,
    file: FileInput,
    album_id: int,
    group_id: int | None = None,
    caption: str | None = None,
) -> Steps[Uploaded[PhotosPhoto]]:
    """A photo added to album `album_id` (of community `group_id`, a positive id, when given)."""
    photo = read_file(file, default_name="photo.jpg")
    where = {"album_id": album_id, "group_id": group_id}
    # The album server reads the file from part `file1` and answers it as `photos_list`.
    upload = yield from _through_server(
        protocol,
        policy,
        "photos.getUploadServer",
        where,
        part="file1",
        file=photo,
        fields=("photos_list", "server", "hash"),
    )
    values = {**upload, **where, "caption": caption}
    saved = yield from _call(protocol, policy, "photos.save", values)
    return _photo(saved, "photos.save")


def document_for_messages(
    protocol: Protocol,
    policy: Policy,
    *,
    file: FileInput,
    peer_id: int | None = None,
    title: str | None = None,
    tags: str | None = None,
) -> Steps[Uploaded[DocsSaveResponse]]:
    """A document to send in a message to `peer_id`; its title is the file's name unless given."""
    return (yield from _document(protocol, policy, file=file, peer_id=peer_id, kind="doc", title=title, tags=tags))


def voice_message(
    protocol: Protocol, policy: Policy, *, file: FileInput, peer_id: int | None = None
) -> Steps[Uploaded[DocsSaveResponse]]:
    """A voice message (an OGG/Opus or MP3 recording) to send to `peer_id`."""
    return (yield from _document(protocol, policy, file=file, peer_id=peer_id, kind="audio_message"))


def video(
    protocol: Protocol,
    policy: Policy,
    *,
    file: FileInput,
    name: str | None = None,
    description: str | None = None,
    group_id: int | None = None,
    album_id: int | None = None,
    is_private: bool | None = None,
    wallpost: bool | None = None,
) -> Steps[Uploaded[VideoSaveResult]]:
    """A video: `video.save` creates its entry and names the upload URL, then the file goes there.

    `is_private=True` makes a video for messages only; `wallpost=True` posts it on the wall.
    """
    from apiforge.vk.models.video import VideoSaveResult

    content = read_file(file, default_name="video.mp4")
    values: dict[str, object] = {
        "name": name,
        "description": description,
        "group_id": group_id,
        "album_id": album_id,
        "is_private": is_private,
        "wallpost": wallpost,
    }
    entry = _one((yield from _call(protocol, policy, "video.save", values)), VideoSaveResult, "video.save")
    if entry.upload_url is None or entry.video_id is None or entry.owner_id is None:
        raise DecodeError("video.save", "$", entry, "expected upload_url, video_id and owner_id")
    answer = yield from post_file(
        policy, step="video.save upload", url=entry.upload_url, field="video_file", file=content
    )
    if answer.get("video_id") not in (None, entry.video_id):
        raise UploadError(
            "video.save upload", f"the server stored video {answer.get('video_id')!r}, not {entry.video_id}"
        )
    return Uploaded(entry, attachment("video", entry.owner_id, entry.video_id, entry.access_key))


def _document(
    protocol: Protocol,
    policy: Policy,
    *,
    file: FileInput,
    peer_id: int | None,
    kind: str,
    title: str | None = None,
    tags: str | None = None,
) -> Steps[Uploaded[DocsSaveResponse]]:
    from apiforge.vk.models.docs import DocsSaveResponse

    document = read_file(file, default_name="voice.ogg" if kind == "audio_message" else "document.txt")
    upload = yield from _through_server(
        protocol,
        policy,
        "docs.getMessagesUploadServer",
        {"type": kind, "peer_id": peer_id},
        part="file",
        file=document,
        fields=("file",),
    )
    values = {**upload, "title": title if title is not None else document.name, "tags": tags}
    saved = _one((yield from _call(protocol, policy, "docs.save", values)), DocsSaveResponse, "docs.save")
    # A voice message is a document too: both attach as doc<owner>_<id>.
    item = saved.audio_message if kind == "audio_message" else saved.doc
    if item is None:
        raise DecodeError("docs.save", kind, saved, f"expected the saved {kind}")
    return Uploaded(saved, attachment("doc", item.owner_id, item.id, item.access_key))


def _through_server(
    protocol: Protocol,
    policy: Policy,
    server: str,
    values: Mapping[str, object],
    *,
    part: str,
    file: UploadFile,
    fields: tuple[str, ...],
) -> Steps[dict[str, object]]:
    """Ask `server` for an upload URL, POST `file` there as multipart part `part`: what the save method takes.

    That is the `fields` of the upload server's answer (`photo`, `server`, `hash`), each required.
    """
    where = yield from _call(protocol, policy, server, values)
    step = f"{server} upload"
    answer = yield from post_file(policy, step=step, url=_text(where, server, "upload_url"), field=part, file=file)
    return _fields(answer, step, *fields)


def _call(protocol: Protocol, policy: Policy, method: str, values: Mapping[str, object]) -> Steps[object]:
    """One API call by wire name, through the pipeline: the typed result its spec declares."""
    from apiforge.vk import METHODS  # the SDK loads with the first upload, not with this module

    call = METHODS[method].spec.call(values)
    result: object = yield from run_call(protocol, policy, call)
    return result


def _one(value: object, cls: type[T], method: str) -> T:
    """The single object of `cls` a call returned (the first of a list of them)."""
    if isinstance(value, list):
        items = cast("list[object]", value)
        value = items[0] if items else None
    if not isinstance(value, cls):
        raise DecodeError(method, "$", value, f"expected a {cls.__name__}")
    return value


def _photo(saved: object, method: str) -> Uploaded[PhotosPhoto]:
    from apiforge.vk.models.photos import PhotosPhoto

    photo = _one(saved, PhotosPhoto, method)
    return Uploaded(photo, attachment("photo", photo.owner_id, photo.id, photo.access_key))


def _text(result: object, method: str, field: str) -> str:
    value = getattr(result, field, None)
    if not isinstance(value, str) or not value:
        raise DecodeError(method, field, value, "expected the upload URL")
    return value


def _fields(answer: Mapping[str, Any], step: str, *names: str) -> dict[str, object]:
    """The fields of an upload server's answer that its save method takes, each required."""
    missing = [name for name in names if answer.get(name) in (None, "", "[]")]
    if missing:
        # An empty `photo` ("[]") is how the photo server says it could not read the image.
        raise UploadError(step, f"the upload server's answer lacks {', '.join(missing)}: the file was not accepted")
    return {name: answer[name] for name in names}


__all__ = [
    "Uploaded",
    "attachment",
    "document_for_messages",
    "photo_for_album",
    "photo_for_messages",
    "photo_for_wall",
    "video",
    "voice_message",
]
