"""apiforge's pytest plugin as pytest loads it (entry point `pytest11`): the fixtures of the fakes.

The fixtures are defined in `apiforge.testing.pytest_plugin` (`fake_vk` + `vk` / `async_vk`, and
the same for YCLIENTS and Wialon); this module names them for pytest.

Why a top-level module: pytest marks each installed plugin's distribution for assertion rewriting
by the top-level modules and packages it ships. `apiforge` is a namespace package (no
`__init__.py`), so with nothing else at the top pytest guessed from the paths one level down
and marked `__main__` (from `apiforge/__main__.py`), warning "Module already imported so cannot be
rewritten: __main__" in every run of every project that had apiforge installed.
"""

from __future__ import annotations

from apiforge.testing.pytest_plugin import (
    async_vk,
    async_wialon,
    async_yclients,
    fake_vk,
    fake_wialon,
    fake_yclients,
    vk,
    wialon,
    yclients,
)

__all__ = [
    "async_vk",
    "async_wialon",
    "async_yclients",
    "fake_vk",
    "fake_wialon",
    "fake_yclients",
    "vk",
    "wialon",
    "yclients",
]
