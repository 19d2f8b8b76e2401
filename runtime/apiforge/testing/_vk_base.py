"""What every part of FakeVK shares: its error, and reading form parameters as VK reads them.

A module of its own so that the parts (`vk_conversations`, `vk_wall`, `vk_longpoll`) and `vk`
itself can all import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping


class VKError(Exception):
    """Raised by a method handler: becomes a VK `{"error": ...}` answer."""

    def __init__(self, code: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra  # fields VK sends beside error_code (captcha_sid, captcha_img)


def param_error(what: str) -> VKError:
    """VK's error 100 about one parameter: `param_error("peer_id is undefined")`."""
    return VKError(100, f"One of the parameters specified was missing or invalid: {what}")


def csv(value: str | None) -> list[str]:
    """The items of a comma-separated form value (empty items dropped)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def is_int(value: str) -> bool:
    """Is a form value a whole number (negative ones included)?"""
    return value.strip().lstrip("-").isdigit()


def whole(params: Mapping[str, str], name: str, default: int, *, most: int | None = None) -> int:
    """A non-negative whole-number parameter (`offset`, `count`), `default` when absent, capped at `most`."""
    raw = params.get(name, "")
    if not raw.strip():
        return default
    if not raw.strip().isdigit():
        raise param_error(f"{name} not integer")
    value = int(raw)
    return min(value, most) if most is not None else value


def flag(params: Mapping[str, str], name: str) -> bool:
    """A 0/1 parameter (`extended`, `from_group`) as a bool."""
    return params.get(name, "").strip().lower() in ("1", "true")


def owner_id(params: Mapping[str, str], default: int, name: str = "owner_id") -> int:
    """An id parameter that may be negative (a community), `default` when absent."""
    raw = params.get(name, "")
    if not raw.strip():
        return default
    if not is_int(raw):
        raise param_error(f"{name} not integer")
    return int(raw)


__all__ = ["VKError", "csv", "flag", "is_int", "owner_id", "param_error", "whole"]
