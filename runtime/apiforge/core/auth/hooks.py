"""User hooks (strategies, token providers, captcha handlers) checked where they are given.

The pipeline runs hooks through the `Callback` effect: the async driver awaits what a hook
returns, the sync driver refuses an awaitable. A hook declared with `async def` is refused
earlier, when the sync client is created, so the mistake shows at once and not on the first call.
"""

from __future__ import annotations

import inspect

from apiforge.core.errors import ConfigurationError


def ensure_sync(hook: object, where: str) -> None:
    """Raise ConfigurationError when `hook` (given as `where`, e.g. "VK(captcha_handler=...)") is async."""
    if hook is None:
        return
    if inspect.iscoroutinefunction(hook) or inspect.iscoroutinefunction(getattr(hook, "__call__", None)):  # noqa: B004
        raise ConfigurationError(f"{where} is async; the sync client needs a sync one (or use the async client)")


__all__ = ["ensure_sync"]
