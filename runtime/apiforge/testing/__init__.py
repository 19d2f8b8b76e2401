"""Fakes of the APIs for offline tests: real HTTP on 127.0.0.1 or in-process httpx transports.

    from apiforge.testing import FakeVK, FakeWialon, FakeYclients

Each fake is loaded on first access, so importing this package loads none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiforge.testing.vk import FakeVK
    from apiforge.testing.wialon import FakeWialon
    from apiforge.testing.yclients import FakeYclients

_WHERE = {
    "FakeVK": "apiforge.testing.vk",
    "FakeWialon": "apiforge.testing.wialon",
    "FakeYclients": "apiforge.testing.yclients",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


__all__ = ["FakeVK", "FakeWialon", "FakeYclients"]
