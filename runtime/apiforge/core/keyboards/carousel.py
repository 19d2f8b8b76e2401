"""`carousel(...)`: a carousel template of elements, each a card with buttons, checked against VK's limits.

    carousel(
        element(title="Tea", description="Green, 100 g", photo_id="-1_456239017",
                buttons=[text_button("Buy", payload={"sku": 1})]),
        element(title="Coffee", description="Arabica, 250 g", photo_id="-1_456239018",
                buttons=[text_button("Buy", payload={"sku": 2})]),
    )  # -> MessagesTemplate, for messages.send(template=...)

Limits (VK docs, "carousel"): 1 to 10 elements; an element has 1 to 3 buttons (text, callback or
open_link), the same number in every element; a title and a description have at most 80
characters; an element shows a photo, or a title and a description (or all three), and every
element of a carousel has the same of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from apiforge.core.keyboards.buttons import KeyboardError, describe, kind_of

if TYPE_CHECKING:
    from apiforge.vk.models.messages import MessagesKeyboardButton, MessagesTemplate, MessagesTemplateElement

MAX_ELEMENTS = 10
"""Elements of a carousel."""
MAX_BUTTONS = 3
"""Buttons of an element."""
MAX_TEXT = 80
"""Characters of an element's title and of its description."""
ELEMENT_BUTTONS = frozenset({"text", "callback", "open_link"})
"""Kinds of button an element may have."""


def element(
    *,
    buttons: Sequence[MessagesKeyboardButton],
    title: str | None = None,
    description: str | None = None,
    photo_id: str | None = None,
    link: str | None = None,
    open_photo: bool = False,
) -> MessagesTemplateElement:
    """One card of a carousel.

    Args:
        buttons: 1 to 3 buttons (text, callback or open_link).
        title, description: at most 80 characters each; both, or a photo, or all three.
        photo_id: a photo as `<owner_id>_<id>` (e.g. `-1_456239017`, what `vk.uploads` saved).
        link: tapping the card opens this URL (an `open_link` action).
        open_photo: tapping the card opens its photo (an `open_photo` action; needs `photo_id`).
    """
    from apiforge.vk.models.messages import (
        MessagesTemplateElement,
        MessagesTemplateElementAction,
        MessagesTemplateElementActionType,
    )

    where = f"carousel element {title!r}" if title else "carousel element"
    for name, text in (("title", title), ("description", description)):
        if text is not None and len(text) > MAX_TEXT:
            raise KeyboardError(f"{where}: {name} has {len(text)} characters, at most {MAX_TEXT}")
    if photo_id is None and not (title and description):
        raise KeyboardError(f"{where}: give a photo_id, or a title and a description")
    if photo_id is not None and not _is_photo_id(photo_id):
        raise KeyboardError(f"{where}: photo_id must be <owner_id>_<id>, got {photo_id!r}")
    if isinstance(buttons, str) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise KeyboardError(f"{where}: 1 to {MAX_BUTTONS} buttons, got {len(buttons)}")
    for button in buttons:
        if kind_of(button) not in ELEMENT_BUTTONS:
            raise KeyboardError(f"{where}: a {describe(button)} cannot be on a carousel element")
    if link is not None and open_photo:
        raise KeyboardError(f"{where}: an element opens a link or its photo, not both")
    if open_photo and photo_id is None:
        raise KeyboardError(f"{where}: open_photo needs a photo_id")
    action = None
    if link is not None:
        action = MessagesTemplateElementAction(type=MessagesTemplateElementActionType.OPEN_LINK, link=link)
    elif open_photo:
        action = MessagesTemplateElementAction(type=MessagesTemplateElementActionType.OPEN_PHOTO)
    return MessagesTemplateElement(
        buttons=list(buttons), title=title, description=description, photo_id=photo_id, action=action
    )


def carousel(*elements: MessagesTemplateElement) -> MessagesTemplate:
    """A carousel of 1 to 10 `element`s, for `messages.send(template=...)`.

    Raises KeyboardError when the elements differ in their number of buttons, or in whether
    they have a photo and a title and description.
    """
    from apiforge.vk.models.messages import MessagesTemplate, MessagesTemplateType

    if not 1 <= len(elements) <= MAX_ELEMENTS:
        raise KeyboardError(f"a carousel has 1 to {MAX_ELEMENTS} elements, got {len(elements)}")
    first = elements[0]
    for number, item in enumerate(elements[1:], 2):
        if len(item.buttons) != len(first.buttons):
            raise KeyboardError(
                f"carousel element {number}: {len(item.buttons)} buttons; every element needs the same "
                f"number as the first ({len(first.buttons)})"
            )
        if _shape(item) != _shape(first):
            raise KeyboardError(
                f"carousel element {number}: has {_shape(item)}; every element needs what the first has "
                f"({_shape(first)})"
            )
    return MessagesTemplate(type=MessagesTemplateType.CAROUSEL, elements=list(elements))


def _shape(item: MessagesTemplateElement) -> str:
    parts = [name for name in ("photo_id", "title", "description") if getattr(item, name) is not None]
    return ", ".join(parts) or "nothing"


def _is_photo_id(value: str) -> bool:
    owner, _, item = value.partition("_")
    return owner.lstrip("-").isdigit() and item.isdigit()


__all__ = ["ELEMENT_BUTTONS", "MAX_BUTTONS", "MAX_ELEMENTS", "MAX_TEXT", "carousel", "element"]
