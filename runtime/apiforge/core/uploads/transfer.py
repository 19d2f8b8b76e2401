"""Sending one file to an upload server, written once as a generator of effects for both drivers.

An upload server is not an API method: it takes a multipart POST at a signed URL and answers a
small JSON object that a `save` method then turns into a saved object. Its failures are retried
like a call's, with one difference: the POST is always safe to repeat. A file the server stored
but whose answer was lost is never seen by anyone (it is attached to nothing until `save` names
it), so repeating the POST cannot make anything appear twice; the `save` that follows is the step
that must not run twice, and it is a call with its own, non-idempotent, retry rules.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Generator, Mapping
from typing import Any, cast

import attrs
import httpx

from apiforge.core.effects import Effect, Send, Sleep
from apiforge.core.errors import APIForgeError, DecodeError, HTTPStatusError, TransportError
from apiforge.core.files import FileInput
from apiforge.core.pipeline import Policy
from apiforge.core.protocols.base import file_part
from apiforge.core.redact import redact_text

logger = logging.getLogger("apiforge")


@attrs.frozen(repr=False)
class UploadFile:
    """A file read for an upload: its name, its bytes and their media type."""

    name: str
    content: bytes
    content_type: str

    def __repr__(self) -> str:
        # The content may be large or private: its size says enough.
        return f"UploadFile({self.name!r}, {len(self.content)} bytes, {self.content_type!r})"


class UploadError(APIForgeError):
    """The upload server refused the file, or answered something that is not an upload's result.

    `step` names the upload (e.g. `photos.getMessagesUploadServer upload`); `reason` is the server's
    error text. The upload URL is not part of the message: its query carries signatures.
    """

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(redact_text(f"{step}: {reason}"))
        self.step = step
        self.reason = reason


def read_file(file: FileInput, *, default_name: str, argument: str = "file") -> UploadFile:
    """`file` (bytes, a path, or a binary file object) read into memory, named and typed.

    Bytes are named `default_name`; a path or a named file object keep their own name. The media
    type follows the name's extension. Raises TypeError naming `argument` for anything else.
    """
    try:
        name, content = file_part(default_name, file)
    except TypeError:
        raise TypeError(
            f"{argument}: expected bytes, a path or a binary file object, got {type(file).__name__}"
        ) from None
    if not content:
        raise ValueError(f"{argument}: the file is empty ({name!r})")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return UploadFile(name=name, content=content, content_type=content_type)


def post_file(
    policy: Policy, *, step: str, url: str, field: str, file: UploadFile
) -> Generator[Effect, Any, Mapping[str, Any]]:
    """POST `file` as the multipart part `field` to `url`; the server's JSON answer (an object).

    Transport failures and 5xx answers are retried under the client's retry policy (see the module
    docstring for why a repeated POST is safe); an answer with an `error` raises UploadError.
    """
    started = policy.clock()
    retries = 0
    while True:
        # A new request per attempt: its multipart stream is read once.
        request = httpx.Request("POST", url, files={field: (file.name, file.content, file.content_type)})
        try:
            response: httpx.Response = yield Send(request)
            return _answer(step, response)
        except (TransportError, HTTPStatusError) as error:
            retries += 1
            elapsed = policy.clock() - started
            wait = policy.retry.delay(error, retry_number=retries, idempotent=True, verdict=None, elapsed=elapsed)
            if wait is None:
                raise
            logger.info("%s: %s on attempt %d; retrying in %.2fs", step, type(error).__name__, retries, wait)
            yield Sleep(wait)


def _answer(step: str, response: httpx.Response) -> Mapping[str, Any]:
    if response.status_code >= 400:
        raise HTTPStatusError(
            step, response.status_code, response.text, retry_after=response.headers.get("retry-after")
        )
    try:
        body: object = json.loads(response.content)
    except ValueError:
        raise DecodeError(step, "$", response.text[:200], "the upload server's answer is not JSON") from None
    if not isinstance(body, dict):
        raise DecodeError(step, "$", body, "expected a JSON object")
    answer = cast("dict[str, Any]", body)
    if "error" in answer:
        detail = answer.get("error_descr") or answer.get("error_msg") or answer["error"]
        raise UploadError(step, f"the upload server refused the file: {detail}")
    return answer


__all__ = ["UploadError", "UploadFile", "post_file", "read_file"]
