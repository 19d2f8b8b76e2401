"""`keyboard(...)`: a bot keyboard from rows of buttons, checked against VK's limits.

    keyboard(
        [text_button("Yes", color="positive"), text_button("No", color="negative")],
        [location_button()],
        one_time=True,
    )  # -> MessagesKeyboard, for messages.send(keyboard=...)

Limits (VK docs, "keyboards for bots"): a keyboard under the input field has at most 10 rows and
40 buttons, an inline keyboard (in the message) at most 6 rows and 10 buttons; a row has 1 to 5
buttons; a location, VK Pay or open_app button is alone in its row; an inline keyboard is never
one-time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from apiforge.core.keyboards.buttons import WHOLE_ROW, KeyboardError, describe, kind_of

if TYPE_CHECKING:
    from apiforge.vk.models.messages import MessagesKeyboard, MessagesKeyboardButton


@attrs.frozen
class KeyboardLimits:
    """How many rows and buttons a kind of keyboard may have."""

    rows: int
    buttons: int
    per_row: int = 5


REGULAR = KeyboardLimits(rows=10, buttons=40)
"""The keyboard under the input field."""
INLINE = KeyboardLimits(rows=6, buttons=10)
"""The keyboard in a message (`inline=True`)."""


def keyboard(*rows: Sequence[MessagesKeyboardButton], one_time: bool = False, inline: bool = False) -> MessagesKeyboard:
    """A keyboard of `rows` (each a sequence of buttons), for `messages.send(keyboard=...)`.

    Args:
        rows: the rows, top to bottom; each a list of buttons made by the `*_button` functions.
        one_time: hide the keyboard once a button is pressed (not for inline keyboards).
        inline: show the keyboard in the message instead of under the input field.

    Raises KeyboardError naming the row and button that break a limit. No rows is the empty
    keyboard, which removes the one shown.
    """
    from apiforge.vk.models.messages import MessagesKeyboard

    check_rows(rows, inline=inline)
    if inline and one_time:
        raise KeyboardError("keyboard: an inline keyboard cannot be one_time")
    return MessagesKeyboard(one_time=one_time, buttons=[list(row) for row in rows], inline=inline)


def check_rows(rows: Sequence[Sequence[MessagesKeyboardButton]], *, inline: bool) -> None:
    """Raise KeyboardError when `rows` break the limits of the kind of keyboard."""
    limits, kind = (INLINE, "an inline keyboard") if inline else (REGULAR, "a keyboard")
    if len(rows) > limits.rows:
        raise KeyboardError(f"{kind} has at most {limits.rows} rows, got {len(rows)}")
    total = 0
    for number, row in enumerate(rows, 1):
        if isinstance(row, str) or not isinstance(row, Sequence):
            raise KeyboardError(f"keyboard row {number}: expected a list of buttons, got {row!r}")
        if not row:
            raise KeyboardError(f"keyboard row {number}: a row needs at least one button")
        if len(row) > limits.per_row:
            raise KeyboardError(f"keyboard row {number}: at most {limits.per_row} buttons in a row, got {len(row)}")
        for button in row:
            if kind_of(button) in WHOLE_ROW and len(row) > 1:
                raise KeyboardError(
                    f"keyboard row {number}: a {describe(button)} takes a whole row; it has {len(row)} buttons"
                )
            if kind_of(button) == "open_photo":
                raise KeyboardError(f"keyboard row {number}: an open_photo button belongs in a carousel only")
        total += len(row)
    if total > limits.buttons:
        raise KeyboardError(f"{kind} has at most {limits.buttons} buttons, got {total}")


__all__ = ["INLINE", "REGULAR", "KeyboardLimits", "check_rows", "keyboard"]
