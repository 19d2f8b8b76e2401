"""`vk.uploads`: VK's uploads in one call, for the sync and the async client.

Both classes are thin: each method hands a recipe of `apiforge.core.uploads.vk` to the client's
driver, so an upload follows the client's tokens, rate limits and retry policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apiforge.core.files import FileInput
from apiforge.core.uploads import vk as recipes
from apiforge.core.uploads.vk import Uploaded

if TYPE_CHECKING:
    from apiforge.core.client import AsyncClient, SyncClient
    from apiforge.vk.models.docs import DocsSaveResponse
    from apiforge.vk.models.photos import PhotosPhoto
    from apiforge.vk.models.video import VideoSaveResult


class VKUploads:
    """Uploads of the sync VK client: `vk.uploads.photo_for_messages(peer_id=..., file=...)`.

    `file` is bytes, a path, or a binary file object. Each method returns an `Uploaded`: the saved
    object (`.saved`) and the attachment string (`.attachment`) for `messages.send` or `wall.post`.
    """

    def __init__(self, client: SyncClient) -> None:
        self._client = client

    def photo_for_messages(self, *, file: FileInput, peer_id: int | None = None) -> Uploaded[PhotosPhoto]:
        """Upload a photo to send in a message (`photos.getMessagesUploadServer`, `photos.saveMessagesPhoto`).

        Args:
            file: the image: bytes, a path or a binary file object.
            peer_id: the conversation it is for (required with a community token).
        """
        c = self._client
        return c._driver.run(recipes.photo_for_messages(c._protocol, c._policy, file=file, peer_id=peer_id))

    def photo_for_wall(
        self, *, file: FileInput, group_id: int | None = None, caption: str | None = None
    ) -> Uploaded[PhotosPhoto]:
        """Upload a photo for a wall post (`photos.getWallUploadServer`, `photos.saveWallPhoto`).

        Args:
            file: the image: bytes, a path or a binary file object.
            group_id: the community (a positive id) whose wall it is for; default: the user's.
            caption: the photo's description.
        """
        c = self._client
        steps = recipes.photo_for_wall(c._protocol, c._policy, file=file, group_id=group_id, caption=caption)
        return c._driver.run(steps)

    def photo_for_album(
        self, *, file: FileInput, album_id: int, group_id: int | None = None, caption: str | None = None
    ) -> Uploaded[PhotosPhoto]:
        """Upload a photo into an album (`photos.getUploadServer`, `photos.save`).

        Args:
            file: the image: bytes, a path or a binary file object.
            album_id: the album.
            group_id: the community (a positive id) that owns the album; default: the user.
            caption: the photo's description.
        """
        c = self._client
        steps = recipes.photo_for_album(
            c._protocol, c._policy, file=file, album_id=album_id, group_id=group_id, caption=caption
        )
        return c._driver.run(steps)

    def document_for_messages(
        self, *, file: FileInput, peer_id: int | None = None, title: str | None = None, tags: str | None = None
    ) -> Uploaded[DocsSaveResponse]:
        """Upload a document to send in a message (`docs.getMessagesUploadServer` type=doc, `docs.save`).

        Args:
            file: the document: bytes, a path or a binary file object.
            peer_id: the conversation it is for (required with a community token).
            title: the document's title; default: the file's name.
            tags: comma-separated tags.
        """
        c = self._client
        steps = recipes.document_for_messages(
            c._protocol, c._policy, file=file, peer_id=peer_id, title=title, tags=tags
        )
        return c._driver.run(steps)

    def voice_message(self, *, file: FileInput, peer_id: int | None = None) -> Uploaded[DocsSaveResponse]:
        """Upload a voice message (`docs.getMessagesUploadServer` type=audio_message, `docs.save`).

        Args:
            file: the recording (OGG/Opus or MP3): bytes, a path or a binary file object.
            peer_id: the conversation it is for (required with a community token).
        """
        c = self._client
        return c._driver.run(recipes.voice_message(c._protocol, c._policy, file=file, peer_id=peer_id))

    def video(
        self,
        *,
        file: FileInput,
        name: str | None = None,
        description: str | None = None,
        group_id: int | None = None,
        album_id: int | None = None,
        is_private: bool | None = None,
        wallpost: bool | None = None,
    ) -> Uploaded[VideoSaveResult]:
        """Upload a video (`video.save`, then the file to the URL it names).

        Args:
            file: the video: bytes, a path or a binary file object.
            name, description: its title and description.
            group_id: the community (a positive id) it is for; default: the user.
            album_id: the album to add it to.
            is_private: True for a video sent in messages only.
            wallpost: True to post it on the wall as well.
        """
        c = self._client
        steps = recipes.video(
            c._protocol,
            c._policy,
            file=file,
            name=name,
            description=description,
            group_id=group_id,
            album_id=album_id,
            is_private=is_private,
            wallpost=wallpost,
        )
        return c._driver.run(steps)


class AsyncVKUploads:
    """Uploads of the async VK client: `await vk.uploads.photo_for_messages(peer_id=..., file=...)`.

    The same methods as `VKUploads`, awaited.
    """

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def photo_for_messages(self, *, file: FileInput, peer_id: int | None = None) -> Uploaded[PhotosPhoto]:
        """Upload a photo to send in a message; see `VKUploads.photo_for_messages`."""
        c = self._client
        return await c._driver.run(recipes.photo_for_messages(c._protocol, c._policy, file=file, peer_id=peer_id))

    async def photo_for_wall(
        self, *, file: FileInput, group_id: int | None = None, caption: str | None = None
    ) -> Uploaded[PhotosPhoto]:
        """Upload a photo for a wall post; see `VKUploads.photo_for_wall`."""
        c = self._client
        steps = recipes.photo_for_wall(c._protocol, c._policy, file=file, group_id=group_id, caption=caption)
        return await c._driver.run(steps)

    async def photo_for_album(
        self, *, file: FileInput, album_id: int, group_id: int | None = None, caption: str | None = None
    ) -> Uploaded[PhotosPhoto]:
        """Upload a photo into an album; see `VKUploads.photo_for_album`."""
        c = self._client
        steps = recipes.photo_for_album(
            c._protocol, c._policy, file=file, album_id=album_id, group_id=group_id, caption=caption
        )
        return await c._driver.run(steps)

    async def document_for_messages(
        self, *, file: FileInput, peer_id: int | None = None, title: str | None = None, tags: str | None = None
    ) -> Uploaded[DocsSaveResponse]:
        """Upload a document to send in a message; see `VKUploads.document_for_messages`."""
        c = self._client
        steps = recipes.document_for_messages(
            c._protocol, c._policy, file=file, peer_id=peer_id, title=title, tags=tags
        )
        return await c._driver.run(steps)

    async def voice_message(self, *, file: FileInput, peer_id: int | None = None) -> Uploaded[DocsSaveResponse]:
        """Upload a voice message; see `VKUploads.voice_message`."""
        c = self._client
        return await c._driver.run(recipes.voice_message(c._protocol, c._policy, file=file, peer_id=peer_id))

    async def video(
        self,
        *,
        file: FileInput,
        name: str | None = None,
        description: str | None = None,
        group_id: int | None = None,
        album_id: int | None = None,
        is_private: bool | None = None,
        wallpost: bool | None = None,
    ) -> Uploaded[VideoSaveResult]:
        """Upload a video; see `VKUploads.video`."""
        c = self._client
        steps = recipes.video(
            c._protocol,
            c._policy,
            file=file,
            name=name,
            description=description,
            group_id=group_id,
            album_id=album_id,
            is_private=is_private,
            wallpost=wallpost,
        )
        return await c._driver.run(steps)


__all__ = ["AsyncVKUploads", "VKUploads"]
