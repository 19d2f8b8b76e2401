"""Open enums: APIs add values without notice, and an unknown value must not break decoding."""

from __future__ import annotations

import enum
from typing import Any, Self, cast


class OpenIntEnum(enum.IntEnum):
    """An IntEnum that accepts values it does not list, as pseudo-members named `UNKNOWN_<value>`."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return cast(Self, _pseudo_member(cls, int.__new__(cls, value), value))
        return None


class OpenStrEnum(enum.StrEnum):
    """A StrEnum that accepts values it does not list, as pseudo-members named `UNKNOWN_<value>`."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            return cast(Self, _pseudo_member(cls, str.__new__(cls, value), value))
        return None


def _pseudo_member(cls: Any, member: Any, value: object) -> Any:
    member._name_ = f"UNKNOWN_{value}"
    member._value_ = value
    # Cache it so that decoding the same unknown value twice gives the same object.
    return cls._value2member_map_.setdefault(value, member)


__all__ = ["OpenIntEnum", "OpenStrEnum"]
