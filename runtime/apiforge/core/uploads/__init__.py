"""Uploads in one call: server, file, save — `vk.uploads.photo_for_messages(peer_id=..., file=...)`.

- `transfer`: the POST of one file to an upload server (sans-IO, with the client's retry policy);
- `vk`: VK's recipes (which server method, which multipart part, which save method), as generators
  of effects;
- `clients`: `VKUploads` / `AsyncVKUploads`, the thin entry points behind `vk.uploads`.
"""

from __future__ import annotations

from apiforge.core.files import FileInput
from apiforge.core.uploads.clients import AsyncVKUploads, VKUploads
from apiforge.core.uploads.transfer import UploadError, UploadFile
from apiforge.core.uploads.vk import Uploaded

__all__ = ["AsyncVKUploads", "FileInput", "UploadError", "UploadFile", "Uploaded", "VKUploads"]
