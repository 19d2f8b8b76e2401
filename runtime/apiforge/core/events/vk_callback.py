"""VK Callback API: VK POSTs each community event to your server; parse it, with any web framework.

    result = parse_callback(request_body, secret="my-secret", confirmation="a1b2c3d4")
    if isinstance(result, str):
        return Response(result)          # `type: confirmation`: answer with the confirmation code
    router.handle(result)                # a typed update, as from the long poll
    return Response(OK)                  # VK expects "ok"; anything else makes it resend

The body is checked for the community's `secret` (set in the community's Callback API
settings); a body that is not a VK event raises a `CallbackError` naming what is wrong.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping

from apiforge.core.events.vk_updates import BotUpdate, UpdateFormatError, decode_envelope, read_envelope
from apiforge.core.protocols.base import json_object

OK = "ok"
"""What to answer VK for every event other than `confirmation`."""
SOURCE = "VK callback"


class CallbackError(UpdateFormatError):
    """The body is not a VK Callback API event: says what is wrong with it."""


class CallbackSecretError(CallbackError):
    """The body's `secret` is missing or not the community's: the request does not come from VK."""


def parse_callback(
    body: bytes | bytearray | str | Mapping[str, object], *, secret: str | None, confirmation: str
) -> BotUpdate[object] | str:
    """The typed update of a Callback API request body, or the confirmation code to answer.

    Args:
        body: the request body as received (bytes or text), or already parsed JSON.
        secret: the community's secret key; None when none is configured (then no check).
        confirmation: the code VK shows in the Callback API settings, answered to `type: confirmation`.

    Returns:
        `confirmation` for a confirmation request; otherwise the update (`apiforge.vk.updates`),
        `UnknownUpdate` for a type this SDK does not know or an object its model does not fit.

    Raises:
        CallbackSecretError: `secret` is set and the body's secret is missing or different.
        CallbackError: the body is not JSON, not an object, or lacks `type`, `group_id` or `object`.
    """
    raw = _load(body)
    update = json_object(raw)
    if update is None:
        raise CallbackError(f"{SOURCE}: the body must be a JSON object, got {type(raw).__name__}")
    is_confirmation = update.get("type") == "confirmation"
    try:
        envelope = read_envelope(update, source=SOURCE, need_object=not is_confirmation)
    except UpdateFormatError as error:
        raise CallbackError(str(error)) from None
    if secret is not None:
        given = envelope.secret
        # VK sends the secret with every event; a confirmation request may come before one is set.
        if given is None and not is_confirmation:
            raise CallbackSecretError(f"{SOURCE}: {envelope.type}: the body has no 'secret', and one is configured")
        if given is not None and not hmac.compare_digest(given.encode(), secret.encode()):
            raise CallbackSecretError(f"{SOURCE}: {envelope.type}: the 'secret' does not match the configured one")
    if is_confirmation:
        return confirmation
    return decode_envelope(envelope)


def _load(body: bytes | bytearray | str | Mapping[str, object]) -> object:
    if isinstance(body, Mapping):
        return body
    if not isinstance(body, bytes | bytearray | str):
        raise CallbackError(f"{SOURCE}: expected the body as bytes, text or a dict, got {type(body).__name__}")
    if not body.strip():
        raise CallbackError(f"{SOURCE}: the body is empty")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise CallbackError(f"{SOURCE}: the body is not JSON ({error})") from None
    except RecursionError:  # anyone can post to a callback URL
        raise CallbackError(f"{SOURCE}: the body is nested too deeply to read") from None


__all__ = ["OK", "CallbackError", "CallbackSecretError", "parse_callback"]
