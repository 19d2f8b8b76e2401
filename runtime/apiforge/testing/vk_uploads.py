"""The upload servers of `FakeVK`: upload URLs on the fake itself, the files kept, the saved objects.

    with FakeVK() as fake, VK(token="t", base_url=fake.url) as vk:
        photo = vk.uploads.photo_for_messages(peer_id=5, file=b"...")
        vk.messages.send(peer_id=5, attachment=photo.attachment)
        fake.uploads.files[-1].content            # the bytes that arrived
        fake.messages[-1]["attachments"][0]       # {"type": "photo", "photo": {...}}

As on VK, a `get*UploadServer` method (or `video.save`) names an upload URL; a multipart POST of
the file there answers what the `save` method takes (`server`, `photo` / `photos_list` / `file`,
`hash`), and the save method turns it into a photo or a document. An upload can be saved once.
Every saved object's URL (`sizes[].url`, `url`, `link_ogg`) serves the bytes uploaded, so a test
can check that what was saved is what was sent. `messages.send` accepts the attachment strings of
the saved objects (`photo<owner>_<id>[_<access_key>]`, `doc...`, `video...`) and stores them in the
message; an attachment naming nothing saved is VK's error 100.

Paths: `POST /upload/<kind>?...` (kind: photo_messages, photo_wall, photo_album, doc, video) and
`GET /files/<id>`.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import attrs

from apiforge.testing._server import Response, json_response
from apiforge.testing._vk_base import VKError, csv, is_int, param_error

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK

UPLOAD_PATH = "/upload/"
FILES_PATH = "/files/"
_ATTACHMENT = re.compile(r"^(photo|doc|video)(-?\d+)_(\d+)(?:_([0-9a-zA-Z]+))?$")
# The multipart part each upload server reads the file from, as VK's do.
PARTS: Mapping[str, str] = {
    "photo_messages": "photo",
    "photo_wall": "photo",
    "photo_album": "file1",
    "doc": "file",
    "video": "video_file",
}


@attrs.frozen
class StoredFile:
    """One file an upload server received: its id, the upload kind, the URL's query, name and bytes."""

    id: int
    kind: str
    query: Mapping[str, str]
    filename: str
    content: bytes


class FakeUploads:
    """The upload servers of a FakeVK (its `uploads`); see the module docs."""

    def __init__(self, fake: FakeVK) -> None:
        self.fake = fake
        self.files: list[StoredFile] = []
        """Every file received, in order (a retried upload is here twice, saved at most once)."""
        self.photos: dict[str, dict[str, Any]] = {}
        """Saved photos by `<owner>_<id>`."""
        self.docs: dict[str, dict[str, Any]] = {}
        """Saved documents and voice messages by `<owner>_<id>` (each as docs.save answers it)."""
        self.videos: dict[str, dict[str, Any]] = {}
        """Videos by `<owner>_<id>`: created by video.save, `file` set once its upload arrived."""
        self._saved: set[int] = set()  # ids of stored files a save method used
        self._refusals: list[str] = []
        self._ids = itertools.count(456239017)
        fake.methods.update(
            {
                "photos.getMessagesUploadServer": self._photo_server("photo_messages"),
                "photos.getWallUploadServer": self._photo_server("photo_wall"),
                "photos.getUploadServer": self._photo_server("photo_album"),
                "photos.saveMessagesPhoto": self._save_photo("photo_messages"),
                "photos.saveWallPhoto": self._save_photo("photo_wall"),
                "photos.save": self._save_photo("photo_album"),
                "docs.getMessagesUploadServer": self._doc_server,
                "docs.save": self._save_doc,
                "video.save": self._video_save,
            }
        )

    # HTTP: the upload servers and the files.

    def handle(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Response:
        """Answer `POST /upload/<kind>` (store the file) and `GET /files/<id>` (its bytes)."""
        if method == "GET" and path.startswith(FILES_PATH):
            stored = self._file(path[len(FILES_PATH) :])
            if stored is None:
                return 404, {"Content-Type": "text/plain"}, b"no such file"
            return 200, {"Content-Type": "application/octet-stream"}, stored.content
        kind = path[len(UPLOAD_PATH) :]
        if method != "POST" or kind not in PARTS:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if query.get("sig") != self._sign(kind, query):
            return json_response({"error": "ERR_UPLOAD_BAD_SIGNATURE: the upload URL was altered"})
        if self._refusals:
            return json_response({"error": self._refusals.pop(0)})
        part = _file_part(headers.get("content-type", ""), body, PARTS[kind])
        if part is None:
            return json_response({"error": f"ERR_UPLOAD_FILE_NOT_FOUND: no '{PARTS[kind]}' part"})
        filename, content = part
        if not content:
            return json_response({"error": "ERR_UPLOAD_EMPTY_FILE"})
        stored = StoredFile(next(self._ids), kind, dict(query), filename, content)
        self.files.append(stored)
        return json_response(self._upload_answer(stored))

    def stage(self, kind: str, content: bytes = b"file", *, filename: str = "file.bin", **query: str) -> dict[str, Any]:
        """Store a file as if it had been POSTed to upload server `kind` (a key of `PARTS`); its answer.

        For testing a save method on its own: `photos.save_messages_photo(**fake.uploads.stage("photo_messages"))`.
        `query` holds what the upload URL would carry (`type="audio_message"`, `group_id="1"`, `album_id="7"`).
        """
        if kind not in PARTS or kind == "video":
            raise ValueError(
                f"uploads.stage: kind must be one of {', '.join(k for k in PARTS if k != 'video')}, got {kind!r}"
            )
        stored = StoredFile(next(self._ids), kind, dict(query), filename, content)
        self.files.append(stored)
        return self._upload_answer(stored)

    def refuse_next(self, n: int = 1, error: str = "ERR_UPLOAD_BAD_IMAGE_SIZE: image is too small") -> None:
        """Answer the next `n` uploads with `{"error": error}`, as an upload server does with a file it cannot take."""
        self._refusals.extend([error] * n)

    def url_of(self, stored: StoredFile) -> str:
        """Where the fake serves a stored file's bytes."""
        return f"{self._base()}{FILES_PATH}{stored.id}"

    def attachment(self, value: str) -> dict[str, Any]:
        """A message's attachment object for an attachment string of a saved object; VK's error 100 otherwise."""
        match = _ATTACHMENT.match(value.strip())
        if match is None:
            raise param_error(f"attachment {value!r} invalid")
        kind, owner, item, key = match.groups()
        table = {"photo": self.photos, "doc": self.docs, "video": self.videos}[kind]
        saved = table.get(f"{owner}_{item}")
        if saved is None or (key is not None and key != saved.get("access_key")):
            raise param_error(f"attachment {value!r}: no such {kind}")
        if kind == "video" and saved["file"] is None:
            raise param_error(f"attachment {value!r}: the video's file was never uploaded")
        if kind == "doc" and "audio_message" in saved:
            return {"type": "audio_message", "audio_message": dict(saved["audio_message"])}
        if kind == "doc":
            return {"type": "doc", "doc": dict(saved["doc"])}
        return {"type": kind, kind: dict(saved)}

    def attachments(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """The attachment objects of a `messages.send` (its comma-separated `attachment`)."""
        return [self.attachment(value) for value in csv(params.get("attachment"))]

    # The API methods.

    def _photo_server(self, kind: str) -> Any:
        def handler(params: dict[str, str]) -> object:
            group = _positive(params, "group_id")
            album = params.get("album_id", "")
            if album and not is_int(album):
                raise param_error("album_id not integer")
            query = {"peer_id": params.get("peer_id", ""), "group_id": str(group or ""), "album_id": album}
            return {
                "upload_url": self._upload_url(kind, query),
                "album_id": int(album) if is_int(album) else -3,
                "user_id": self.fake.me,
                **({"group_id": group} if group else {}),
            }

        return handler

    def _doc_server(self, params: dict[str, str]) -> object:
        doc_type = params.get("type") or "doc"
        if doc_type not in ("doc", "audio_message", "graffiti"):
            raise param_error("type is invalid")
        return {"upload_url": self._upload_url("doc", {"type": doc_type, "peer_id": params.get("peer_id", "")})}

    def _save_photo(self, kind: str) -> Any:
        field = "photos_list" if kind == "photo_album" else "photo"

        def handler(params: dict[str, str]) -> object:
            stored = self._take(kind, params, field)
            owner = -int(stored.query["group_id"]) if stored.query.get("group_id") else self.fake.me
            photo_id = len(self.photos) + 1
            photo: dict[str, Any] = {
                "id": photo_id,
                "album_id": int(stored.query.get("album_id") or -3),
                "owner_id": owner,
                "date": int(self.fake.clock()),
                "text": params.get("caption", ""),
                "sizes": [{"type": "x", "width": 604, "height": 604, "url": self.url_of(stored)}],
                "access_key": hashlib.sha1(f"photo{stored.id}".encode()).hexdigest()[:18],
            }
            self.photos[f"{owner}_{photo_id}"] = photo
            return [dict(photo)]

        return handler

    def _save_doc(self, params: dict[str, str]) -> object:
        stored = self._take("doc", params, "file")
        owner, doc_id = self.fake.me, len(self.docs) + 1
        key = hashlib.sha1(f"doc{stored.id}".encode()).hexdigest()[:18]
        url = self.url_of(stored)
        if stored.query.get("type") == "audio_message":
            voice = {"id": doc_id, "owner_id": owner, "duration": 1, "waveform": [0, 8, 16], "access_key": key}
            answer: dict[str, Any] = {
                "type": "audio_message",
                "audio_message": {**voice, "link_ogg": url, "link_mp3": url},
            }
        else:
            title = params.get("title") or stored.filename
            ext = stored.filename.rsplit(".", 1)[-1] if "." in stored.filename else ""
            doc = {"id": doc_id, "owner_id": owner, "title": title, "size": len(stored.content), "ext": ext}
            answer = {
                "type": "doc",
                "doc": {**doc, "url": url, "date": int(self.fake.clock()), "type": 1, "access_key": key},
            }
        self.docs[f"{owner}_{doc_id}"] = {**answer, "access_key": key}
        return answer

    def _video_save(self, params: dict[str, str]) -> object:
        group = _positive(params, "group_id")
        owner = -group if group else self.fake.me
        video_id = len(self.videos) + 1
        key = hashlib.sha1(f"video{owner}_{video_id}".encode()).hexdigest()[:18]
        title = params.get("name") or "Video"
        self.videos[f"{owner}_{video_id}"] = {
            "id": video_id,
            "owner_id": owner,
            "title": title,
            "description": params.get("description", ""),
            "access_key": key,
            "file": None,
        }
        query = {"owner_id": str(owner), "video_id": str(video_id)}
        return {
            "upload_url": self._upload_url("video", query),
            "video_id": video_id,
            "owner_id": owner,
            "title": title,
            "description": params.get("description", ""),
            "access_key": key,
        }

    # Helpers.

    def _upload_answer(self, stored: StoredFile) -> dict[str, Any]:
        token = {"file": stored.id, "hash": self._hash(stored)}
        if stored.kind == "photo_album":
            return {
                "server": 1,
                "photos_list": json.dumps([token]),
                "aid": stored.query.get("album_id"),
                "hash": token["hash"],
            }
        if stored.kind in ("photo_messages", "photo_wall"):
            return {"server": 1, "photo": json.dumps([token]), "hash": token["hash"]}
        if stored.kind == "doc":
            return {"file": f"{stored.id}|{token['hash']}"}
        video = self.videos[f"{stored.query['owner_id']}_{stored.query['video_id']}"]
        video["file"] = stored.id  # a repeated upload to the same URL fills the same video
        return {"size": len(stored.content), "video_id": int(stored.query["video_id"]), "video_hash": token["hash"]}

    def _take(self, kind: str, params: Mapping[str, str], field: str) -> StoredFile:
        """The stored file a save method's upload fields name; error 100 when they name none or were used."""
        raw = params.get(field, "")
        try:
            if kind == "doc":
                file_id, digest = raw.split("|", 1)
                token = {"file": int(file_id), "hash": digest}
            else:
                (token,) = json.loads(raw)
        except ValueError:
            raise param_error(f"{field} is invalid") from None
        stored = self._file(str(token.get("file")))
        if stored is None or stored.kind != kind or token.get("hash") != self._hash(stored):
            raise param_error(f"{field} is invalid")
        if kind != "doc" and params.get("hash") != self._hash(stored):
            raise VKError(121, "Invalid hash")
        if stored.id in self._saved:
            raise param_error(f"{field}: this upload is saved already")
        self._saved.add(stored.id)
        return stored

    def _file(self, ref: str) -> StoredFile | None:
        return next((f for f in self.files if str(f.id) == ref), None)

    def _upload_url(self, kind: str, query: Mapping[str, str]) -> str:
        fields = {k: v for k, v in query.items() if v}
        return f"{self._base()}{UPLOAD_PATH}{kind}?{urlencode({**fields, 'sig': self._sign(kind, fields)})}"

    @staticmethod
    def _sign(kind: str, query: Mapping[str, str]) -> str:
        signed = sorted((k, v) for k, v in query.items() if k != "sig")
        return hashlib.sha1(f"{kind}{signed}".encode()).hexdigest()[:16]

    @staticmethod
    def _hash(stored: StoredFile) -> str:
        return hashlib.sha1(f"{stored.id}:{len(stored.content)}".encode()).hexdigest()

    def _base(self) -> str:
        # In-process any host reaches the fake, as with the long poll's servers.
        return self.fake.url if self.fake._server is not None else "http://upload.fake-vk.invalid"


def _positive(params: Mapping[str, str], name: str) -> int:
    raw = params.get(name, "")
    if not raw:
        return 0
    if not raw.isdigit():
        raise param_error(f"{name} must be a positive community id")
    return int(raw)


def _file_part(content_type: str, body: bytes, name: str) -> tuple[str, bytes] | None:
    """The file name and bytes of multipart part `name`, or None."""
    if not content_type.startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return str(part.get_filename() or "file"), payload if isinstance(payload, bytes) else b""
    return None


__all__ = ["FILES_PATH", "PARTS", "UPLOAD_PATH", "FakeUploads", "StoredFile"]
