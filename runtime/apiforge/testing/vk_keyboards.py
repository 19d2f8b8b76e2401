"""How FakeVK reads the `keyboard` and `template` of `messages.send`: VK's limits, checked on the JSON sent.

Written apart from `apiforge.core.keyboards` (the builders) on purpose: the fake checks what
arrives on the wire as VK would, so a builder that let a bad keyboard through fails a test.
A bad keyboard is VK's error 911, a bad template error 100.
"""

from __future__ import annotations

import json
from typing import Any, cast

from apiforge.testing._vk_base import VKError, param_error

_WHOLE_ROW = ("location", "vkpay", "open_app")
_KINDS = ("text", "callback", "open_link", "location", "vkpay", "open_app")


def bot_keyboard(text: str) -> dict[str, Any]:
    """The keyboard object of a `keyboard` form value; error 911 when VK would refuse it."""
    keyboard = _object(text)
    if keyboard is None or not isinstance(keyboard.get("buttons"), list):
        raise _invalid("expected an object with buttons")
    rows: list[Any] = keyboard["buttons"]
    inline = bool(keyboard.get("inline"))
    most_rows, most_buttons = (6, 10) if inline else (10, 40)
    if len(rows) > most_rows:
        raise _invalid(f"too many rows ({len(rows)} > {most_rows})")
    if inline and keyboard.get("one_time"):
        raise _invalid("an inline keyboard cannot be one_time")
    total = 0
    for value in rows:
        row = _list(value)
        if row is None or not 1 <= len(row) <= 5:
            raise _invalid("a row has 1 to 5 buttons")
        for button in row:
            kind = _kind(button)
            if kind in _WHOLE_ROW and len(row) > 1:
                raise _invalid(f"a {kind} button must be alone in its row")
        total += len(row)
    if total > most_buttons:
        raise _invalid(f"too many buttons ({total} > {most_buttons})")
    return keyboard


def bot_template(text: str) -> dict[str, Any]:
    """The template object of a `template` form value (a carousel); error 100 when VK would refuse it."""
    template = _object(text)
    elements = _list(template.get("elements")) if template is not None else None
    if template is None or template.get("type") != "carousel" or elements is None:
        raise param_error("template is invalid: expected a carousel")
    if not 1 <= len(elements) <= 10:
        raise param_error(f"template is invalid: {len(elements)} elements, 1 to 10 allowed")
    counts: set[int] = set()
    for item in elements:
        buttons = _list(cast("dict[str, object]", item).get("buttons")) if isinstance(item, dict) else None
        if buttons is None or not 1 <= len(buttons) <= 3:
            raise param_error("template is invalid: an element has 1 to 3 buttons")
        for button in buttons:
            if _kind(button, template=True) not in ("text", "callback", "open_link"):
                raise param_error("template is invalid: a carousel button is text, callback or open_link")
        counts.add(len(buttons))
    if len(counts) > 1:
        raise param_error("template is invalid: elements have different numbers of buttons")
    return template


def _kind(button: object, *, template: bool = False) -> str:
    action = cast("dict[str, object]", button).get("action") if isinstance(button, dict) else None
    kind = cast("dict[str, object]", action).get("type") if isinstance(action, dict) else None
    if kind not in _KINDS:
        if template:
            raise param_error(f"template is invalid: unknown button type {kind!r}")
        raise _invalid(f"unknown button type {kind!r}")
    return str(kind)


def _list(value: object) -> list[object] | None:
    return cast("list[object]", value) if isinstance(value, list) else None


def _object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def _invalid(reason: str) -> VKError:
    return VKError(911, f"Keyboard format is invalid: {reason}")


__all__ = ["bot_keyboard", "bot_template"]
