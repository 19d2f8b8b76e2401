"""Fakes of the APIs for offline tests: real HTTP on 127.0.0.1 or in-process httpx transports.

    from apiforge.testing import FakeVK, FakeWialon, FakeYclients

Each fake is loaded on first access, so importing this package loads none of them. Also here:
`RecordedCall` (one entry of `fake.calls`), `Faults` and `FaultKind` (`fake.faults`, see
`apiforge.testing.faults`), `RateLimit` (the limits a fake enforces with `enforce_limits=True`). The pytest fixtures (`fake_vk`, `vk`, ...) are in `apiforge.testing.pytest_plugin`,
loaded by pytest through its entry point.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiforge.testing._server import RecordedCall
    from apiforge.testing.faults import FaultKind, Faults
    from apiforge.testing.ratelimits import RateLimit
    from apiforge.testing.vk import FakeVK
    from apiforge.testing.wialon import FakeWialon
    from apiforge.testing.yclients import FakeYclients

_WHERE = {
    "FaultKind": "apiforge.testing.faults",
    "Faults": "apiforge.testing.faults",
    "FakeVK": "apiforge.testing.vk",
    "FakeWialon": "apiforge.testing.wialon",
    "FakeYclients": "apiforge.testing.yclients",
    "RateLimit": "apiforge.testing.ratelimits",
    "RecordedCall": "apiforge.testing._server",
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


__all__ = ["FakeVK", "FakeWialon", "FakeYclients", "FaultKind", "Faults", "RateLimit", "RecordedCall"]
