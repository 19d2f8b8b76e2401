"""The buttons of bot keyboards and carousels: one function per kind of button, each checked as it is made.

Each returns the generated `MessagesKeyboardButton` model, so a button (and a keyboard or carousel
built from buttons) is what `messages.send` takes and what VK answers with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from apiforge.core.errors import ConfigurationError

if TYPE_CHECKING:
    from apiforge.vk.models.messages import MessagesKeyboardButton

Color = Literal["primary", "default", "positive", "negative"]
"""A button's colour: blue, white, green, red (text and callback buttons only)."""
Payload = Mapping[str, object] | str | None
"""What a button sends back: a JSON object (encoded here), its JSON text, or nothing."""

MAX_LABEL = 40
"""Characters in a button's label."""
MAX_PAYLOAD = 255
"""Characters in a button's payload, as JSON text."""
WHOLE_ROW = frozenset({"location", "vkpay", "open_app"})
"""Kinds of button that take a whole row of a keyboard (and have no place in a carousel)."""


class KeyboardError(ConfigurationError, ValueError):
    """A keyboard, carousel or button VK would refuse: says which one, where, and the limit it breaks."""


def text_button(label: str, *, color: Color = "default", payload: Payload = None) -> MessagesKeyboardButton:
    """A button that sends its label as a message from the user (with `payload` beside it)."""
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionText,
        MessagesKeyboardButtonActionTextType,
        MessagesKeyboardButtonColor,
    )

    action = MessagesKeyboardButtonActionText(
        label=_label("text", label), type=MessagesKeyboardButtonActionTextType.TEXT, payload=_payload("text", payload)
    )
    return MessagesKeyboardButton(action=action, color=MessagesKeyboardButtonColor(_color("text", color)))


def callback_button(label: str, *, color: Color = "default", payload: Payload = None) -> MessagesKeyboardButton:
    """A button that sends no message: the bot gets a `message_event` with `payload` and answers it."""
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionCallback,
        MessagesKeyboardButtonActionCallbackType,
        MessagesKeyboardButtonColor,
    )

    action = MessagesKeyboardButtonActionCallback(
        label=_label("callback", label),
        type=MessagesKeyboardButtonActionCallbackType.CALLBACK,
        payload=_payload("callback", payload),
    )
    return MessagesKeyboardButton(action=action, color=MessagesKeyboardButtonColor(_color("callback", color)))


def link_button(label: str, link: str, *, payload: Payload = None) -> MessagesKeyboardButton:
    """A button that opens `link` (an http(s) URL)."""
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionOpenLink,
        MessagesKeyboardButtonActionOpenLinkType,
    )

    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise KeyboardError(f"open_link button {label!r}: link must be an http(s) URL, got {link!r}")
    action = MessagesKeyboardButtonActionOpenLink(
        label=_label("open_link", label),
        link=link,
        type=MessagesKeyboardButtonActionOpenLinkType.OPEN_LINK,
        payload=_payload("open_link", payload),
    )
    return MessagesKeyboardButton(action=action)


def location_button(*, payload: Payload = None) -> MessagesKeyboardButton:
    """A button that sends the user's location; it takes a whole row."""
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionLocation,
        MessagesKeyboardButtonActionLocationType,
    )

    action = MessagesKeyboardButtonActionLocation(
        type=MessagesKeyboardButtonActionLocationType.LOCATION, payload=_payload("location", payload)
    )
    return MessagesKeyboardButton(action=action)


def vkpay_button(hash: str, *, payload: Payload = None) -> MessagesKeyboardButton:
    """A VK Pay button; `hash` holds the payment's parameters (`action=pay-to-group&amount=10&group_id=1`).

    It takes a whole row.
    """
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionVkpay,
        MessagesKeyboardButtonActionVkpayType,
    )

    if not isinstance(hash, str) or not hash:
        raise KeyboardError(f"vkpay button: hash must be a non-empty string, got {hash!r}")
    action = MessagesKeyboardButtonActionVkpay(
        hash=hash, type=MessagesKeyboardButtonActionVkpayType.VKPAY, payload=_payload("vkpay", payload)
    )
    return MessagesKeyboardButton(action=action)


def open_app_button(
    label: str, *, app_id: int, owner_id: int, hash: str | None = None, payload: Payload = None
) -> MessagesKeyboardButton:
    """A button that opens VK Mini App `app_id` (of community `owner_id`, negative); it takes a whole row."""
    from apiforge.vk.models.messages import (
        MessagesKeyboardButton,
        MessagesKeyboardButtonActionOpenApp,
        MessagesKeyboardButtonActionOpenAppType,
    )

    action = MessagesKeyboardButtonActionOpenApp(
        app_id=app_id,
        label=_label("open_app", label),
        owner_id=owner_id,
        type=MessagesKeyboardButtonActionOpenAppType.OPEN_APP,
        hash=hash,
        payload=_payload("open_app", payload),
    )
    return MessagesKeyboardButton(action=action)


def kind_of(button: MessagesKeyboardButton) -> str:
    """A button's kind: "text", "callback", "open_link", "location", "vkpay", "open_app", "open_photo"."""
    return str(button.action.type.value)


def describe(button: MessagesKeyboardButton) -> str:
    """A button as an error message names it: its kind and label."""
    label = getattr(button.action, "label", None)
    return f"{kind_of(button)} button" + (f" {label!r}" if label else "")


def _label(kind: str, label: object) -> str:
    if not isinstance(label, str) or not label:
        raise KeyboardError(f"{kind} button: label must be a non-empty string, got {label!r}")
    if len(label) > MAX_LABEL:
        raise KeyboardError(f"{kind} button {label[:20]!r}...: label has {len(label)} characters, at most {MAX_LABEL}")
    return label


def _payload(kind: str, payload: Payload) -> str | None:
    if payload is None:
        return None
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_PAYLOAD:
        raise KeyboardError(f"{kind} button: payload has {len(text)} characters of JSON, at most {MAX_PAYLOAD}")
    return text


def _color(kind: str, color: object) -> str:
    if color not in ("primary", "default", "positive", "negative"):
        raise KeyboardError(f"{kind} button: color must be primary, default, positive or negative, got {color!r}")
    return str(color)


__all__ = [
    "MAX_LABEL",
    "MAX_PAYLOAD",
    "WHOLE_ROW",
    "Color",
    "KeyboardError",
    "Payload",
    "callback_button",
    "describe",
    "kind_of",
    "link_button",
    "location_button",
    "open_app_button",
    "text_button",
    "vkpay_button",
]
