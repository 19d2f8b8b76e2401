"""Typed keyboards and carousels for VK bots, checked against VK's limits as they are built.

    from apiforge.core.keyboards import carousel, element, keyboard, location_button, text_button

    vk.messages.send(peer_id=..., message="Yes?", keyboard=keyboard([text_button("Yes")], one_time=True))
    vk.messages.send(peer_id=..., message="Menu", template=carousel(element(...), element(...)))

- `buttons`: one function per kind of button (text, callback, open_link, location, VK Pay, open_app);
- `keyboard`: rows of buttons -> `MessagesKeyboard` (rows and buttons counted, whole-row buttons alone);
- `carousel`: elements -> `MessagesTemplate` (10 elements, 3 buttons each, all alike).

The results are the SDK's own models, which `messages.send` and `messages.edit` encode as JSON.
"""

from __future__ import annotations

from apiforge.core.keyboards.buttons import (
    Color,
    KeyboardError,
    Payload,
    callback_button,
    link_button,
    location_button,
    open_app_button,
    text_button,
    vkpay_button,
)
from apiforge.core.keyboards.carousel import carousel, element
from apiforge.core.keyboards.keyboard import keyboard

__all__ = [
    "Color",
    "KeyboardError",
    "Payload",
    "callback_button",
    "carousel",
    "element",
    "keyboard",
    "link_button",
    "location_button",
    "open_app_button",
    "text_button",
    "vkpay_button",
]
