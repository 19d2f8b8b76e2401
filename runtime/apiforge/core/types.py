"""Type aliases shared by the runtime and the generated packages."""

from __future__ import annotations

from typing import TypeAlias, Union

JSON: TypeAlias = Union[dict[str, "JSON"], list["JSON"], str, int, float, bool, None]  # noqa: UP007
"""Any JSON value: what a field or a result is when the spec leaves its shape open."""

__all__ = ["JSON"]
